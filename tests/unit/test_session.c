/*
 * The daemon's state machine (session.c and dispatch.c) through the observer seam, without the
 * handoff socket, the control socket or a running scmpd.
 *
 * Set-up: the test process installs an allow-everything filter with a listener, so the listener
 * is genuine and never hangs up (its one user is this process), but no notification ever reaches
 * it from the kernel. Notifications enter through session_inject(), the replay door, with IDs the
 * kernel never issued: every answer is therefore refused with ENOENT, which is exactly what the
 * daemon sees when a target is gone. The chain's first handler is this file's programmable
 * handler (it takes the place of the built-in "continue" instance), and an observer records how
 * each notification ended. The loop is a private uv loop, run until the awaited event happened.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

#define MAX_EVENTS 256

struct ended {
        uint64_t id;
        bool has_verdict;
        struct scmpd_verdict v;
        int answer;
};

/* The programmable handler: each call is recorded; DEFERRED ones keep their handle by ID. */
static struct {
        enum scmpd_verdict_kind next; /* what handle() answers */
        uint64_t seen[MAX_EVENTS];
        uintptr_t frame[MAX_EVENTS]; /* stack depth of each call */
        unsigned n_seen;
        struct scmpd_deferred *deferred[MAX_EVENTS]; /* by notification id */
} H;

static struct {
        struct ended ended[MAX_EVENTS];
        unsigned n_ended;
} O;

static int listener = -1;

static __attribute__((noinline)) void test_handle(void *state, const struct scmpd_notification *n,
                                                  struct scmpd_deferred *deferred,
                                                  struct scmpd_verdict *ret)
{
        assert_true(H.n_seen < MAX_EVENTS && n->id < MAX_EVENTS);
        H.frame[H.n_seen] = (uintptr_t)__builtin_frame_address(0);
        H.seen[H.n_seen++] = n->id;
        *ret = (struct scmpd_verdict){ .kind = H.next };
        if (H.next == SCMPD_VERDICT_RESPOND)
                ret->val = (int64_t)n->id;
        if (H.next == SCMPD_VERDICT_DEFERRED)
                H.deferred[n->id] = deferred;
}

static const struct scmpd_handler_ops test_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .name = "continue",
        .handle = test_handle,
};

static void on_notif_done(void *userdata, const struct notif *n, const struct scmpd_verdict *v,
                          int answer)
{
        struct ended *e = &O.ended[O.n_ended++];

        assert_true(O.n_ended <= MAX_EVENTS);
        *e = (struct ended){ .id = n->req.id, .has_verdict = v != NULL, .answer = answer };
        if (v)
                e->v = *v;
}

/* A proxy peer (as intake_lxc.c is): records every answer and takes it. */
static struct {
        unsigned n;
        uint64_t id[MAX_EVENTS];
        int64_t val[MAX_EVENTS];
        int32_t error[MAX_EVENTS];
        uint32_t flags[MAX_EVENTS];
} P;
static bool use_proxy;

static int test_respond(void *data, struct session *s, const struct seccomp_notif *req, int64_t val,
                        int32_t error, uint32_t flags)
{
        assert_ptr_equal(data, &P);
        assert_non_null(s);
        assert_true(P.n < MAX_EVENTS);
        P.id[P.n] = req->id;
        P.val[P.n] = val;
        P.error[P.n] = error;
        P.flags[P.n++] = flags;
        return 0;
}

static const struct session_proxy test_proxy = { .respond = test_respond };

struct fixture {
        struct daemon d;
        struct daemon_observer obs;
        struct session *s;
};

static struct fixture *fixture_new(const char *limits, const char *chain_extra)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct scmpd_handoff_state *origin = NULL;
        struct peer_facts root_peer = { .known = true, .uid = 0, .gid = 0 };
        const char *reason = NULL;
        static const char payload[] = "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],"
                                      "\"pid\":1,\"state\":{\"ociVersion\":\"1.0.2\",\"id\":"
                                      "\"unit\",\"status\":\"running\",\"pid\":1,\"bundle\":"
                                      "\"/b\"}}";
        char text[1024], *err = NULL;
        int fd;

        assert_non_null(f);
        memset(&H, 0, sizeof(H));
        memset(&O, 0, sizeof(O));
        H.next = SCMPD_VERDICT_DEFERRED;
        snprintf(text, sizeof(text),
                 "{\"limits\": {%s}, \"policies\": [{\"rules\": [{\"syscalls\": [\"*\"], "
                 "\"chain\": [{\"handler\": \"continue\"%s}, {\"errno\": \"EPERM\"}]}]}]}",
                 limits, chain_extra);
        assert_int_equal(config_load_string(text, "test", &f->d.config, &err), 0);
        /* The chain's first instance becomes the programmable handler. */
        for (size_t i = 0; i < f->d.config->n_instances; i++)
                if (strcmp(f->d.config->instances[i]->name, "continue") == 0)
                        f->d.config->instances[i]->ops = &test_ops;
        f->d.loop = malloc(sizeof(uv_loop_t));
        assert_non_null(f->d.loop);
        assert_int_equal(uv_loop_init(f->d.loop), 0);
        daemon_init(&f->d);
        f->obs = (struct daemon_observer){ .notif_done = on_notif_done };
        daemon_observe(&f->d, &f->obs);
        assert_int_equal(dispatch_init(&f->d), 0);
        assert_int_equal(scmpd_handoff_parse(payload, strlen(payload), 1, &origin, &reason), 0);
        fd = fcntl(listener, F_DUPFD_CLOEXEC, 3);
        assert_true(fd >= 0);
        /* Handed over by root, as a runtime does (or by a proxy peer, as LXC's monitor). */
        if (use_proxy)
                assert_int_equal(
                        session_new_proxied(&f->d, fd, origin, &root_peer, &test_proxy, &P, &f->s),
                        0);
        else
                assert_int_equal(session_new(&f->d, fd, origin, &root_peer, 0, &f->s), 0);
        assert_int_equal(f->s->serial, 1);
        return f;
}

/* Run the loop until `done` says so; every wait here ends on an event, not on a clock. */
static void run_until(struct fixture *f, bool (*done)(struct fixture *f))
{
        while (!done(f))
                uv_run(f->d.loop, UV_RUN_ONCE);
}

static void fixture_free(struct fixture *f)
{
        f->d.stopping = true;
        session_close(f->s, "test over");
        dispatch_done(&f->d);
        while (uv_run(f->d.loop, UV_RUN_NOWAIT) != 0)
                ;
        assert_int_equal(f->d.n_notifs, 0);
        assert_int_equal(uv_loop_close(f->d.loop), 0);
        free(f->d.loop);
        daemon_unobserve(&f->obs);
        config_unref(f->d.config);
        pthread_mutex_destroy(&f->d.deferred_lock);
        free(f);
}

static void inject(struct fixture *f, uint64_t id, uint32_t tid)
{
        struct seccomp_notif req = { .id = id, .pid = tid };

        req.data.arch = AUDIT_ARCH_X86_64;
        req.data.nr = 39; /* getpid */
        assert_int_equal(session_inject(f->s, &req), 0);
}

static void complete(uint64_t id, enum scmpd_verdict_kind kind, int64_t val)
{
        struct scmpd_verdict v = { .kind = kind, .val = val };

        assert_non_null(H.deferred[id]);
        dispatch_complete_deferred(H.deferred[id], &v);
        H.deferred[id] = NULL;
}

static unsigned want_ended;
static bool ended_enough(struct fixture *f)
{
        return O.n_ended >= want_ended;
}

static void wait_ended(struct fixture *f, unsigned n)
{
        want_ended = n;
        run_until(f, ended_enough);
}

/* A later notification of a thread waits while an earlier one of the same thread is in a
 * handler; other threads' notifications do not wait. */
static void test_held_per_thread(void **state)
{
        struct fixture *f = fixture_new("", "");

        inject(f, 1, 100);
        inject(f, 2, 100);
        inject(f, 3, 200);
        assert_int_equal(H.n_seen, 2);
        assert_int_equal(H.seen[0], 1);
        assert_int_equal(H.seen[1], 3);
        assert_int_equal(f->s->inflight, 3);

        complete(1, SCMPD_VERDICT_RESPOND, 11);
        wait_ended(f, 1);
        assert_int_equal(O.ended[0].id, 1);
        assert_int_equal(O.ended[0].v.val, 11);
        /* The target is gone (the kernel never issued this ID): ENOENT, counted as gone. */
        assert_int_equal(O.ended[0].answer, -ENOENT);
        assert_int_equal(f->d.n_gone, 1);
        /* Its successor of the same thread was released into the handler. */
        assert_int_equal(H.n_seen, 3);
        assert_int_equal(H.seen[2], 2);

        complete(2, SCMPD_VERDICT_RESPOND, 22);
        complete(3, SCMPD_VERDICT_RESPOND, 33);
        wait_ended(f, 3);
        assert_int_equal(f->s->inflight, 0);
        assert_int_equal(f->s->n_handled, 3);
        fixture_free(f);
}

/* Many held notifications of one thread, each answered at once when released, are released one
 * after another by the session's loop, not from inside each other's teardown: every handler call
 * runs at the same stack depth. */
static void test_release_is_a_loop(void **state)
{
        struct fixture *f = fixture_new("\"inflight_per_listener\": 64", "");

        inject(f, 1, 100);
        for (uint64_t id = 2; id <= 40; id++)
                inject(f, id, 100);
        assert_int_equal(H.n_seen, 1);
        H.next = SCMPD_VERDICT_RESPOND;
        complete(1, SCMPD_VERDICT_RESPOND, 1);
        wait_ended(f, 40);
        assert_int_equal(H.n_seen, 40);
        for (unsigned i = 0; i < 40; i++) {
                assert_int_equal(H.seen[i], i + 1);
                assert_int_equal(O.ended[i].id, i + 1);
        }
        for (unsigned i = 2; i < 40; i++)
                assert_int_equal(H.frame[i], H.frame[1]);
        assert_int_equal(f->s->inflight, 0);
        fixture_free(f);
}

/* At limits.inflight_per_listener the session stops asking for more; an answer resumes it. */
static void test_inflight_cap(void **state)
{
        struct fixture *f = fixture_new("\"inflight_per_listener\": 2", "");

        assert_true(f->s->poll_events & UV_READABLE);
        inject(f, 1, 100);
        assert_true(f->s->poll_events & UV_READABLE);
        inject(f, 2, 200);
        assert_int_equal(f->s->inflight, 2);
        assert_false(f->s->poll_events & UV_READABLE);
        assert_true(f->s->poll_events & UV_DISCONNECT);
        complete(1, SCMPD_VERDICT_CONTINUE, 0);
        wait_ended(f, 1);
        assert_int_equal(f->s->inflight, 1);
        assert_true(f->s->poll_events & UV_READABLE);
        complete(2, SCMPD_VERDICT_CONTINUE, 0);
        wait_ended(f, 2);
        fixture_free(f);
}

/* A deferred handler that misses its deadline: the fallback answers, the thread's next
 * notification is released, and the late verdict only ends the handler's hold. */
static void test_deadline(void **state)
{
        struct fixture *f =
                fixture_new("", ", \"timeout_ms\": 20, \"fallback\": {\"errno\": \"EAGAIN\"}");

        inject(f, 1, 100);
        inject(f, 2, 100);
        wait_ended(f, 1);
        assert_int_equal(O.ended[0].id, 1);
        assert_true(O.ended[0].has_verdict);
        assert_int_equal(O.ended[0].v.kind, SCMPD_VERDICT_RESPOND);
        assert_int_equal(O.ended[0].v.error, EAGAIN);
        assert_int_equal(f->d.n_handler_timeouts, 1);
        /* Released: notification 2 is in the handler now. */
        assert_int_equal(H.n_seen, 2);
        assert_int_equal(H.seen[1], 2);
        assert_int_equal(f->s->inflight, 1);
        /* The late verdict: no second answer, and the record is freed. */
        complete(1, SCMPD_VERDICT_RESPOND, 5);
        complete(2, SCMPD_VERDICT_RESPOND, 6);
        wait_ended(f, 2);
        assert_int_equal(O.ended[1].id, 2);
        while (f->d.n_notifs > 0)
                uv_run(f->d.loop, UV_RUN_ONCE);
        assert_int_equal(O.n_ended, 2);
        fixture_free(f);
}

/* A deferred answer that arrives after the target went away: counted as gone, the slot and the
 * held successor are released, nothing is answered twice. */
static void test_deferred_after_gone(void **state)
{
        struct fixture *f = fixture_new("", "");

        inject(f, 7, 100);
        inject(f, 8, 100);
        complete(7, SCMPD_VERDICT_KILL, 0);
        wait_ended(f, 1);
        assert_int_equal(O.ended[0].id, 7);
        assert_int_equal(O.ended[0].answer, -ENOENT);
        assert_int_equal(f->d.n_gone, 1);
        assert_int_equal(f->d.n_answered, 0);
        assert_int_equal(H.seen[1], 8);
        complete(8, SCMPD_VERDICT_CONTINUE, 0);
        wait_ended(f, 2);
        assert_int_equal(f->s->inflight, 0);
        fixture_free(f);
}

/* A replayed notification takes the same door as a received one: behind an earlier one of its
 * thread, counted against the cap; a closing session takes none. */
static void test_replay(void **state)
{
        struct fixture *f = fixture_new("", "");
        struct seccomp_notif req = { .id = 9, .pid = 300 };

        inject(f, 4, 300);
        assert_int_equal(session_inject(f->s, &req), 0);
        assert_int_equal(f->s->inflight, 2);
        assert_int_equal(H.n_seen, 1); /* 9 is held behind 4 */
        complete(4, SCMPD_VERDICT_CONTINUE, 0);
        wait_ended(f, 1);
        assert_int_equal(H.seen[1], 9);
        complete(9, SCMPD_VERDICT_CONTINUE, 0);
        wait_ended(f, 2);
        f->d.stopping = true;
        session_close(f->s, "closing");
        assert_int_equal(session_inject(f->s, &req), -ESHUTDOWN);
        fixture_free(f);
}

/* A proxied session (LXC's): notifications come only by injection, answers go to the proxy and
 * none to the kernel (which would refuse these IDs with ENOENT), the listener is never polled
 * for reads, and what touched the target is still validated against the listener first. */
static void test_proxied(void **state)
{
        struct fixture *f;

        memset(&P, 0, sizeof(P));
        use_proxy = true;
        f = fixture_new("", "");
        use_proxy = false;
        assert_false(f->s->poll_events & UV_READABLE);
        assert_true(f->s->poll_events & UV_DISCONNECT);
        H.next = SCMPD_VERDICT_CONTINUE;
        inject(f, 4, 300);
        H.next = SCMPD_VERDICT_RESPOND; /* the value is the id */
        inject(f, 5, 301);
        wait_ended(f, 2);
        assert_int_equal(P.n, 2);
        assert_int_equal(P.id[0], 4);
        assert_int_equal(P.flags[0], SECCOMP_USER_NOTIF_FLAG_CONTINUE);
        assert_int_equal(P.error[0], 0);
        assert_int_equal(P.id[1], 5);
        assert_int_equal(P.val[1], 5);
        assert_int_equal(P.error[1] | (int32_t)P.flags[1], 0);
        assert_int_equal(O.ended[0].answer, 0); /* the proxy took them */
        assert_int_equal(O.ended[1].answer, 0);
        /* A deferred answer touched the target: NOTIF_ID_VALID on the listener comes first, and
         * for an ID the kernel never issued it says gone; nothing reaches the proxy. */
        H.next = SCMPD_VERDICT_DEFERRED;
        inject(f, 6, 302);
        complete(6, SCMPD_VERDICT_CONTINUE, 0);
        wait_ended(f, 3);
        assert_int_equal(P.n, 2);
        assert_int_equal(O.ended[2].answer, -ENOENT);
        /* Proxied listeners at the in-flight cap and below it: never READABLE. */
        assert_int_equal(f->s->inflight, 0);
        assert_false(f->s->poll_events & UV_READABLE);
        fixture_free(f);
}

/* Disabling a handler while a notification is in it: that one still ends with its handler's
 * verdict; the next skips the handler. */
static void test_disabled_while_running(void **state)
{
        struct fixture *f = fixture_new("", "");

        inject(f, 1, 100);
        assert_int_equal(H.n_seen, 1);
        assert_int_equal(daemon_handler_disable(&f->d, "continue"), 0);
        inject(f, 2, 200);
        /* Not seen by the disabled handler: answered by the next one, EPERM. */
        assert_int_equal(H.n_seen, 1);
        assert_int_equal(O.n_ended, 1);
        assert_int_equal(O.ended[0].id, 2);
        assert_int_equal(O.ended[0].v.error, EPERM);
        complete(1, SCMPD_VERDICT_RESPOND, 42);
        wait_ended(f, 2);
        assert_int_equal(O.ended[1].id, 1);
        assert_int_equal(O.ended[1].v.val, 42);
        assert_true(daemon_handler_enable(&f->d, "continue"));
        daemon_handlers_enable_all(&f->d);
        fixture_free(f);
}

/* An observer added at run time hears of sessions without any change to the core. */
static unsigned sessions_seen;
static void count_session(void *userdata, struct session *s)
{
        (*(unsigned *)userdata)++;
}

static void test_observer_sessions(void **state)
{
        struct fixture *f = fixture_new("", "");
        struct daemon_observer o = { .userdata = &sessions_seen, .session_removed = count_session };

        daemon_observe(&f->d, &o);
        f->d.stopping = true;
        session_close(f->s, "closing");
        assert_int_equal(sessions_seen, 1);
        daemon_unobserve(&o);
        fixture_free(f);
}

/* A listener whose peer left before its executable was read (`runc exec -d`) takes the runtime
 * name of its container's other listeners. */
static void test_runtime_from_sibling(void **state)
{
        struct fixture *f = fixture_new("", "");
        struct scmpd_handoff_state *origin = NULL;
        struct peer_facts gone_peer = { .known = true, .uid = 0, .gid = 0 };
        struct session *exec_s = NULL;
        const char *reason = NULL;
        static const char payload[] = "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],"
                                      "\"pid\":2,\"state\":{\"ociVersion\":\"1.0.2\",\"id\":"
                                      "\"unit\",\"status\":\"running\",\"pid\":2,\"bundle\":"
                                      "\"/b\"}}";
        int fd;

        assert_string_equal(f->s->runtime, "unknown");
        session_set_runtime(f->s, "runc");
        assert_int_equal(scmpd_handoff_parse(payload, strlen(payload), 1, &origin, &reason), 0);
        fd = fcntl(listener, F_DUPFD_CLOEXEC, 3);
        assert_true(fd >= 0);
        assert_int_equal(session_new(&f->d, fd, origin, &gone_peer, 0, &exec_s), 0);
        assert_string_equal(exec_s->runtime, "runc");
        f->d.stopping = true;
        session_close(exec_s, "test over");
        fixture_free(f);
}

static int setup(void **state)
{
        struct sock_filter insns[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = 1, .filter = insns };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -1;
        listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        return listener >= 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_held_per_thread),
                cmocka_unit_test(test_release_is_a_loop),
                cmocka_unit_test(test_inflight_cap),
                cmocka_unit_test(test_deadline),
                cmocka_unit_test(test_deferred_after_gone),
                cmocka_unit_test(test_replay),
                cmocka_unit_test(test_proxied),
                cmocka_unit_test(test_disabled_while_running),
                cmocka_unit_test(test_observer_sessions),
                cmocka_unit_test(test_runtime_from_sibling),
        };

        log_max_level = LOG_WARNING;
        return cmocka_run_group_tests(tests, setup, NULL);
}
