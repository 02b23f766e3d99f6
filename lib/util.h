/*
 * Internal helpers shared by every module of libscmpd, the daemon and the CLI.
 *
 * Ownership follows one pattern: owned locals carry a cleanup attribute (`_cleanup_free_`,
 * `_cleanup_close_`), and the success path hands them off explicitly with steal_ptr() or
 * steal_fd(), so that every early return frees exactly what it owns.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _public_ __attribute__((visibility("default")))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Take ownership of *p, leaving NULL behind; the cleanup attribute then frees nothing. */
#define steal_ptr(p)                             \
        ({                                       \
                __typeof__(*(p)) _stolen = *(p); \
                *(p) = NULL;                     \
                _stolen;                         \
        })

/* Take ownership of the fd in *fd, leaving -1 behind. */
static inline int steal_fd(int *fd)
{
        int r = *fd;
        *fd = -1;
        return r;
}

/* Close an fd if it is valid, preserving errno; always returns -1 so `fd = safe_close(fd)` works.
 */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                (void)close(fd);
                errno = saved;
        }
        return -1;
}

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        safe_close(*fd);
}

#define _cleanup_(f) __attribute__((cleanup(f)))

/* funcp(): a cleanup function for a pointer of `type` that calls func(), which accepts NULL
 * (func may return a value, as the scmpd_*_free() functions return NULL). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p)     \
        {                                       \
                (void)func(*p);                 \
        }
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Negative errno from the last failed libc call, never 0 (a defensive floor of -EIO). */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}
