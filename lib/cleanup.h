/*
 * Cleanup functions for the library's public objects, for `_cleanup_(scmpd_filter_freep)` and
 * the like in the library and in the programs built on it (internal header).
 */
#pragma once

#include "scmpd/filter.h"
#include "scmpd/handoff.h"
#include "scmpd/profile.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct scmpd_filter *, scmpd_filter_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct scmpd_profile *, scmpd_profile_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct scmpd_handoff_state *, scmpd_handoff_state_free)
