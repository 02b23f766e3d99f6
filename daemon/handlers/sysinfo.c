/*
 * The sysinfo handler: answers sysinfo(2) with the container's view instead of the host's, so
 * that `free`, `uptime` and `top` inside a container report its memory limit and its own age.
 *
 *   totalram, freeram     the memory limit of the caller's memory cgroup (the lowest limit on
 *                         the way to the root, cgroup v1 or v2) and the limit less the usage of
 *                         the cgroup that sets it; without a limit below the host's RAM, the
 *                         host's values, as the kernel gives them
 *   totalswap, freeswap   the same for swap (v1: memsw less mem; v2: memory.swap.*), bounded
 *                         by the host's swap; the host's when the cgroup has no swap files
 *   sharedram, bufferram  0 under a limit (no per-cgroup figure), else the host's
 *   uptime                seconds since the init of the caller's pid namespace started: the
 *                         kernel translates pid 1 of that namespace to scmpd's pid
 *                         (target_pidns_init()), and the process found is checked to be pid 1
 *                         of that very namespace, so the start time is a fact the container
 *                         cannot choose (the handoff payload's pid is only the runtime's word)
 *   procs                 pids.current of the caller's pids cgroup: the kernel's own count of
 *                         its tasks (threads, as sysinfo's procs counts threads), exact and
 *                         read in O(1), which for an OCI container holds the same tasks as its
 *                         pid namespace; counting the namespace's tasks instead would mean
 *                         walking every process of the host per call. The host's count when
 *                         the cgroup has no pids controller. At most 65535 (the field is 16
 *                         bits; the kernel truncates, this clamps).
 *   loads                 the host's, as the kernel gives a container
 *   mem_unit              as the kernel chooses it: 1 (bytes) when RAM plus swap fit in an
 *                         unsigned long, else the page size
 *
 * Every cgroup file is read from scmpd's own view of the cgroup filesystems (their mount points
 * from /proc/self/mountinfo); only the cgroup path comes from the target, from its
 * /proc/<tid>/cgroup read through the validated /proc directory, and it must be canonical.
 *
 * The answer is written with target_write(): exactly sizeof(struct sysinfo) bytes at the
 * caller's pointer, and only when all of them are mapped writable, so a NULL, unmapped or
 * read-only pointer gets EFAULT as from the kernel. Only the native ABI is emulated (the i386
 * struct is laid out differently); other callers get the refusal verdict, "continue" by default.
 *
 * Configuration: {"memory": true, "uptime": true, "procs": true, "refuse": "continue"}; a field
 * switched off keeps the host's value.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "../policy.h"
#include "emulate.h"
#include "scmpd/arch.h"
#include "util.h"

struct sysinfo_policy {
        const struct scmpd_handler_host *host;
        bool memory, uptime, procs;
        struct scmpd_verdict refusal;
};

struct sysinfo_policy *sysinfo_policy_free(struct sysinfo_policy *p)
{
        free(p);
        return NULL;
}

int sysinfo_policy_parse(const char *json, struct sysinfo_policy **ret, char **ret_error)
{
        static const char *const keys[] = { "memory", "uptime", "procs", "refuse" };
        json_auto_t *root = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
        struct sysinfo_policy *p;
        const char *key;
        json_t *v;

        if (!json_is_object(root)) {
                if (ret_error)
                        *ret_error = strdup("the configuration is not a JSON object");
                return -EINVAL;
        }
        json_object_foreach (root, key, v) {
                size_t i;

                for (i = 0; i < ELEMENTSOF(keys); i++)
                        if (strcmp(keys[i], key) == 0)
                                break;
                if (i == ELEMENTSOF(keys)) {
                        if (ret_error)
                                *ret_error = strdup(
                                        "unknown key in the configuration (memory, uptime, procs, "
                                        "refuse)");
                        return -EINVAL;
                }
                if (i < 3 && !json_is_boolean(v)) {
                        if (ret_error)
                                *ret_error = strdup(
                                        "\"memory\", \"uptime\" and \"procs\" must be booleans");
                        return -EINVAL;
                }
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->memory = !json_is_false(json_object_get(root, "memory"));
        p->uptime = !json_is_false(json_object_get(root, "uptime"));
        p->procs = !json_is_false(json_object_get(root, "procs"));
        if (emulate_parse_refusal(json_object_get(root, "refuse"),
                                  (struct scmpd_verdict){ .kind = SCMPD_VERDICT_CONTINUE },
                                  &p->refusal) < 0) {
                free(p);
                if (ret_error)
                        *ret_error =
                                strdup("\"refuse\" must be \"continue\", an errno name or 1..4095");
                return -EINVAL;
        }
        *ret = p;
        return 0;
}

void sysinfo_fill(struct sysinfo *si, const struct sysinfo_view *v)
{
        unsigned long long unit = 1, sum = v->totalram + v->totalswap;

        memset(si, 0, sizeof(*si));
        si->uptime = (long)v->uptime;
        for (int i = 0; i < 3; i++)
                si->loads[i] = v->loads[i];
        si->procs = (unsigned short)(v->procs > 0xffff ? 0xffff : v->procs);
        /* The kernel's rule: bytes when RAM plus swap fit in an unsigned long, else pages. */
        if (sum < v->totalram || sum > (unsigned long long)(unsigned long)-1)
                unit = (unsigned long long)sysconf(_SC_PAGESIZE);
        si->mem_unit = (unsigned)unit;
        si->totalram = (unsigned long)(v->totalram / unit);
        si->freeram = (unsigned long)(v->freeram / unit);
        si->sharedram = (unsigned long)(v->sharedram / unit);
        si->bufferram = (unsigned long)(v->bufferram / unit);
        si->totalswap = (unsigned long)(v->totalswap / unit);
        si->freeswap = (unsigned long)(v->freeswap / unit);
}

/* ---- cgroups, from scmpd's view ---- */

/* The mount point of the cgroup v1 hierarchy that has `controller`, or of cgroup2 (controller
 * NULL), mounted at the hierarchy's root; from /proc/self/mountinfo. */
static int cgroup_mount(const char *controller, char *buf, size_t size)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        int r = -ENOENT;

        if (!f)
                return negative_errno();
        while (r < 0 && fgets(line, sizeof(line), f)) {
                char root[512], mnt[512], *sep, fstype[32], opts[1024];

                if (sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
                    strcmp(root, "/") != 0)
                        continue;
                sep = strstr(line, " - ");
                if (!sep || sscanf(sep, " - %31s %*s %1023s", fstype, opts) != 2)
                        continue;
                if (controller ? strcmp(fstype, "cgroup") != 0 : strcmp(fstype, "cgroup2") != 0)
                        continue;
                if (controller) {
                        bool has = false;

                        for (char *o = strtok(opts, ","); o; o = strtok(NULL, ","))
                                has |= strcmp(o, controller) == 0;
                        if (!has)
                                continue;
                }
                if (strchr(mnt, '\\') || strlen(mnt) >= size)
                        continue; /* an escaped name: not a standard mount point */
                snprintf(buf, size, "%s", mnt);
                r = 0;
        }
        fclose(f);
        return r;
}

/* The path of the target's cgroup in the v1 hierarchy with `controller`, or in cgroup2
 * (controller NULL), from the text of its /proc/<tid>/cgroup; canonical or refused. */
int sysinfo_cgroup_path(const char *text, const char *controller, char *buf, size_t size)
{
        for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                const char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                const char *eol = strchr(l, '\n');
                size_t len;
                bool match = false;

                if (!c2 || (eol && c2 > eol))
                        continue;
                len = eol ? (size_t)(eol - (c2 + 1)) : strlen(c2 + 1);
                if (!controller) {
                        match = c1 - l == 1 && l[0] == '0' && c2 == c1 + 1;
                } else {
                        size_t cl = strlen(controller);

                        for (const char *c = c1 + 1; c < c2;) {
                                const char *e = memchr(c, ',', (size_t)(c2 - c));
                                size_t n = e ? (size_t)(e - c) : (size_t)(c2 - c);

                                match |= n == cl && strncmp(c, controller, cl) == 0;
                                c += n + 1;
                        }
                }
                if (!match)
                        continue;
                if (len >= size)
                        return -ENAMETOOLONG;
                memcpy(buf, c2 + 1, len);
                buf[len] = '\0';
                return helper_path_is_canonical(buf) ? 0 : -EBADMSG;
        }
        return -ENOENT;
}

/* A cgroup file holding one number, or "max" (UINT64_MAX). */
static int read_u64(const char *mnt, const char *dir, const char *file, uint64_t *ret)
{
        char path[8192], buf[64], *end;
        unsigned long long v;
        ssize_t n;
        int fd;

        if ((size_t)snprintf(path, sizeof(path), "%s%s/%s", mnt, strcmp(dir, "/") ? dir : "",
                             file) >= sizeof(path))
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        if (strncmp(buf, "max", 3) == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno || end == buf)
                return -EBADMSG;
        *ret = v;
        return 0;
}

/* The lowest value of `file` from `path` up to the hierarchy's root, and the cgroup that sets
 * it (into `at`). -ENOENT when no level has the file. */
static int lowest_up(const char *mnt, const char *path, const char *file, uint64_t *ret, char *at,
                     size_t at_size)
{
        char cur[4096];
        uint64_t best = UINT64_MAX, v;
        bool any = false;

        snprintf(cur, sizeof(cur), "%s", path);
        snprintf(at, at_size, "%s", path);
        for (;;) {
                if (read_u64(mnt, cur, file, &v) == 0) {
                        any = true;
                        if (v < best) {
                                best = v;
                                snprintf(at, at_size, "%s", cur);
                        }
                }
                if (strcmp(cur, "/") == 0)
                        break;
                char *slash = strrchr(cur, '/');
                if (slash == cur)
                        cur[1] = '\0';
                else
                        *slash = '\0';
        }
        if (!any)
                return -ENOENT;
        *ret = best;
        return 0;
}

static uint64_t sub_floor(uint64_t a, uint64_t b)
{
        return a > b ? a - b : 0;
}

bool sysinfo_cgroup_memory(const char *mnt, const char *path, bool v2, struct sysinfo_view *v)
{
        char at[4096];
        uint64_t limit, usage, sw_limit, sw_usage, memsw_limit, memsw_usage;

        if (lowest_up(mnt, path, v2 ? "memory.max" : "memory.limit_in_bytes", &limit, at,
                      sizeof(at)) < 0 ||
            limit >= v->totalram)
                return false;
        if (read_u64(mnt, at, v2 ? "memory.current" : "memory.usage_in_bytes", &usage) < 0)
                return false;
        v->totalram = limit;
        v->freeram = sub_floor(limit, usage);
        v->sharedram = 0;
        v->bufferram = 0;
        if (v2) {
                if (lowest_up(mnt, path, "memory.swap.max", &sw_limit, at, sizeof(at)) < 0 ||
                    read_u64(mnt, at, "memory.swap.current", &sw_usage) < 0)
                        return true; /* no swap accounting: the host's swap */
        } else {
                if (lowest_up(mnt, path, "memory.memsw.limit_in_bytes", &memsw_limit, at,
                              sizeof(at)) < 0 ||
                    read_u64(mnt, at, "memory.memsw.usage_in_bytes", &memsw_usage) < 0)
                        return true;
                sw_limit = sub_floor(memsw_limit, limit);
                sw_usage = sub_floor(memsw_usage, usage);
        }
        if (sw_limit < v->totalswap) {
                v->totalswap = sw_limit;
                v->freeswap = sub_floor(sw_limit, sw_usage);
        }
        return true;
}

/* Memory and swap of the target's cgroup (v1 where this host has a memory hierarchy, else v2)
 * into *v; false when no limit below the host's RAM applies. */
static bool cgroup_memory(const char *cgtext, struct sysinfo_view *v)
{
        char mnt[512], path[4096];

        if (cgroup_mount("memory", mnt, sizeof(mnt)) == 0 &&
            sysinfo_cgroup_path(cgtext, "memory", path, sizeof(path)) == 0)
                return sysinfo_cgroup_memory(mnt, path, false, v);
        if (cgroup_mount(NULL, mnt, sizeof(mnt)) == 0 &&
            sysinfo_cgroup_path(cgtext, NULL, path, sizeof(path)) == 0)
                return sysinfo_cgroup_memory(mnt, path, true, v);
        return false;
}

/* pids.current of the target's pids cgroup (v1 "pids", else v2). */
static int cgroup_procs(const char *cgtext, uint64_t *ret)
{
        char mnt[512], path[4096];

        if (cgroup_mount("pids", mnt, sizeof(mnt)) == 0 &&
            sysinfo_cgroup_path(cgtext, "pids", path, sizeof(path)) == 0 &&
            read_u64(mnt, path, "pids.current", ret) == 0)
                return 0;
        if (cgroup_mount(NULL, mnt, sizeof(mnt)) == 0 &&
            sysinfo_cgroup_path(cgtext, NULL, path, sizeof(path)) == 0 &&
            read_u64(mnt, path, "pids.current", ret) == 0)
                return 0;
        return -ENOENT;
}

/* ---- the handler ---- */

#define say(p, level, ...) emulate_log((p)->host, level, __VA_ARGS__)

EMULATE_DEFINE_START_STOP(sysinfo)

/* The container's view of the target into *v; a part that cannot be read keeps the host's. */
static int build_view(const struct sysinfo_policy *p, const struct target *t,
                      struct sysinfo_view *v, bool *ret_limited)
{
        _cleanup_free_ char *cg = NULL;
        struct sysinfo h;
        struct timespec now;
        uint64_t start_ns, procs;
        pid_t init;
        ssize_t n;
        int r;

        if (sysinfo(&h) < 0)
                return negative_errno();
        *v = (struct sysinfo_view){
                .uptime = (uint64_t)h.uptime,
                .loads = { h.loads[0], h.loads[1], h.loads[2] },
                .procs = h.procs,
                .totalram = (uint64_t)h.totalram * h.mem_unit,
                .freeram = (uint64_t)h.freeram * h.mem_unit,
                .sharedram = (uint64_t)h.sharedram * h.mem_unit,
                .bufferram = (uint64_t)h.bufferram * h.mem_unit,
                .totalswap = (uint64_t)h.totalswap * h.mem_unit,
                .freeswap = (uint64_t)h.freeswap * h.mem_unit,
        };
        *ret_limited = false;
        if (p->memory || p->procs) {
                cg = malloc(8192);
                if (!cg)
                        return -ENOMEM;
                n = target_read_proc(t, "cgroup", cg, 8192);
                if (n == -ENOENT)
                        return -ENOENT;
                if (n < 0)
                        cg[0] = '\0';
                if (p->memory)
                        *ret_limited = cgroup_memory(cg, v);
                if (p->procs && cgroup_procs(cg, &procs) == 0)
                        v->procs = procs;
        }
        if (p->uptime) {
                r = target_pidns_init(t, &init, &start_ns);
                if (r == -ENOENT)
                        return r;
                if (r == 0 && clock_gettime(CLOCK_BOOTTIME, &now) == 0) {
                        uint64_t now_ns =
                                (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
                        uint64_t d = sub_floor(now_ns, start_ns);

                        /* Whole seconds, a started one counting, as the kernel rounds. */
                        v->uptime = d / 1000000000ULL + (d % 1000000000ULL ? 1 : 0);
                }
        }
        return 0;
}

static void sysinfo_handle(void *state, const struct scmpd_notification *n,
                           struct scmpd_deferred *deferred, struct scmpd_verdict *ret)
{
        const struct sysinfo_policy *p = state;
        const struct scmpd_arch *native = scmpd_arch_native();
        struct target t = TARGET_INIT;
        struct sysinfo_view v;
        struct sysinfo si;
        bool limited;
        int r;

        *ret = p->refusal;
        if (!n->syscall || strcmp(n->syscall, "sysinfo") != 0) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_NOT_HANDLED };
                return;
        }
        if (!native || n->arch != native->token || (n->nr & SCMPD_X32_SYSCALL_BIT))
                return; /* another ABI's struct sysinfo */
        r = target_open(deferred->listener_fd, n->id, n->tid, &t);
        if (r == -ENOENT) {
                *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = ENOENT };
                return;
        }
        if (r < 0) {
                say(p, LOG_WARNING, "tid %d: cannot open the target: %s", (int)n->tid,
                    strerror(-r));
                return;
        }
        r = build_view(p, &t, &v, &limited);
        if (r < 0) {
                if (r != -ENOENT)
                        say(p, LOG_WARNING, "tid %d: cannot build its view: %s", (int)n->tid,
                            strerror(-r));
                else
                        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND,
                                                       .error = ENOENT };
                goto out;
        }
        sysinfo_fill(&si, &v);
        r = target_write(&t, n->args[0], &si, sizeof(si));
        if (r < 0 && r != -EFAULT && r != -ENOENT) {
                say(p, LOG_WARNING, "tid %d: cannot write its answer: %s", (int)n->tid,
                    strerror(-r));
                goto out;
        }
        if (r == 0)
                say(p, LOG_DEBUG,
                    "tid %d: sysinfo: ram %llu/%llu (%s), swap %llu/%llu, up %llu s, %llu procs",
                    (int)n->tid, (unsigned long long)v.freeram, (unsigned long long)v.totalram,
                    limited ? "cgroup" : "host", (unsigned long long)v.freeswap,
                    (unsigned long long)v.totalswap, (unsigned long long)v.uptime,
                    (unsigned long long)v.procs);
        else if (r == -EFAULT)
                say(p, LOG_INFO, "tid %d: sysinfo to 0x%llx: not writable, EFAULT", (int)n->tid,
                    (unsigned long long)n->args[0]);
        *ret = (struct scmpd_verdict){ .kind = SCMPD_VERDICT_RESPOND, .error = -r };
out:
        target_close(&t);
}

const struct scmpd_handler_ops sysinfo_handler_ops = {
        .abi_version = SCMPD_HANDLER_ABI_VERSION,
        .flags = SCMPD_HANDLER_BLOCKING,
        .name = "sysinfo",
        .start = sysinfo_start,
        .stop = sysinfo_stop,
        .handle = sysinfo_handle,
};
