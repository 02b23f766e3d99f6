/*
 * errno names, both ways: "EPERM" <-> 1 (errno_name.c).
 */
#pragma once

/* The errno of a name such as "EPERM", or -EINVAL when the table does not know it. */
int errno_from_name(const char *name);
/* The name of a positive errno, or NULL when the table does not know it. */
const char *errno_to_name(int err);
