/*
 * The daemon object's seam: the one place where the core (intake, session, dispatch, target,
 * handlers) reports what happens, and where the modules that watch it (control, stats, the audit
 * store, systemd integration, the in-flight journal) listen.
 *
 * Model: struct daemon keeps a list of struct daemon_observer, each embedded in its module's
 * object and registered at start. An event is a call of every registered callback for it, in
 * registration order, on the loop thread. Observers are told, never asked: nothing they do can
 * change a verdict or make the core wait. The two things the core does need from outside are
 * state it owns here: the receiver (the journal's NOTIF_RECV into its own record, or a plain one)
 * and the set of handlers an operator disabled.
 *
 * So the import graph stays a tree pointing down: observers include daemon.h; the core never
 * includes an observer's header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

void daemon_init(struct daemon *d)
{
        list_init(&d->sessions);
        list_init(&d->conns);
        list_init(&d->observers);
}

void daemon_observe(struct daemon *d, struct daemon_observer *o)
{
        list_add_tail(&o->link, &d->observers);
}

void daemon_unobserve(struct daemon_observer *o)
{
        if (o->link.next)
                list_del(&o->link);
        o->link.next = o->link.prev = NULL;
}

static struct daemon_observer *observer_at(struct list_head *pos)
{
        return list_entry(pos, struct daemon_observer, link);
}

/* Each event calls its callback of every registered observer, in order; an observer may
 * unregister itself from its callback. */

void daemon_session_added(struct daemon *d, struct session *s)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &d->observers)
        {
                struct daemon_observer *o = observer_at(pos);

                if (o->session_added)
                        o->session_added(o->userdata, s);
        }
}

void daemon_session_removed(struct daemon *d, struct session *s)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &d->observers)
        {
                struct daemon_observer *o = observer_at(pos);

                if (o->session_removed)
                        o->session_removed(o->userdata, s);
        }
}

void daemon_notif_done(struct daemon *d, const struct notif *n, const struct scmpd_verdict *v,
                       int answer)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &d->observers)
        {
                struct daemon_observer *o = observer_at(pos);

                if (o->notif_done)
                        o->notif_done(o->userdata, n, v, answer);
        }
}

void daemon_notif_released(struct daemon *d, const struct session *s, uint64_t id)
{
        struct list_head *pos, *tmp;

        list_for_each_safe(pos, tmp, &d->observers)
        {
                struct daemon_observer *o = observer_at(pos);

                if (o->notif_released)
                        o->notif_released(o->userdata, s, id);
        }
}

struct config *daemon_set_config(struct daemon *d, struct config *c)
{
        struct config *old = d->config;

        struct list_head *pos, *tmp;

        d->config = c;
        list_for_each_safe(pos, tmp, &d->observers)
        {
                struct daemon_observer *o = observer_at(pos);

                if (o->config_changed)
                        o->config_changed(o->userdata, old);
        }
        return old;
}

int daemon_receive(struct daemon *d, struct session *s, struct seccomp_notif *req)
{
        if (d->receiver.receive)
                return d->receiver.receive(d->receiver.userdata, s, req);
        return scmpd_notify_receive(s->fd, req);
}

bool daemon_handler_disabled(const struct daemon *d, const char *name)
{
        for (size_t i = 0; name && i < d->n_disabled; i++)
                if (strcmp(d->disabled[i], name) == 0)
                        return true;
        return false;
}

int daemon_handler_disable(struct daemon *d, const char *name)
{
        char *copy;

        if (daemon_handler_disabled(d, name))
                return 0;
        if (d->n_disabled == DAEMON_MAX_DISABLED)
                return -ENOSPC;
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        d->disabled[d->n_disabled++] = copy;
        return 0;
}

bool daemon_handler_enable(struct daemon *d, const char *name)
{
        for (size_t i = 0; name && i < d->n_disabled; i++)
                if (strcmp(d->disabled[i], name) == 0) {
                        free(d->disabled[i]);
                        d->disabled[i] = d->disabled[--d->n_disabled];
                        return true;
                }
        return false;
}

void daemon_handlers_enable_all(struct daemon *d)
{
        while (d->n_disabled > 0)
                free(d->disabled[--d->n_disabled]);
}
