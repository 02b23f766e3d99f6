/* libscmpd: version information. */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/* The project version, e.g. "0.1.0". The string is static. */
const char *scmpd_version(void);

#ifdef __cplusplus
}
#endif
