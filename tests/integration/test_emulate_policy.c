/*
 * The emulating handlers' policies on their own (daemon/handlers/emulate.h): configuration
 * parsing and the decisions for mount(2), umount2(2), mknod(2), mknodat(2) and the setxattr and
 * removexattr families from register values and string copies, without any process. Linked with the
 * daemon's archive; runs under the sanitizers too. The end-to-end behaviour is test_emulate.c's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cmocka.h>

#include "handlers/emulate.h"

#define MOUNT_CONF                                                                    \
        "{\"fstypes\": [\"tmpfs\", \"ext4\"], \"targets\": [\"/mnt\", \"/run/app\"]," \
        " \"refuse\": \"EACCES\"}"

static struct mount_policy *mp(const char *json)
{
        struct mount_policy *p = NULL;
        char *why = NULL;

        assert_int_equal(mount_policy_parse(json, &p, &why), 0);
        assert_non_null(p);
        assert_null(why); /* an explanation only for a failure */
        return p;
}

static void mount_refused(const char *json, const char *what)
{
        struct mount_policy *p = NULL;
        char *why = NULL;

        if (mount_policy_parse(json, &p, &why) != -EINVAL || !why) {
                print_error("accepted: %s (%s)\n", json, what);
                fail();
        }
        free(why);
        assert_null(p);
}

static enum emulate_decision do_mount(const struct mount_policy *p, const char *src,
                                      const char *tgt, const char *type, uint64_t flags,
                                      const char *data, struct helper_request *req)
{
        uint64_t args[6] = { 1, 2, 3, flags, data ? 4 : 0, 0 };
        const char *strings[6] = { src, tgt, type, NULL, data, NULL };
        struct helper_request dummy;

        return mount_policy_check(p, false, args, strings, req ? req : &dummy);
}

static void test_canonical(void **state)
{
        static const struct {
                const char *path;
                bool canonical;
        } cases[] = {
                { "/", true },        { "/mnt", true },       { "/mnt/a.b", true },
                { "/mnt/..a", true }, { "", false },          { "mnt", false },
                { "/mnt/", false },   { "//mnt", false },     { "/mnt//a", false },
                { "/mnt/.", false },  { "/mnt/..", false },   { "/./mnt", false },
                { "/../mnt", false }, { "/mnt/../x", false },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (helper_path_is_canonical(cases[i].path) != cases[i].canonical) {
                        print_error("path \"%s\"\n", cases[i].path);
                        fail();
                }
        }
        assert_false(helper_path_is_canonical(NULL));
}

static void test_mount_parse(void **state)
{
        struct mount_policy *p;
        struct scmpd_verdict v;

        mount_refused("[]", "not an object");
        mount_refused("{", "not JSON");
        mount_refused("{}", "no targets");
        mount_refused("{\"targets\": []}", "empty targets");
        mount_refused("{\"targets\": [\"mnt\"]}", "relative target");
        mount_refused("{\"targets\": [\"/mnt/\"]}", "trailing slash");
        mount_refused("{\"targets\": [\"/mnt/../etc\"]}", "dot-dot target");
        mount_refused("{\"targets\": [\"/mnt\"], \"bogus\": 1}", "unknown key");
        mount_refused("{\"targets\": [\"/mnt\"], \"sources\": [\"/srv/[ab\"]}", "bad glob");
        mount_refused("{\"targets\": [\"/mnt\"], \"data\": [\"size=\\\\\"]}", "lone \\");
        mount_refused("{\"targets\": [\"/mnt\"], \"fstypes\": [\"[[:nope:]]\"]}", "bad class");
        {
                struct mount_policy *bad = NULL;
                char *why = NULL;

                assert_int_equal(mount_policy_parse("{\"targets\": [\"/mnt\"], "
                                                    "\"sources\": [\"ok\", \"[z-a]\"]}",
                                                    &bad, &why),
                                 -EINVAL);
                assert_non_null(why);
                assert_non_null(strstr(why, "\"sources\": \"[z-a]\" is not a valid glob"));
                free(why);
        }
        mount_refused("{\"targets\": [\"/mnt\"], \"allow_flags\": [\"move\"]}", "MS_MOVE name");
        mount_refused("{\"targets\": [\"/mnt\"], \"allow_flags\": \"bind\"}", "not a list");
        mount_refused("{\"targets\": [\"/mnt\"], \"force_flags\": [\"bind\"]}", "force bind");
        mount_refused("{\"targets\": [\"/mnt\"], \"refuse\": \"EWHATEVER\"}", "bad errno");
        mount_refused("{\"targets\": [\"/mnt\"], \"refuse\": 0}", "errno 0");
        mount_refused("{\"targets\": [\"/mnt\"], \"refuse\": 4096}", "errno 4096");
        mount_refused("{\"targets\": [\"/mnt\"], \"timeout_ms\": 0}", "timeout 0");
        mount_refused("{\"targets\": [\"/mnt\"], \"umount\": 1}", "umount not a boolean");
        mount_refused("{\"targets\": [\"/mnt\"], \"fstypes\": [\"\"]}", "empty fstype");
        mount_refused("{\"targets\": [\"/mnt\"], \"targets\": [\"/x\"]}", "duplicate key");
        mount_refused("{\"targets\": [\"/mnt\"], \"shared_mounts\": \"yes\"}", "shared");

        p = mp("{\"targets\": [\"/mnt\"]}");
        v = mount_policy_refusal(p);
        assert_int_equal(v.kind, SCMPD_VERDICT_RESPOND);
        assert_int_equal(v.error, EPERM);
        assert_false(mount_policy_requires_cap(p));
        mount_policy_free(p);

        p = mp("{\"targets\": [\"/mnt\"], \"refuse\": \"continue\", "
               "\"require_cap_sys_admin\": true}");
        assert_int_equal(mount_policy_refusal(p).kind, SCMPD_VERDICT_CONTINUE);
        assert_true(mount_policy_requires_cap(p));
        mount_policy_free(p);

        p = mp("{\"targets\": [\"/mnt\"], \"refuse\": 13}");
        assert_int_equal(mount_policy_refusal(p).error, EACCES);
        mount_policy_free(p);
        assert_null(mount_policy_free(NULL));
}

static void test_mount_new(void **state)
{
        struct mount_policy *p = mp(MOUNT_CONF);
        struct helper_request req;

        assert_int_equal(do_mount(p, "none", "/mnt", "tmpfs", 0, NULL, &req), EMULATE_ALLOW);
        assert_int_equal(req.op, HELPER_MOUNT);
        assert_false(req.allow_shared);
        assert_string_equal(req.target, "/mnt");
        assert_string_equal(req.fstype, "tmpfs");
        assert_string_equal(req.source, "none");
        assert_false(req.source_is_path);
        assert_int_equal(req.dirfd_copy, -1);

        assert_int_equal(do_mount(p, "none", "/mnt/a/b", "tmpfs", MS_NOSUID | MS_NODEV, NULL, &req),
                         EMULATE_ALLOW);
        assert_int_equal(req.flags, MS_NOSUID | MS_NODEV);
        /* The historic magic in the top bits is dropped, as the kernel does. */
        assert_int_equal(
                do_mount(p, "none", "/run/app", "tmpfs", MS_MGC_VAL | MS_SILENT, NULL, &req),
                EMULATE_ALLOW);
        assert_int_equal(req.flags, MS_SILENT);
        assert_int_equal(do_mount(p, "none", "/mnt", "tmpfs", 0, "size=1m", &req), EMULATE_ALLOW);
        assert_string_equal(req.data, "size=1m");

        /* Types, targets, shapes. */
        assert_int_equal(do_mount(p, "proc", "/mnt", "proc", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mnt", NULL, 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mntx", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mn", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mnt/", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mnt/../etc", "tmpfs", 0, NULL, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mnt/./a", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "//mnt/a", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "mnt/a", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/proc/self/root/mnt", "tmpfs", 0, NULL, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", NULL, "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/proc", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);

        /* Flags outside the default harmless set. */
        assert_int_equal(do_mount(p, "none", "/mnt", "tmpfs", MS_MOVE, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "/x", "/mnt", NULL, MS_BIND, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, NULL, "/mnt", NULL, MS_REMOUNT, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, NULL, "/mnt", NULL, MS_SHARED, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mnt", "tmpfs", 1UL << 40, NULL, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mnt", "tmpfs", MS_MANDLOCK, NULL, NULL),
                         EMULATE_REFUSE);

        /* Sources: a name must not be a number (our fds) or a relative path. */
        assert_int_equal(do_mount(p, "3", "/mnt", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "a/b", "/mnt", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "..", "/mnt", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, NULL, "/mnt", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "/dev/vdb", "/mnt", "ext4", 0, NULL, &req), EMULATE_ALLOW);
        assert_true(req.source_is_path);
        assert_int_equal(do_mount(p, "/dev/../vdb", "/mnt", "ext4", 0, NULL, NULL), EMULATE_REFUSE);

        /* Options: a pointer the copy could not hold is refused. */
        {
                uint64_t args[6] = { 1, 2, 3, 0, 0x1000, 0 };
                const char *strings[6] = { "none", "/mnt", "tmpfs", NULL, NULL, NULL };

                assert_int_equal(mount_policy_check(p, false, args, strings, &req), EMULATE_REFUSE);
        }
        mount_policy_free(p);
}

static void test_mount_policy_options(void **state)
{
        struct mount_policy *p;
        struct helper_request req;

        p = mp("{\"fstypes\": [\"tmpfs\"], \"targets\": [\"/mnt\"], \"sources\": [\"/srv/*\"],"
               " \"allow_flags\": [\"bind\", \"rdonly\", \"remount\", \"private\", \"rec\"],"
               " \"forbid_flags\": [\"rec\"], \"data\": [\"\", \"size=*\"],"
               " \"force_flags\": [\"nosuid\", \"nodev\"]}");
        assert_int_equal(do_mount(p, "/srv/a", "/mnt/x", NULL, MS_BIND, NULL, &req), EMULATE_ALLOW);
        assert_true(req.source_is_path);
        assert_string_equal(req.source, "/srv/a");
        assert_null(req.fstype);
        assert_int_equal(do_mount(p, "/srv/a/b", "/mnt/x", NULL, MS_BIND, NULL, NULL),
                         EMULATE_REFUSE); /* FNM_PATHNAME: * stops at / */
        assert_int_equal(do_mount(p, "/", "/mnt/x", NULL, MS_BIND, NULL, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "/srv/../etc", "/mnt/x", NULL, MS_BIND, NULL, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "/srv/a", "/mnt/x", NULL, MS_BIND | MS_REC, NULL, NULL),
                         EMULATE_REFUSE); /* forbidden after being allowed */
        /* Bind wins over propagation bits, as in the kernel: still a bind. */
        assert_int_equal(do_mount(p, "/srv/a", "/mnt/x", NULL, MS_BIND | MS_PRIVATE, NULL, &req),
                         EMULATE_ALLOW);
        assert_true(req.source_is_path);
        assert_int_equal(do_mount(p, NULL, "/mnt/x", NULL, MS_PRIVATE, NULL, &req), EMULATE_ALLOW);
        assert_null(req.source);
        assert_int_equal(
                do_mount(p, NULL, "/mnt/x", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL, &req),
                EMULATE_ALLOW);
        assert_null(req.source);
        assert_int_equal(req.flags, MS_REMOUNT | MS_BIND | MS_RDONLY);
        /* New mounts get the forced flags; data must match a glob. */
        assert_int_equal(do_mount(p, "/srv/t", "/mnt", "tmpfs", 0, "size=1m", &req), EMULATE_ALLOW);
        assert_int_equal(req.flags, MS_NOSUID | MS_NODEV);
        assert_int_equal(do_mount(p, "/srv/t", "/mnt", "tmpfs", 0, NULL, NULL), EMULATE_ALLOW);
        assert_int_equal(do_mount(p, "/srv/t", "/mnt", "tmpfs", 0, "mode=4777", NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mount(p, "none", "/mnt", "tmpfs", 0, NULL, NULL), EMULATE_REFUSE);
        mount_policy_free(p);
}

static void test_umount(void **state)
{
        struct mount_policy *p = mp(MOUNT_CONF);
        struct helper_request req;
        uint64_t args[6] = { 1, 0 };
        const char *strings[6] = { "/mnt/a" };

        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_ALLOW);
        assert_int_equal(req.op, HELPER_UMOUNT);
        assert_string_equal(req.target, "/mnt/a");
        args[1] = MNT_DETACH | UMOUNT_NOFOLLOW;
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_ALLOW);
        args[1] = MNT_FORCE;
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_REFUSE);
        args[1] = MNT_EXPIRE | MNT_DETACH;
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_REFUSE);
        args[1] = 0;
        strings[0] = "/proc";
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_REFUSE);
        strings[0] = "/mnt/../proc";
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_REFUSE);
        strings[0] = NULL;
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_REFUSE);
        mount_policy_free(p);

        p = mp("{\"targets\": [\"/mnt\"], \"shared_mounts\": true}");
        strings[0] = "/mnt/a";
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_ALLOW);
        assert_true(req.allow_shared);
        mount_policy_free(p);

        p = mp("{\"targets\": [\"/mnt\"], \"umount\": false}");
        strings[0] = "/mnt/a";
        assert_int_equal(mount_policy_check(p, true, args, strings, &req), EMULATE_REFUSE);
        mount_policy_free(p);
}

/* ---- mknod ---- */

static struct mknod_policy *np(const char *json)
{
        struct mknod_policy *p = NULL;
        char *why = NULL;

        assert_int_equal(mknod_policy_parse(json, &p, &why), 0);
        assert_null(why);
        return p;
}

/* The kernel takes dev as an unsigned int in new_encode_dev() form. */
static uint64_t kdev(unsigned major, unsigned minor)
{
        return (minor & 0xffU) | (major << 8) | ((minor & ~0xffU) << 12);
}

static enum emulate_decision do_mknod(const struct mknod_policy *p, bool at, const char *path,
                                      uint64_t mode, uint64_t dev, struct helper_request *req)
{
        uint64_t args[6] = { 0 };
        const char *strings[6] = { NULL };
        struct helper_request dummy;
        unsigned i = at ? 1 : 0;

        if (at)
                args[0] = (uint64_t)(int64_t)-100; /* AT_FDCWD */
        args[i] = 0x1000;
        strings[i] = path;
        args[i + 1] = mode;
        args[i + 2] = dev;
        return mknod_policy_check(p, at, args, strings, req ? req : &dummy);
}

/* A refusal names the clause of the policy that refused (issue 19): the reason starts with
 * "fstype", "source", "target", "flags" or "data" (or "umount"), and names the value at fault. */
static void refused_by(const struct mount_policy *p, bool umount, const char *src, const char *tgt,
                       const char *type, uint64_t flags, const char *data, const char *want_prefix,
                       const char *want_part)
{
        uint64_t args[6] = { 1, umount ? flags : 2, 3, flags, data ? 4 : 0, 0 };
        const char *strings[6] = { src, umount ? NULL : tgt, type, NULL, data, NULL };
        struct helper_request req;
        char why[384] = "unset";

        if (umount)
                strings[0] = tgt;
        assert_int_equal(mount_policy_explain(p, umount, args, strings, &req, why, sizeof(why)),
                         EMULATE_REFUSE);
        if (strncmp(why, want_prefix, strlen(want_prefix)) != 0 ||
            (want_part && !strstr(why, want_part))) {
                print_error("reason \"%s\", want \"%s...%s\"\n", why, want_prefix,
                            want_part ? want_part : "");
                fail();
        }
}

static void test_mount_refusal_clause(void **state)
{
        struct mount_policy *p = mp(MOUNT_CONF);
        struct mount_policy *q =
                mp("{\"fstypes\": [\"tmpfs\"], \"targets\": [\"/mnt\"], \"sources\": [\"/srv/*\"],"
                   " \"allow_flags\": [\"bind\", \"nosuid\"], \"data\": [\"size=*\"]}");
        struct mount_policy *no_umount =
                mp("{\"fstypes\": [\"tmpfs\"], \"targets\": [\"/mnt\"], \"umount\": false}");
        struct helper_request req;
        char why[384] = "unset";
        uint64_t args[6] = { 1, 2, 3, 0, 0, 0 };
        const char *strings[6] = { "none", "/mnt", "tmpfs", NULL, NULL, NULL };

        /* Allowed: no reason. */
        assert_int_equal(mount_policy_explain(p, false, args, strings, &req, why, sizeof(why)),
                         EMULATE_ALLOW);
        assert_string_equal(why, "");

        refused_by(p, false, "proc", "/mnt", "proc", 0, NULL, "fstype: ", "\"proc\"");
        refused_by(p, false, "none", "/mnt", NULL, 0, NULL, "fstype: ", "(none)");
        refused_by(p, false, "none", "/etc", "tmpfs", 0, NULL, "target: ", "\"/etc\"");
        refused_by(p, false, "none", "/mnt/../etc", "tmpfs", 0, NULL, "target: ", "/mnt/../etc");
        refused_by(p, false, "none", "/mnt", "tmpfs", MS_REC, NULL, "flags: ", "\"rec\"");
        refused_by(p, false, "none", "/mnt", "tmpfs", MS_MOVE, NULL, "flags: ", NULL);
        refused_by(p, false, "none", "/mnt", "tmpfs", 1UL << 40, NULL, "flags: ", NULL);
        refused_by(p, false, "3", "/mnt", "tmpfs", 0, NULL, "source: ", "\"3\"");
        refused_by(p, false, NULL, "/mnt", "tmpfs", 0, NULL, "source: ", NULL);
        refused_by(p, false, "/x", "/mnt", NULL, MS_BIND, NULL, "flags: ", "\"bind\"");

        refused_by(q, false, "/etc/x", "/mnt", NULL, MS_BIND, "size=1m", "source: ", "\"/etc/x\"");
        refused_by(q, false, "/srv/../etc", "/mnt", NULL, MS_BIND, "size=1m", "source: ", NULL);
        refused_by(q, false, "none", "/mnt", "tmpfs", 0, "mode=777", "data: ", "\"mode=777\"");
        refused_by(q, false, "none", "/mnt", "tmpfs", MS_NODEV, "size=1m", "flags: ", "\"nodev\"");
        {
                uint64_t a[6] = { 1, 2, 3, 0, 0x1000, 0 }; /* options the copy could not hold */

                assert_int_equal(mount_policy_explain(q, false, a, strings, &req, why, sizeof(why)),
                                 EMULATE_REFUSE);
                assert_memory_equal(why, "data: ", 6);
        }

        refused_by(p, true, NULL, "/proc", NULL, 0, NULL, "target: ", "\"/proc\"");
        refused_by(p, true, NULL, "/mnt/a", NULL, MNT_FORCE, NULL, "flags: ", NULL);
        refused_by(no_umount, true, NULL, "/mnt/a", NULL, 0, NULL, "umount: ", NULL);

        /* No buffer: the same decisions. */
        assert_int_equal(mount_policy_explain(p, false, args, strings, &req, NULL, 0),
                         EMULATE_ALLOW);
        mount_policy_free(no_umount);
        mount_policy_free(q);
        mount_policy_free(p);
}

static void test_mknod(void **state)
{
        static const struct {
                unsigned major, minor;
        } ok[] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 }, { 1, 9 }, { 5, 0 }, { 5, 1 }, { 0, 0 } };
        struct mknod_policy *p = np("{}");
        struct helper_request req;
        char *why = NULL;
        struct mknod_policy *bad = NULL;

        assert_int_equal(mknod_policy_refusal(p).kind, SCMPD_VERDICT_CONTINUE);
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                for (int at = 0; at < 2; at++) {
                        assert_int_equal(do_mknod(p, at, "/dev/x", S_IFCHR | 0666,
                                                  kdev(ok[i].major, ok[i].minor), &req),
                                         EMULATE_ALLOW);
                        assert_int_equal(req.op, HELPER_MKNOD);
                        assert_string_equal(req.path, "/dev/x");
                        assert_int_equal(req.mode, S_IFCHR | 0666);
                        assert_int_equal(major(req.dev), ok[i].major);
                        assert_int_equal(minor(req.dev), ok[i].minor);
                        assert_int_equal(req.dirfd_copy, -1);
                }
        }
        assert_int_equal(do_mknod(p, false, "/dev/tun", S_IFCHR | 0600, kdev(10, 200), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/dev/sda", S_IFBLK | 0600, kdev(8, 0), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/dev/null", S_IFBLK | 0600, kdev(1, 3), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/dev/mem", S_IFCHR | 0600, kdev(1, 1), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/dev/x", S_IFCHR | 0600, kdev(1, 3 + 256), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/dev/x", S_IFCHR | 0600, kdev(1 + 4096, 3), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/f", S_IFREG | 0600, 0, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/f", S_IFIFO | 0600, 0, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/f", 0600, 0, NULL), EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/dev/x", S_IFCHR | 04666, kdev(1, 3), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, "/dev/x", S_IFCHR | 01666, kdev(1, 3), NULL),
                         EMULATE_REFUSE);
        assert_int_equal(
                do_mknod(p, false, "/dev/x", (1ULL << 32) | S_IFCHR | 0666, kdev(1, 3), NULL),
                EMULATE_REFUSE);
        assert_int_equal(do_mknod(p, false, NULL, S_IFCHR | 0666, kdev(1, 3), NULL),
                         EMULATE_REFUSE);
        mknod_policy_free(p);

        p = np("{\"devices\": [\"null\", \"tun\"], \"refuse\": \"EPERM\"}");
        assert_int_equal(mknod_policy_refusal(p).error, EPERM);
        assert_int_equal(do_mknod(p, true, "tun", S_IFCHR | 0600, kdev(10, 200), NULL),
                         EMULATE_ALLOW);
        assert_int_equal(do_mknod(p, true, "null", S_IFCHR | 0600, kdev(1, 3), NULL),
                         EMULATE_ALLOW);
        assert_int_equal(do_mknod(p, true, "zero", S_IFCHR | 0600, kdev(1, 5), NULL),
                         EMULATE_REFUSE);
        mknod_policy_free(p);

        assert_int_equal(mknod_policy_parse("{\"devices\": [\"mem\"]}", &bad, &why), -EINVAL);
        assert_non_null(strstr(why, "unknown device \"mem\""));
        free(why);
        /* A caller that needs no explanation passes NULL. */
        assert_int_equal(mknod_policy_parse("{\"devices\": \"null\"}", &bad, NULL), -EINVAL);
        assert_int_equal(mknod_policy_parse("{\"other\": 1}", &bad, NULL), -EINVAL);
        assert_int_equal(mknod_policy_parse("{\"refuse\": \"nope\"}", &bad, NULL), -EINVAL);
        assert_int_equal(mknod_policy_parse("[]", &bad, NULL), -EINVAL);
        assert_null(bad);
}

/* ---- xattr ---- */

static struct xattr_policy *xp(const char *json)
{
        struct xattr_policy *p = NULL;
        char *why = NULL;

        assert_int_equal(xattr_policy_parse(json, &p, &why), 0);
        assert_null(why);
        assert_non_null(p);
        return p;
}

static enum emulate_decision do_xattr(const struct xattr_policy *p, const char *call,
                                      const char *path, const char *name, uint64_t size,
                                      uint64_t flags, struct helper_request *ret)
{
        uint64_t args[6] = { 3, 0x1000, 0x2000, size, flags, 0 };
        const char *strings[6] = { path, name };
        struct helper_request req;

        return xattr_policy_check(p, xattr_syscall_kind(call), args, strings, ret ? ret : &req);
}

static void test_xattr_parse(void **state)
{
        static const char *const bad[] = {
                "[]",
                "{}",
                "{\"names\": []}",
                "{\"names\": \"trusted.overlay.opaque\"}",
                "{\"names\": [\"user.x\"]}",
                "{\"names\": [\"security.capability\"]}",
                "{\"names\": [\"*\"]}",
                "{\"names\": [\"trusted.[\"]}",
                "{\"names\": [\"trusted.a\"], \"values\": {\"security.x\": [\"y\"]}}",
                "{\"names\": [\"trusted.a\"], \"values\": {\"trusted.a\": \"y\"}}",
                "{\"names\": [\"trusted.a\"], \"values\": {\"trusted.a\": [1]}}",
                "{\"names\": [\"trusted.a\"], \"max_size\": 0}",
                "{\"names\": [\"trusted.a\"], \"max_size\": 65537}",
                "{\"names\": [\"trusted.a\"], \"remove\": 1}",
                "{\"names\": [\"trusted.a\"], \"refuse\": \"nope\"}",
                "{\"names\": [\"trusted.a\"], \"timeout_ms\": 0}",
                "{\"names\": [\"trusted.a\"], \"other\": 1}",
        };
        struct xattr_policy *p = NULL;
        char *why;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why = NULL;
                if (xattr_policy_parse(bad[i], &p, &why) != -EINVAL || !why)
                        fail_msg("accepted: %s", bad[i]);
                free(why);
                assert_null(p);
        }
        p = xp("{\"names\": [\"trusted.overlay.*\"]}");
        assert_int_equal(xattr_policy_refusal(p).kind, SCMPD_VERDICT_CONTINUE);
        xattr_policy_free(p);
        p = xp("{\"names\": [\"trusted.overlay.opaque\"], \"refuse\": \"EPERM\"}");
        assert_int_equal(xattr_policy_refusal(p).error, EPERM);
        xattr_policy_free(p);
}

static void test_xattr_check(void **state)
{
        struct xattr_policy *p = xp("{\"names\": [\"trusted.overlay.*\"],"
                                    " \"values\": {\"trusted.overlay.opaque\": [\"y\", \"x\"]},"
                                    " \"max_size\": 16}");
        struct xattr_policy *noremove =
                xp("{\"names\": [\"trusted.overlay.opaque\"], \"remove\": false}");
        struct helper_request req;
        char long_name[300];

        assert_int_equal(xattr_syscall_kind("setxattr"), 0);
        assert_int_equal(xattr_syscall_kind("fremovexattr"), XATTR_KIND_FD | XATTR_KIND_REMOVE);
        assert_int_equal(xattr_syscall_kind("getxattr"), -1);
        assert_int_equal(xattr_syscall_kind(NULL), -1);

        assert_int_equal(do_xattr(p, "setxattr", "/d", "trusted.overlay.opaque", 1, 0, &req),
                         EMULATE_ALLOW);
        assert_int_equal(req.op, HELPER_XATTR);
        assert_string_equal(req.path, "/d");
        assert_string_equal(req.name, "trusted.overlay.opaque");
        assert_int_equal(req.value_size, 1);
        assert_false(req.remove);
        assert_false(req.nofollow);
        assert_int_equal(req.lend_caps, 1ULL << 21); /* CAP_SYS_ADMIN, nothing else */
        assert_int_equal(
                do_xattr(p, "lsetxattr", "d", "trusted.overlay.redirect", 5, XATTR_CREATE, &req),
                EMULATE_ALLOW);
        assert_true(req.nofollow);
        assert_int_equal(req.xattr_flags, XATTR_CREATE);
        assert_int_equal(do_xattr(p, "fsetxattr", NULL, "trusted.overlay.opaque", 1, 0, &req),
                         EMULATE_ALLOW);
        assert_null(req.path);
        assert_int_equal(do_xattr(p, "removexattr", "/d", "trusted.overlay.opaque", 0, 0, &req),
                         EMULATE_ALLOW);
        assert_true(req.remove);

        /* Refusals on the registers and the copies. */
        assert_int_equal(do_xattr(p, "setxattr", "/d", "trusted.other", 1, 0, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_xattr(p, "setxattr", "/d", "user.overlay.opaque", 1, 0, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_xattr(p, "setxattr", "/d", NULL, 1, 0, NULL), EMULATE_REFUSE);
        assert_int_equal(do_xattr(p, "setxattr", NULL, "trusted.overlay.opaque", 1, 0, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_xattr(p, "setxattr", "", "trusted.overlay.opaque", 1, 0, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_xattr(p, "setxattr", "/d", "trusted.overlay.opaque", 17, 0, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(
                do_xattr(p, "setxattr", "/d", "trusted.overlay.opaque", 1ULL << 32, 0, NULL),
                EMULATE_REFUSE);
        assert_int_equal(do_xattr(p, "setxattr", "/d", "trusted.overlay.opaque", 1, 4, NULL),
                         EMULATE_REFUSE);
        assert_int_equal(do_xattr(p, "getxattr", "/d", "trusted.overlay.opaque", 1, 0, NULL),
                         EMULATE_REFUSE);
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        memcpy(long_name, "trusted.overlay.", 16);
        assert_int_equal(do_xattr(p, "setxattr", "/d", long_name, 1, 0, NULL), EMULATE_REFUSE);
        assert_int_equal(
                do_xattr(noremove, "removexattr", "/d", "trusted.overlay.opaque", 0, 0, NULL),
                EMULATE_REFUSE);
        assert_int_equal(do_xattr(noremove, "setxattr", "/d", "trusted.overlay.opaque", 1, 0, NULL),
                         EMULATE_ALLOW);

        /* Values: exact, for the names a "values" key matches; others take any value. */
        assert_true(xattr_policy_value_ok(p, "trusted.overlay.opaque", "y", 1));
        assert_true(xattr_policy_value_ok(p, "trusted.overlay.opaque", "x", 1));
        assert_false(xattr_policy_value_ok(p, "trusted.overlay.opaque", "z", 1));
        assert_false(xattr_policy_value_ok(p, "trusted.overlay.opaque", "yy", 2));
        assert_false(xattr_policy_value_ok(p, "trusted.overlay.opaque", "y\0", 2));
        assert_false(xattr_policy_value_ok(p, "trusted.overlay.opaque", NULL, 0));
        assert_true(xattr_policy_value_ok(p, "trusted.overlay.redirect", "/a/b", 4));
        xattr_policy_free(noremove);
        xattr_policy_free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_canonical),   cmocka_unit_test(test_mount_parse),
                cmocka_unit_test(test_mount_new),   cmocka_unit_test(test_mount_policy_options),
                cmocka_unit_test(test_umount),      cmocka_unit_test(test_mount_refusal_clause),
                cmocka_unit_test(test_mknod),       cmocka_unit_test(test_xattr_parse),
                cmocka_unit_test(test_xattr_check),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
