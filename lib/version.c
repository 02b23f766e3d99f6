/*
 * The library's version, for callers that want to report which core they run on.
 */
#include "config.h"
#include "scmpd/version.h"
#include "util.h"

_public_ const char *scmpd_version(void)
{
        return SCMPD_VERSION;
}
