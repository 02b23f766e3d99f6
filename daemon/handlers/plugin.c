/*
 * External handlers: shared objects opened with dlopen() from absolute paths the configuration
 * names. The object must export scmpd_handler_entry(), which returns its description; the ABI
 * version in it must be one we speak (1 up to ours: versions only add to the host), or the
 * object is refused with an error that says both versions. A refused object is closed at once.
 * RTLD_LOCAL keeps plugins from seeing each other.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy.h"

/* Refuse the object: close it, and explain in *ret_error (when not NULL). */
static int refuse(void *dl, char **ret_error, int r, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int refuse(void *dl, char **ret_error, int r, const char *fmt, ...)
{
        va_list ap;

        if (dl)
                dlclose(dl);
        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

int plugin_open(const char *path, void **ret_handle, const struct scmpd_handler_ops **ret_ops,
                char **ret_error)
{
        scmpd_handler_entry_fn entry;
        const struct scmpd_handler_ops *ops;
        void *dl;

        if (!path || path[0] != '/')
                return refuse(NULL, ret_error, -EINVAL, "the path must be absolute");
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                const char *e = dlerror();

                return refuse(NULL, ret_error, -ENOENT, "%s", e ? e : "dlopen failed");
        }
        *(void **)&entry = dlsym(dl, SCMPD_HANDLER_ENTRY_SYMBOL);
        if (!entry)
                return refuse(dl, ret_error, -ENOEXEC, "%s does not export %s()", path,
                              SCMPD_HANDLER_ENTRY_SYMBOL);
        ops = entry();
        if (!ops)
                return refuse(dl, ret_error, -ENOEXEC, "%s: %s() returned NULL", path,
                              SCMPD_HANDLER_ENTRY_SYMBOL);
        if (ops->abi_version < 1 || ops->abi_version > SCMPD_HANDLER_ABI_VERSION)
                return refuse(dl, ret_error, -EPROTO,
                              "%s was built for handler ABI version %u, this scmpd speaks "
                              "versions 1 to %u; rebuild it against this scmpd's "
                              "<scmpd/handler.h>",
                              path, ops->abi_version, SCMPD_HANDLER_ABI_VERSION);
        if (!ops->handle || !ops->name)
                return refuse(dl, ret_error, -ENOEXEC,
                              "%s: its description lacks a name or handle()", path);
        *ret_handle = dl;
        *ret_ops = ops;
        return 0;
}
