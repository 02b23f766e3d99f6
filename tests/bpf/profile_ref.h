/*
 * The reference for profile compilation: the filter libseccomp (Debian's, test-only) builds
 * from a parsed profile when moby's includes/excludes and runc's rules are applied to it. Coded
 * here independently of lib/profile.c, from the runtimes' documented behaviour, so that the two
 * can be compared. Used by the profile differential test and the profile benchmark.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h>

#include "scmpd/profile.h"

struct profile_ref_target {
        uint32_t host;       /* AUDIT_ARCH token of the host arch (libseccomp's numbering) */
        const char *host_go; /* "amd64" */
        const char *const *caps;
        size_t n_caps;
        unsigned kernel_major, kernel_minor;
        unsigned optimize; /* 0: runc's choice (2 above 32 rules, else libseccomp's default) */
};

/* Build with libseccomp and export the program (malloc()ed). 0 or a negative errno; on failure
 * *ret_what names the step that failed. */
int profile_ref_build(const struct scmpd_profile *p, const struct profile_ref_target *t,
                      struct sock_filter **ret_prog, size_t *ret_len, const char **ret_what);
