/*
 * Runtime naming: which program handed a listener over, for `scmpctl listeners` and the control
 * protocol's "runtime" key.
 *
 * Model. The name is built from two kinds of input, and says which it rests on:
 *   - a fact the kernel attests: the executable of the peer process at accept time
 *     (SO_PEERCRED's pid, read through /proc/<pid>/exe, or /proc/<pid>/comm where the link
 *     names no file, pinned with SO_PEERPIDFD, so that a pid reused in between is noticed). runc
 * and crun connect themselves (runc `create`/`run`, crun's parent before it clones), and so does
 * `scmpctl run`: their executable's name is what they are (for crun, the name of the memfd copy it
 * runs from). A peer can name its executable anything, so the fact is the file name, not a proof of
 * the program;
 *   - claims in the payload: the annotations of the manager that runs runc or crun, which then
 *     connect ("podman/crun": io.container.manager=libpod; "cri-o/runc": =cri-o;
 *     "containerd/runc": containerd's CRI annotation io.kubernetes.cri.container-type), and the
 *     member "scmpdSender" that scmpd_handoff_build() writes ("libscmpd").
 * Order: a runtime's executable (runc, crun, scmpctl, with a manager's claim on top of runc or
 * crun), else libscmpd's claim, else the executable's own name (a runtime scmpd does not know,
 * "python3" for a test's fake runtime), else the name of another listener of the same container
 * (session.c: a peer such as `runc exec -d` may exit before its executable is read), else
 * "unknown".
 *
 * Invariant: the name is informational. Nothing in scmpd decides on it (policies match the
 * payload's claims and the attested peer credentials, scmpd.json(5)); it is never a privilege.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon.h"
#include "util.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* Keep a name readable and bounded: [A-Za-z0-9._+-], the rest becomes '_'. */
static void copy_name(char *dst, size_t size, const char *src, size_t len)
{
        size_t i;

        for (i = 0; i + 1 < size && i < len && src[i]; i++) {
                char ch = src[i];

                dst[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                         (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
                                         ch == '-' || ch == '+'
                                 ? ch
                                 : '_';
        }
        dst[i] = 0;
}

/* The name in an exe link: the file's name, "" when the link names none. */
static void exe_name(char *target, char ret[PEER_EXE_MAX])
{
        size_t len = strlen(target);
        const char *base;

        /* "/usr/sbin/runc", or "/usr/bin/crun (deleted)" after an upgrade. runc (for its init)
         * and crun re-execute themselves from a sealed memfd copy, against CVE-2019-5736:
         * "/memfd:crun_cloned:/proc/self/exe (deleted)" is crun. */
        if (len > 10 && strcmp(target + len - 10, " (deleted)") == 0)
                target[len -= 10] = 0;
        if (strncmp(target, "/memfd:", 7) == 0) {
                base = target + 7;
                len = strcspn(base, ": ");
                if (len > 7 && strncmp(base + len - 7, "_cloned", 7) == 0)
                        len -= 7;
                copy_name(ret, PEER_EXE_MAX, base, len);
                return;
        }
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        copy_name(ret, PEER_EXE_MAX, base, strlen(base));
}

int runtime_peer_exe(int sock, pid_t pid, char ret[PEER_EXE_MAX])
{
        char path[64], target[4096];
        int pidfd = -1, fd;
        socklen_t len = sizeof(pidfd);
        ssize_t n;

        ret[0] = 0;
        if (pid <= 0)
                return -ESRCH;
        /* Pin the process first: if it is still alive after the reads, the pid was not reused,
         * so what was read was that process's. Kernels before 6.5 have no SO_PEERPIDFD; then the
         * pid is read as it is (the peer is in its handoff right now). */
        if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
                pidfd = -1;
        snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
        n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = 0;
                exe_name(target, ret);
        }
        /* crun 1.8 runs from a memfd whose link reads "/" from here: then the name the kernel
         * keeps for the task, /proc/<pid>/comm. */
        if (!ret[0]) {
                snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
                fd = open(path, O_RDONLY | O_CLOEXEC);
                n = fd >= 0 ? read(fd, target, 16) : -1;
                safe_close(fd);
                if (n > 0 && target[n - 1] == '\n')
                        n--;
                if (n > 0)
                        copy_name(ret, PEER_EXE_MAX, target, (size_t)n);
        }
        if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
                ret[0] = 0;
        safe_close(pidfd);
        return ret[0] ? 0 : -ESRCH;
}

/* Who runs runc or crun, by the payload's claims: podman and CRI-O write io.container.manager
 * ("libpod", "cri-o"); containerd's CRI plugin writes io.kubernetes.cri.container-type. */
static const char *runtime_manager(const struct scmpd_handoff_state *o)
{
        const char *m = o ? scmpd_handoff_state_annotation(o, "io.container.manager") : NULL;

        if (m && strcmp(m, "libpod") == 0)
                return "podman";
        if (m && strcmp(m, "cri-o") == 0)
                return "cri-o";
        if (o && scmpd_handoff_state_annotation(o, "io.kubernetes.cri.container-type"))
                return "containerd";
        return NULL;
}

void runtime_derive(const struct peer_facts *peer, const struct scmpd_handoff_state *o,
                    char ret[SESSION_RUNTIME_MAX])
{
        const char *exe = peer && peer->known ? peer->exe : "";
        bool oci = strcmp(exe, "runc") == 0 || strcmp(exe, "crun") == 0;
        const char *manager = oci ? runtime_manager(o) : NULL;

        if (manager) /* "containerd/runc" is the longest: 15 characters */
                snprintf(ret, SESSION_RUNTIME_MAX, "%.10s/%.4s", manager, exe);
        else if (oci || strcmp(exe, "scmpctl") == 0)
                snprintf(ret, SESSION_RUNTIME_MAX, "%s", exe);
        else if (o && o->sender && strcmp(o->sender, "libscmpd") == 0)
                snprintf(ret, SESSION_RUNTIME_MAX, "libscmpd");
        else if (exe[0])
                snprintf(ret, SESSION_RUNTIME_MAX, "%s", exe);
        else
                snprintf(ret, SESSION_RUNTIME_MAX, "unknown");
}

void session_set_runtime(struct session *s, const char *name)
{
        copy_name(s->runtime, sizeof(s->runtime), name ? name : "unknown", name ? strlen(name) : 7);
        if (!s->runtime[0])
                snprintf(s->runtime, sizeof(s->runtime), "unknown");
}
