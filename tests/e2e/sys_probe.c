/*
 * A static probe copied into the e2e containers (busybox has no chrt, and no way to pass
 * sysinfo(2) a hostile pointer). Each command prints one "PROBE: ..." line per result; the
 * e2e script decides what is right. The set commands add "now=POLICY/PRIO/NICE": what the
 * kernel says is in force for the thread afterwards.
 *
 *   sysinfo                    the struct: totalram, freeram, totalswap, mem_unit, uptime, procs
 *   efault                     sysinfo(NULL), into a read-only page (checked unchanged after),
 *                              across the end of a writable page into a hole
 *   chrt POLICY PRIO [PID]     sched_setscheduler(PID or 0, fifo|rr|other|batch|idle, PRIO)
 *   setparam FIRST PRIO        sched_setscheduler(0, fifo, FIRST), then sched_setparam(0, PRIO)
 *   setattr POLICY PRIO NICE   sched_setattr(0) with a version-0 struct
 *   get [PID]                  sched_getscheduler/sched_getparam: "policy=N prio=N"
 *   attr-fault                 sched_setattr(0, NULL), an unmapped pointer, a size past a page
 *   nocap POLICY PRIO          drop CAP_SYS_NICE, then chrt
 *   race N                     a thread flips the sched_attr's priority between 5 and 50 and its
 *                              size between 48 and 4095 while the main thread calls
 *                              sched_setattr(fifo) N times; after each call the priority in force
 *                              is read back: "violations" counts any above 10
 */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

struct attr {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t prio;
        uint64_t runtime, deadline, period;
};

/* The errno of a failed call as a name, in a buffer of its own (later calls change errno). */
static const char *err(long r)
{
        static const struct {
                int e;
                const char *name;
        } names[] = { { EPERM, "EPERM" }, { EFAULT, "EFAULT" }, { EINVAL, "EINVAL" },
                      { ESRCH, "ESRCH" }, { E2BIG, "E2BIG" },   { ENOSYS, "ENOSYS" } };
        static char bufs[4][16];
        static int next;
        char *buf = bufs[next++ % 4];

        if (r >= 0)
                return "0";
        snprintf(buf, sizeof(bufs[0]), "errno%d", errno);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (names[i].e == errno)
                        snprintf(buf, sizeof(bufs[0]), "%s", names[i].name);
        return buf;
}

static int policy_of(const char *s)
{
        if (!strcmp(s, "fifo"))
                return SCHED_FIFO;
        if (!strcmp(s, "rr"))
                return SCHED_RR;
        if (!strcmp(s, "batch"))
                return SCHED_BATCH;
        if (!strcmp(s, "idle"))
                return SCHED_IDLE;
        if (!strcmp(s, "deadline"))
                return 6;
        return SCHED_OTHER;
}

/* The policy and priority in force for pid (0: us), and our nice value: "1/5/0". */
static const char *now(pid_t pid)
{
        static char buf[64];
        struct sched_param sp = { 0 };
        int pol = sched_getscheduler(pid);

        if (pol > 0)
                pol &= ~SCHED_RESET_ON_FORK;
        sched_getparam(pid, &sp);
        errno = 0;
        snprintf(buf, sizeof(buf), "%d/%d/%d", pol, sp.sched_priority,
                 pid ? 0 : getpriority(PRIO_PROCESS, 0));
        return buf;
}

static volatile struct attr race_attr;
static atomic_bool race_stop;

static void *racer(void *arg)
{
        (void)arg;
        while (!atomic_load(&race_stop)) {
                race_attr.prio = 50;
                race_attr.size = 4095;
                for (volatile int i = 0; i < 500; i++)
                        ;
                race_attr.prio = 5;
                race_attr.size = 48;
                for (volatile int i = 0; i < 500; i++)
                        ;
        }
        return NULL;
}

int main(int argc, char **argv)
{
        long page = sysconf(_SC_PAGESIZE);
        const char *cmd = argc > 1 ? argv[1] : "";
        struct sched_param sp;
        const char *e;
        long r;

        setvbuf(stdout, NULL, _IONBF, 0);
        if (!strcmp(cmd, "sysinfo")) {
                struct sysinfo si;

                r = sysinfo(&si);
                printf("PROBE: sysinfo rc=%s totalram=%lu freeram=%lu totalswap=%lu mem_unit=%u "
                       "uptime=%ld procs=%u\n",
                       err(r), si.totalram, si.freeram, si.totalswap, si.mem_unit, si.uptime,
                       si.procs);
        } else if (!strcmp(cmd, "efault")) {
                char *ro = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                char *edge = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                int same = 1;

                memset(ro, 'r', (size_t)page);
                mprotect(ro, (size_t)page, PROT_READ);
                munmap(edge + page, (size_t)page);
                r = syscall(SYS_sysinfo, NULL);
                printf("PROBE: sysinfo NULL rc=%s\n", err(r));
                r = syscall(SYS_sysinfo, ro);
                for (long i = 0; i < page; i++)
                        same &= ro[i] == 'r';
                printf("PROBE: sysinfo read-only rc=%s unchanged=%d\n", err(r), same);
                r = syscall(SYS_sysinfo, edge + page - 16);
                printf("PROBE: sysinfo crossing rc=%s\n", err(r));
        } else if (!strcmp(cmd, "chrt") && argc >= 4) {
                sp.sched_priority = atoi(argv[3]);
                pid_t pid = argc > 4 ? atoi(argv[4]) : 0;

                r = sched_setscheduler(pid, policy_of(argv[2]), &sp);
                e = err(r);
                printf("PROBE: chrt %s %s%s%s rc=%s now=%s\n", argv[2], argv[3], pid ? " " : "",
                       pid ? argv[4] : "", e, now(pid));
        } else if (!strcmp(cmd, "setparam") && argc >= 4) {
                sp.sched_priority = atoi(argv[2]);
                r = sched_setscheduler(0, SCHED_FIFO, &sp);
                e = err(r);
                printf("PROBE: fifo %s rc=%s now=%s\n", argv[2], e, now(0));
                sp.sched_priority = atoi(argv[3]);
                r = sched_setparam(0, &sp);
                e = err(r);
                printf("PROBE: setparam %s rc=%s now=%s\n", argv[3], e, now(0));
        } else if (!strcmp(cmd, "setattr") && argc >= 5) {
                struct attr a = { .size = 48,
                                  .policy = (uint32_t)policy_of(argv[2]),
                                  .prio = (uint32_t)atoi(argv[3]),
                                  .nice = atoi(argv[4]) };

                r = syscall(SYS_sched_setattr, 0, &a, 0);
                e = err(r);
                printf("PROBE: setattr %s %s %s rc=%s now=%s\n", argv[2], argv[3], argv[4], e,
                       now(0));
        } else if (!strcmp(cmd, "get")) {
                pid_t pid = argc > 2 ? atoi(argv[2]) : 0;
                int pol = sched_getscheduler(pid);

                sched_getparam(pid, &sp);
                printf("PROBE: get policy=%d prio=%d nice=%d\n", pol & ~SCHED_RESET_ON_FORK,
                       sp.sched_priority, pid ? 0 : nice(0));
        } else if (!strcmp(cmd, "attr-fault")) {
                char *edge = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                struct attr *a;

                munmap(edge + page, (size_t)page);
                r = syscall(SYS_sched_setattr, 0, NULL, 0);
                printf("PROBE: setattr NULL rc=%s\n", err(r));
                r = syscall(SYS_sched_setattr, 0, edge + page, 0);
                printf("PROBE: setattr unmapped rc=%s\n", err(r));
                a = (struct attr *)(edge + page - 24); /* size and policy readable, rest not */
                memset(a, 0, 24);
                a->size = 48;
                a->policy = SCHED_FIFO;
                r = syscall(SYS_sched_setattr, 0, a, 0);
                printf("PROBE: setattr crossing rc=%s\n", err(r));
                a = (struct attr *)edge;
                memset(edge, 0, (size_t)page);
                a->size = 64;
                a->policy = SCHED_FIFO;
                a->prio = 5;
                edge[60] = 1; /* a field this kernel does not know, not zero */
                r = syscall(SYS_sched_setattr, 0, a, 0);
                printf("PROBE: setattr unknown-tail rc=%s size-now=%u\n", err(r), a->size);
        } else if (!strcmp(cmd, "nocap") && argc >= 4) {
                struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
                struct __user_cap_data_struct d[2];

                syscall(SYS_capget, &h, d);
                d[0].effective &= ~(1U << CAP_SYS_NICE);
                syscall(SYS_capset, &h, d);
                sp.sched_priority = atoi(argv[3]);
                r = sched_setscheduler(0, policy_of(argv[2]), &sp);
                printf("PROBE: nocap chrt %s %s rc=%s\n", argv[2], argv[3], err(r));
        } else if (!strcmp(cmd, "race") && argc >= 3) {
                int n = atoi(argv[2]), ok = 0, refused = 0, other = 0, violations = 0;
                pthread_t th;

                race_attr.size = 48;
                race_attr.policy = SCHED_FIFO;
                race_attr.prio = 5;
                pthread_create(&th, NULL, racer, NULL);
                for (int i = 0; i < n; i++) {
                        r = syscall(SYS_sched_setattr, 0, (void *)&race_attr, 0);
                        if (r == 0)
                                ok++;
                        else if (errno == EPERM)
                                refused++;
                        else
                                other++;
                        if (sched_getparam(0, &sp) == 0 && sp.sched_priority > 10)
                                violations++;
                }
                atomic_store(&race_stop, 1);
                pthread_join(th, NULL);
                printf("PROBE: race n=%d ok=%d refused=%d other=%d violations=%d\n", n, ok, refused,
                       other, violations);
        } else {
                fprintf(stderr, "usage: see the comment at the top of sys_probe.c\n");
                return 2;
        }
        return 0;
}
