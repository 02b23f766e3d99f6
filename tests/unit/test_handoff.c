/*
 * The listenerPath payload: build, send over a real socketpair, detect completeness without EOF,
 * and parse exactly what runc and crun send (payloads copied from observed runs), while refusing
 * every malformed variant with a reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "scmpd/handoff.h"
#include "util.h"

static const char runc_payload[] =
        "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":21184,\"metadata\":"
        "\"hello\",\"state\":{\"ociVersion\":\"1.0.2-dev\",\"id\":\"e2e-runc-21015\",\"status\":"
        "\"creating\",\"pid\":21184,\"bundle\":\"/path/to/bundle\",\"annotations\":{\"org."
        "example.e2e\":\"yes\"}}}";

static const char crun_payload[] = "{\n"
                                   "    \"ociVersion\": \"0.2.0\",\n"
                                   "    \"fds\": [\n"
                                   "        \"seccompFd\"\n"
                                   "    ],\n"
                                   "    \"pid\": 21306,\n"
                                   "    \"metadata\": \"hello\",\n"
                                   "    \"state\": {\n"
                                   "        \"ociVersion\": \"0.2.0\",\n"
                                   "        \"id\": \"e2e-crun-21015\",\n"
                                   "        \"status\": \"creating\",\n"
                                   "        \"pid\": 21306,\n"
                                   "        \"bundle\": \"/path/to/bundle\",\n"
                                   "        \"annotations\": {\n"
                                   "            \"org.example.e2e\": \"yes\"\n"
                                   "        }\n"
                                   "    }\n"
                                   "}\n";

static void test_parse_runc(void **state)
{
        struct scmpd_handoff_state *s = NULL;
        const char *reason;

        assert_int_equal(scmpd_handoff_parse(runc_payload, strlen(runc_payload), 1, &s, &reason),
                         0);
        assert_null(reason);
        assert_string_equal(s->oci_version, "1.0.2-dev");
        assert_int_equal(s->pid, 21184);
        assert_string_equal(s->metadata, "hello");
        assert_string_equal(s->id, "e2e-runc-21015");
        assert_string_equal(s->status, "creating");
        assert_int_equal(s->state_pid, 21184);
        assert_string_equal(s->bundle, "/path/to/bundle");
        assert_int_equal(s->n_annotations, 1);
        assert_string_equal(scmpd_handoff_state_annotation(s, "org.example.e2e"), "yes");
        assert_null(scmpd_handoff_state_annotation(s, "nope"));
        assert_int_equal(s->seccomp_fd_index, 0);
        scmpd_handoff_state_free(s);
}

static void test_parse_crun(void **state)
{
        struct scmpd_handoff_state *s = NULL;

        /* The trailing newline is after the object; the span ends at the closing brace. */
        assert_int_equal(scmpd_handoff_complete(crun_payload, strlen(crun_payload)),
                         strlen(crun_payload) - 1);
        assert_int_equal(scmpd_handoff_parse(crun_payload, strlen(crun_payload), 1, &s, NULL), 0);
        assert_string_equal(s->oci_version, "0.2.0");
        assert_int_equal(s->pid, 21306);
        assert_string_equal(s->id, "e2e-crun-21015");
        assert_string_equal(scmpd_handoff_state_annotation(s, "org.example.e2e"), "yes");
        scmpd_handoff_state_free(s);
}

static void test_complete_prefixes(void **state)
{
        size_t n = strlen(runc_payload);

        /* Every strict prefix is incomplete, never an error; the whole is complete. */
        for (size_t i = 0; i < n; i++)
                assert_int_equal(scmpd_handoff_complete(runc_payload, i), 0);
        assert_int_equal(scmpd_handoff_complete(runc_payload, n), n);
        /* Braces inside strings and escaped quotes do not count. */
        assert_int_equal(scmpd_handoff_complete("{\"a\":\"}\\\"}\"}", 12), 12);
        assert_int_equal(scmpd_handoff_complete("{\"a\":\"}\\\"}\"", 11), 0);
}

static void test_complete_rejects(void **state)
{
        char deep[200];
        _cleanup_free_ char *big = NULL;
        size_t i;

        assert_int_equal(scmpd_handoff_complete("[1]", 3), -EBADMSG);
        assert_int_equal(scmpd_handoff_complete("garbage", 7), -EBADMSG);
        assert_int_equal(scmpd_handoff_complete("{\"a\":[}", 7), -EBADMSG);
        assert_int_equal(scmpd_handoff_complete("{\"a\0\"}", 6), -EBADMSG);
        for (i = 0; i < 100; i++)
                deep[i] = '[';
        deep[0] = '{';
        assert_int_equal(scmpd_handoff_complete(deep, 100), -EBADMSG);

        big = malloc(SCMPD_HANDOFF_MAX_SIZE + 10);
        assert_non_null(big);
        memset(big, ' ', SCMPD_HANDOFF_MAX_SIZE + 10);
        big[0] = '{';
        big[1] = '"';
        assert_int_equal(scmpd_handoff_complete(big, SCMPD_HANDOFF_MAX_SIZE + 10), -EMSGSIZE);
        assert_int_equal(scmpd_handoff_complete(big, 1000), 0);
}

static void expect_bad(const char *json, size_t n_fds)
{
        struct scmpd_handoff_state *s = NULL;
        const char *reason = NULL;
        int r = scmpd_handoff_parse(json, strlen(json), n_fds, &s, &reason);

        if (r != -EBADMSG)
                fail_msg("accepted or wrong error %d for %s", r, json);
        assert_null(s);
        assert_non_null(reason);
}

static void test_parse_rejects(void **state)
{
        expect_bad("{\"fds\":[\"seccompFd\"]}", 1);                          /* no pid */
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":-4}", 1);               /* negative */
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":99999999999}", 1);      /* overflow */
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":\"12\"}", 1);           /* string */
        expect_bad("{\"pid\":12}", 1);                                       /* no fds */
        expect_bad("{\"fds\":[],\"pid\":12}", 1);                            /* none named */
        expect_bad("{\"fds\":[\"seccompFd\",\"seccompFd\"],\"pid\":12}", 2); /* two */
        expect_bad("{\"fds\":[\"other\",\"seccompFd\"],\"pid\":12}", 1);     /* index 1 >= 1 */
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":12}", 0);               /* no fd came */
        expect_bad("{\"fds\":[7],\"pid\":12}", 1);
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":12,\"state\":[]}", 1);
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":12,\"state\":{\"id\":5}}", 1);
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":12,\"state\":{\"annotations\":{\"a\":1}}}", 1);
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":12,\"pid\":13}", 1); /* duplicate key */
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":12,\"metadata\":\"a\\u0000b\"}", 1);
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":12", 1); /* incomplete */
        expect_bad("{\"fds\":[\"seccompFd\"],\"pid\":1x2}", 1);
}

/* crun 1.8.1's payload for `crun exec`, as observed: pid 0 at both levels. */
static void test_parse_crun_exec(void **state)
{
        static const char j[] = "{\n    \"ociVersion\": \"0.2.0\",\n    \"fds\": [\n        "
                                "\"seccompFd\"\n    ],\n    \"pid\": 0,\n    \"metadata\": "
                                "\"scmpd-e2e\",\n    \"state\": {\n        \"ociVersion\": "
                                "\"0.2.0\",\n        \"id\": \"e2e-cx\",\n        \"status\": "
                                "\"running\",\n        \"pid\": 0,\n        \"bundle\": \".\",\n"
                                "        \"annotations\": {\n            \"org.example.e2e\": "
                                "\"yes\"\n        }\n    }\n}\n";
        struct scmpd_handoff_state *s = NULL;

        assert_int_equal(scmpd_handoff_parse(j, strlen(j), 1, &s, NULL), 0);
        assert_int_equal(s->pid, 0);
        assert_int_equal(s->state_pid, 0);
        assert_string_equal(s->status, "running");
        assert_string_equal(s->id, "e2e-cx");
        scmpd_handoff_state_free(s);
}

static void test_parse_fd_index(void **state)
{
        struct scmpd_handoff_state *s = NULL;
        const char *j = "{\"fds\":[\"other\",\"seccompFd\"],\"pid\":12}";

        assert_int_equal(scmpd_handoff_parse(j, strlen(j), 2, &s, NULL), 0);
        assert_int_equal(s->seccomp_fd_index, 1);
        assert_int_equal(s->n_fd_names, 2);
        assert_null(s->metadata);
        assert_null(s->id);
        scmpd_handoff_state_free(s);
}

static void test_build_roundtrip(void **state)
{
        const char *ann[] = { "k1", "v1", "io.kubernetes.cri.sandbox-name", "pod", NULL };
        struct scmpd_handoff_info info = {
                .pid = 4242, .metadata = "meta\"data", .id = "c1", .annotations = ann
        };
        struct scmpd_handoff_state *s = NULL;
        _cleanup_free_ char *json = NULL;
        size_t len;

        assert_int_equal(scmpd_handoff_build(&info, &json, &len), 0);
        assert_int_equal(len, strlen(json));
        assert_int_equal(scmpd_handoff_parse(json, len, 1, &s, NULL), 0);
        assert_int_equal(s->pid, 4242);
        assert_int_equal(s->state_pid, 4242);
        assert_string_equal(s->metadata, "meta\"data");
        assert_string_equal(s->id, "c1");
        assert_string_equal(s->status, "running");
        assert_string_equal(scmpd_handoff_state_annotation(s, "io.kubernetes.cri.sandbox-name"),
                            "pod");
        scmpd_handoff_state_free(s);

        info.pid = 0;
        assert_int_equal(scmpd_handoff_build(&info, &json, &len), -EINVAL);
        info.pid = 1;
        info.metadata = "\xff\xfe";
        assert_int_equal(scmpd_handoff_build(&info, &json, &len), -EINVAL);
}

static void test_send_over_socketpair(void **state)
{
        struct scmpd_handoff_info info = { .pid = 77, .metadata = "m" };
        struct scmpd_handoff_state *s = NULL;
        char buf[4096];
        union {
                struct cmsghdr hdr;
                char b[CMSG_SPACE(sizeof(int) * 4)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr msg = { .msg_iov = &iov,
                              .msg_iovlen = 1,
                              .msg_control = control.b,
                              .msg_controllen = sizeof(control.b) };
        struct cmsghdr *c;
        int sp[2], devnull, got = -1;
        ssize_t n;

        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(devnull >= 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(scmpd_handoff_send(sp[0], devnull, &info), 0);
        n = recvmsg(sp[1], &msg, MSG_CMSG_CLOEXEC);
        assert_true(n > 0);
        assert_false(msg.msg_flags & MSG_CTRUNC);
        assert_true(msg.msg_controllen >= CMSG_LEN(sizeof(int)));
        c = &control.hdr;
        assert_int_equal(c->cmsg_type, SCM_RIGHTS);
        assert_int_equal(c->cmsg_len, CMSG_LEN(sizeof(int)));
        memcpy(&got, CMSG_DATA(c), sizeof(int));
        assert_true(got >= 0);
        assert_int_equal(scmpd_handoff_complete(buf, (size_t)n), n);
        assert_int_equal(scmpd_handoff_parse(buf, (size_t)n, 1, &s, NULL), 0);
        assert_int_equal(s->pid, 77);
        scmpd_handoff_state_free(s);
        close(got);
        close(devnull);
        close(sp[0]);
        close(sp[1]);

        assert_int_equal(scmpd_handoff_send_to("/nonexistent/scmpd.sock", 0, &info), -ENOENT);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_runc),
                cmocka_unit_test(test_parse_crun),
                cmocka_unit_test(test_complete_prefixes),
                cmocka_unit_test(test_complete_rejects),
                cmocka_unit_test(test_parse_rejects),
                cmocka_unit_test(test_parse_fd_index),
                cmocka_unit_test(test_parse_crun_exec),
                cmocka_unit_test(test_build_roundtrip),
                cmocka_unit_test(test_send_over_socketpair),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
