/*
 * The built-in handlers, written against the same ABI as external ones (scmpd/handler.h):
 *
 *   continue   CONTINUE: the kernel runs the syscall (for observation, never for enforcement)
 *   errno      RESPOND with an errno: {"errno": "EPERM"} (a name or 1..4095)
 *   value      RESPOND with a return value: {"value": 0} (fakes success)
 *   kill       KILL the target process
 *
 * Their state is the parsed configuration; they never block.
 *
 * Every built-in decides through the plugin ABI's handle() and logs through the host it is given
 * (audit.c's structured fields too, with host->log_fields). Being part of scmpd, the emulating
 * handlers (mount.c, mknod.c, sysinfo.c, sched.c) also use what the ABI does not offer: they
 * read the notification's listener from the handle's private part (struct scmpd_deferred,
 * daemon.h) to open the target through target.c.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../errno_name.h"
#include "../policy.h"

struct fixed {
        struct scmpd_verdict v;
};

static int fixed_start_errno(const struct scmpd_handler_host *host, const char *conf,
                             void **ret_state)
{
        json_auto_t *root = json_loads(conf, 0, NULL);
        json_t *e;
        struct fixed *f;
        int err = -1;

        if (!root)
                return -EINVAL;
        e = json_object_get(root, "errno");
        if (json_is_string(e))
                err = errno_from_name(json_string_value(e));
        else if (json_is_integer(e) && json_integer_value(e) >= 1 && json_integer_value(e) <= 4095)
                err = (int)json_integer_value(e);
        if (err <= 0) {
                char msg[160], *text = e ? json_dumps(e, JSON_ENCODE_ANY) : NULL;

                snprintf(msg, sizeof(msg),
                         "\"errno\" must be an errno name like \"EPERM\" or a number 1..4095, "
                         "not %.64s",
                         text ? text : "nothing");
                free(text);
                if (host)
                        host->log_fields(host, LOG_ERR, msg, NULL, 0);
                return -EINVAL;
        }
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->v = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = err };
        *ret_state = f;
        return 0;
}

static int fixed_start_value(const struct scmpd_handler_host *host, const char *conf,
                             void **ret_state)
{
        json_auto_t *root = json_loads(conf, 0, NULL);
        json_t *v;
        struct fixed *f;

        if (!root)
                return -EINVAL;
        v = json_object_get(root, "value");
        if (!json_is_integer(v)) {
                if (host)
                        host->log_fields(host, LOG_ERR, "\"value\" must be an integer", NULL, 0);
                return -EINVAL;
        }
        f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->v = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND,
                                       .val = json_integer_value(v) };
        *ret_state = f;
        return 0;
}

static void fixed_stop(void *state)
{
        free(state);
}

static void fixed_handle(void *state, const struct scmpd_notification *n,
                         struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        *ret = ((struct fixed *)state)->v;
}

static void continue_handle(void *state, const struct scmpd_notification *n,
                            struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_CONTINUE };
}

static void kill_handle(void *state, const struct scmpd_notification *n,
                        struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_KILL };
}

static const struct scmpd_handler_ops continue_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .name = "continue",
        .handle = continue_handle,
};

static const struct scmpd_handler_ops errno_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .name = "errno",
        .start = fixed_start_errno,
        .stop = fixed_stop,
        .handle = fixed_handle,
};

static const struct scmpd_handler_ops value_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .name = "value",
        .start = fixed_start_value,
        .stop = fixed_stop,
        .handle = fixed_handle,
};

static const struct scmpd_handler_ops kill_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .name = "kill",
        .handle = kill_handle,
};

extern const struct scmpd_handler_ops audit_handler_ops;
/* The emulating handlers (mount.c, mknod.c, xattr.c). */
extern const struct scmpd_handler_ops mount_handler_ops, mknod_handler_ops;
/* The container's view of sysinfo(2) (sysinfo.c); scheduling policies lent (sched.c). */
extern const struct scmpd_handler_ops sysinfo_handler_ops, sched_handler_ops;
extern const struct scmpd_handler_ops xattr_handler_ops;

const struct scmpd_handler_ops *builtin_handler(const char *name)
{
        static const struct scmpd_handler_ops *const all[] = {
                &continue_ops,      &errno_ops,         &value_ops,         &kill_ops,
                &audit_handler_ops, &mount_handler_ops, &mknod_handler_ops, &sysinfo_handler_ops,
                &sched_handler_ops, &xattr_handler_ops,
        };

        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                if (strcmp(all[i]->name, name) == 0)
                        return all[i];
        return NULL;
}
