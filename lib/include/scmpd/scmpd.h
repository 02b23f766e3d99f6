/* libscmpd: the whole public API. */
#pragma once

#include <scmpd/version.h>
#include <scmpd/arch.h>
#include <scmpd/bpf.h>
#include <scmpd/filter.h>
#include <scmpd/notify.h>
#include <scmpd/handoff.h>
