/*
 * errno names, both ways ("EPERM" <-> 1), for the policy file, the built-in handlers and the
 * logs. A fixed table of the errnos a policy may reasonably answer with; anything else is given
 * by number.
 */
#include <errno.h>
#include <string.h>

#include "errno_name.h"
#include "util.h"

static const struct {
        const char *name;
        int value;
} errnos[] = {
        { "EPERM", EPERM },
        { "ENOENT", ENOENT },
        { "ESRCH", ESRCH },
        { "EINTR", EINTR },
        { "EIO", EIO },
        { "ENXIO", ENXIO },
        { "E2BIG", E2BIG },
        { "ENOEXEC", ENOEXEC },
        { "EBADF", EBADF },
        { "ECHILD", ECHILD },
        { "EAGAIN", EAGAIN },
        { "ENOMEM", ENOMEM },
        { "EACCES", EACCES },
        { "EFAULT", EFAULT },
        { "EBUSY", EBUSY },
        { "EEXIST", EEXIST },
        { "EXDEV", EXDEV },
        { "ENODEV", ENODEV },
        { "ENOTDIR", ENOTDIR },
        { "EISDIR", EISDIR },
        { "EINVAL", EINVAL },
        { "ENFILE", ENFILE },
        { "EMFILE", EMFILE },
        { "ENOTTY", ENOTTY },
        { "EFBIG", EFBIG },
        { "ENOSPC", ENOSPC },
        { "ESPIPE", ESPIPE },
        { "EROFS", EROFS },
        { "EMLINK", EMLINK },
        { "EPIPE", EPIPE },
        { "ERANGE", ERANGE },
        { "ENAMETOOLONG", ENAMETOOLONG },
        { "ENOSYS", ENOSYS },
        { "ENOTEMPTY", ENOTEMPTY },
        { "ELOOP", ELOOP },
        { "ENOTSUP", ENOTSUP },
        { "EOPNOTSUPP", EOPNOTSUPP },
        { "EAFNOSUPPORT", EAFNOSUPPORT },
        { "EADDRINUSE", EADDRINUSE },
        { "ECONNREFUSED", ECONNREFUSED },
        { "ETIMEDOUT", ETIMEDOUT },
        { "ENOTSOCK", ENOTSOCK },
        { "EPROTONOSUPPORT", EPROTONOSUPPORT },
        { "ENOTBLK", ENOTBLK },
        { "ETXTBSY", ETXTBSY },
        { "EDOM", EDOM },
        { "EDEADLK", EDEADLK },
        { "ENOLCK", ENOLCK },
        { "ENODATA", ENODATA },
        { "EOVERFLOW", EOVERFLOW },
        { "EILSEQ", EILSEQ },
        { "ECANCELED", ECANCELED },
        { "ENOTCONN", ENOTCONN },
        { "ENETUNREACH", ENETUNREACH },
};

int errno_from_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(errnos); i++)
                if (strcmp(errnos[i].name, name) == 0)
                        return errnos[i].value;
        return -EINVAL;
}

const char *errno_to_name(int err)
{
        for (size_t i = 0; i < ELEMENTSOF(errnos); i++)
                if (errnos[i].value == err)
                        return errnos[i].name;
        return NULL;
}
