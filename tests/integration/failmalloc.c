/*
 * An LD_PRELOAD allocation-failure injector for scmpd's fault tests. It replaces malloc, calloc,
 * realloc, reallocarray, posix_memalign, aligned_alloc and memalign; once armed, every
 * FAILMALLOC_EVERY-th call fails with ENOMEM (the others go to glibc's implementation).
 *
 *   FAILMALLOC_EVERY=N      fail one allocation in N (unset or 0: never)
 *   FAILMALLOC_AFTER_MS=T   arm T ms after the process started (so start-up is not the test)
 *
 * The count of failed allocations is kept in a counter that the process's own code cannot see;
 * the test reads the figure from scmpd's behaviour instead (answers, logs, survival). Calls are
 * counted with a relaxed atomic, so the injector is safe on the worker threads too.
 */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

/* The build hides symbols by default; these must interpose on glibc's. */
#define EXPORT __attribute__((visibility("default")))

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

static atomic_ulong calls;
static unsigned long every;
static long long arm_at_ns = -1; /* -1: not configured yet; LLONG_MAX: never */

static long long now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((constructor)) static void failmalloc_init(void)
{
        const char *e = getenv("FAILMALLOC_EVERY"), *a = getenv("FAILMALLOC_AFTER_MS");

        every = e ? strtoul(e, NULL, 10) : 0;
        arm_at_ns = now_ns() + (a ? strtoll(a, NULL, 10) : 0) * 1000000LL;
        if (every == 0)
                arm_at_ns = __LONG_LONG_MAX__;
}

static int should_fail(void)
{
        if (arm_at_ns < 0 || every == 0 || now_ns() < arm_at_ns)
                return 0;
        return atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed) % every == every - 1;
}

EXPORT void *malloc(size_t size)
{
        if (should_fail()) {
                errno = ENOMEM;
                return NULL;
        }
        return __libc_malloc(size);
}

EXPORT void *calloc(size_t n, size_t size)
{
        if (should_fail()) {
                errno = ENOMEM;
                return NULL;
        }
        return __libc_calloc(n, size);
}

EXPORT void *realloc(void *p, size_t size)
{
        if (size && should_fail()) {
                errno = ENOMEM;
                return NULL;
        }
        return __libc_realloc(p, size);
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
        size_t total;

        if (__builtin_mul_overflow(n, size, &total)) {
                errno = ENOMEM;
                return NULL;
        }
        return realloc(p, total);
}

EXPORT void *memalign(size_t align, size_t size)
{
        if (should_fail()) {
                errno = ENOMEM;
                return NULL;
        }
        return __libc_memalign(align, size);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
        return memalign(align, size);
}

EXPORT int posix_memalign(void **ret, size_t align, size_t size)
{
        void *p = memalign(align, size);

        if (!p)
                return ENOMEM;
        *ret = p;
        return 0;
}
