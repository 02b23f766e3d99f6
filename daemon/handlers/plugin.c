/*
 * External handlers: shared objects opened with dlopen() from absolute paths the configuration
 * names. The object must export scmpd_handler_entry(), which returns its description; the ABI
 * version in it must be one we speak (1 up to ours: versions only add to the host), or the
 * object is refused with an error that says both versions. A refused object is closed at once.
 * RTLD_LOCAL keeps plugins from seeing each other.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policy.h"

int plugin_open(const char *path, void **ret_handle, const struct scmpd_handler_ops **ret_ops,
                char **ret_error)
{
        scmpd_handler_entry_fn entry;
        const struct scmpd_handler_ops *ops;
        void *dl;

        *ret_error = NULL;
        if (!path || path[0] != '/')
                return -EINVAL;
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                const char *e = dlerror();

                *ret_error = strdup(e ? e : "dlopen failed");
                return -ENOENT;
        }
        *(void **)&entry = dlsym(dl, SCMPD_HANDLER_ENTRY_SYMBOL);
        if (!entry) {
                if (asprintf(ret_error, "%s does not export %s()", path,
                             SCMPD_HANDLER_ENTRY_SYMBOL) < 0)
                        *ret_error = NULL;
                dlclose(dl);
                return -ENOEXEC;
        }
        ops = entry();
        if (!ops) {
                if (asprintf(ret_error, "%s: %s() returned NULL", path,
                             SCMPD_HANDLER_ENTRY_SYMBOL) < 0)
                        *ret_error = NULL;
                dlclose(dl);
                return -ENOEXEC;
        }
        if (ops->abi_version < 1 || ops->abi_version > SCMPD_HANDLER_ABI_VERSION) {
                if (asprintf(ret_error,
                             "%s was built for handler ABI version %u, this scmpd speaks versions "
                             "1 to %u; rebuild it against this scmpd's <scmpd/handler.h>",
                             path, ops->abi_version, SCMPD_HANDLER_ABI_VERSION) < 0)
                        *ret_error = NULL;
                dlclose(dl);
                return -EPROTO;
        }
        if (!ops->handle || !ops->name) {
                if (asprintf(ret_error, "%s: its description lacks a name or handle()", path) < 0)
                        *ret_error = NULL;
                dlclose(dl);
                return -ENOEXEC;
        }
        *ret_handle = dl;
        *ret_ops = ops;
        return 0;
}
