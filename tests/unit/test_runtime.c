/*
 * Runtime naming (daemon/runtime.c): the attested executable first, then the payload's claims;
 * the peer's executable read through a real socket; names made printable and bounded. The
 * libscmpd claim is checked end to end: scmpd_handoff_build() writes it, the parser keeps it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "scmpd/handoff.h"

static struct scmpd_handoff_state *state_of(const char *json)
{
        struct scmpd_handoff_state *s = NULL;

        assert_int_equal(scmpd_handoff_parse(json, strlen(json), 1, &s, NULL), 0);
        return s;
}

static void test_derive(void **unused)
{
        static const char plain[] = "{\"pid\":1,\"fds\":[\"seccompFd\"]}";
        static const char podman[] = "{\"pid\":1,\"fds\":[\"seccompFd\"],\"state\":{"
                                     "\"annotations\":{\"io.container.manager\":\"libpod\"}}}";
        static const char crio[] = "{\"pid\":1,\"fds\":[\"seccompFd\"],\"state\":{"
                                   "\"annotations\":{\"io.container.manager\":\"cri-o\"}}}";
        static const char ctrd[] = "{\"pid\":1,\"fds\":[\"seccompFd\"],\"state\":{\"annotations\":{"
                                   "\"io.kubernetes.cri.container-type\":\"container\"}}}";
        static const char lib[] =
                "{\"pid\":1,\"fds\":[\"seccompFd\"],\"scmpdSender\":\"libscmpd\"}";
        static const struct {
                const char *exe; /* NULL: the peer is unknown */
                const char *json;
                const char *want;
        } cases[] = {
                { "runc", plain, "runc" },
                { "crun", plain, "crun" },
                { "runc", podman, "podman/runc" },
                { "crun", podman, "podman/crun" },
                { "scmpctl", podman, "scmpctl" }, /* the claim names only runc or crun */
                { "scmpctl", lib, "scmpctl" },    /* the fact wins over the claim */
                { "runc", lib, "runc" },
                { "runc", crio, "cri-o/runc" },
                { "crun", ctrd, "containerd/crun" },
                { "python3", ctrd, "python3" },
                { "myprog", lib, "libscmpd" },
                { "python3", podman, "python3" }, /* the claim alone names no runtime */
                { "", plain, "unknown" },
                { NULL, lib, "libscmpd" },
                { NULL, plain, "unknown" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct peer_facts peer = PEER_FACTS_UNKNOWN;
                struct scmpd_handoff_state *s = state_of(cases[i].json);
                char got[SESSION_RUNTIME_MAX];

                if (cases[i].exe) {
                        peer.known = true;
                        peer.uid = 0;
                        snprintf(peer.exe, sizeof(peer.exe), "%s", cases[i].exe);
                }
                runtime_derive(&peer, s, got);
                if (strcmp(got, cases[i].want) != 0)
                        fail_msg("case %zu: %s, want %s", i, got, cases[i].want);
                scmpd_handoff_state_free(s);
        }
}

/* The peer of one end of a socketpair is this process: its executable is this test. */
static void test_peer_exe(void **unused)
{
        char exe[PEER_EXE_MAX];
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(runtime_peer_exe(sv[0], getpid(), exe), 0);
        assert_string_equal(exe, "test-runtime");
        assert_true(runtime_peer_exe(sv[0], 0, exe) < 0);
        assert_string_equal(exe, "");
        close(sv[0]);
        close(sv[1]);
}

static void test_set_runtime(void **unused)
{
        struct session s = {};

        session_set_runtime(&s, "lxc");
        assert_string_equal(s.runtime, "lxc");
        session_set_runtime(&s, "a\x1b[2Jvery-long-runtime-name");
        assert_string_equal(s.runtime, "a__2Jvery-long-");
        session_set_runtime(&s, "");
        assert_string_equal(s.runtime, "unknown");
        session_set_runtime(&s, NULL);
        assert_string_equal(s.runtime, "unknown");
}

static void test_sender_claim(void **unused)
{
        struct scmpd_handoff_info info = { .pid = 42 };
        struct scmpd_handoff_state *s;
        char *json = NULL;
        size_t len;

        assert_int_equal(scmpd_handoff_build(&info, &json, &len), 0);
        s = state_of(json);
        assert_non_null(s->sender);
        assert_string_equal(s->sender, "libscmpd");
        scmpd_handoff_state_free(s);
        free(json);
        /* A claim of the wrong type or length is ignored, the payload still accepted. */
        s = state_of("{\"pid\":1,\"fds\":[\"seccompFd\"],\"scmpdSender\":7}");
        assert_null(s->sender);
        scmpd_handoff_state_free(s);
        s = state_of("{\"pid\":1,\"fds\":[\"seccompFd\"],\"scmpdSender\":\"xxxxxxxxxxxxxxxxxxxxxxxx"
                     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}");
        assert_null(s->sender);
        scmpd_handoff_state_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_derive),
                cmocka_unit_test(test_peer_exe),
                cmocka_unit_test(test_set_runtime),
                cmocka_unit_test(test_sender_claim),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
