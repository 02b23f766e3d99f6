/*
 * Internal glue shared by the modules of the drop-in libseccomp.so.2 (lib/compat/).
 *
 * libseccomp promises a small set of return codes per call and an "API level" that gates what
 * callers may ask for. Both are properties of libseccomp's interface rather than decisions about
 * filters, so they live here; everything else is the core's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct scmpd_filter;

/* The current API level: the forced one from seccomp_api_set(), else the probed one (1..7). */
unsigned compat_api_level(void);

/* Forget the forced and the probed level (seccomp_reset(NULL, ...)). */
void compat_api_reset(void);

/* The process's one listener fd (-1: none yet); set keeps the first; reset closes it. */
int compat_listener_get(void);
void compat_listener_set(int fd);
void compat_listener_reset(void);

/* Whether the kernel, as the API level describes it, offers this action (KILL_PROCESS and LOG
 * need level 3, NOTIFY level 5). Encodings are the core's to check (scmpd_action_valid()). */
bool compat_action_supported(uint32_t action);

/* Map a core return code onto the codes libseccomp documents: unknown failures become -EFAULT. */
int compat_rc(int r);

/* The same for calls that touch the system (load, export): with SCMP_FLTATR_API_SYSRAWRC the
 * kernel's errno passes unchanged, otherwise a failure outside the documented set becomes
 * -ECANCELED. */
int compat_rc_sys(const struct scmpd_filter *f, int r);
