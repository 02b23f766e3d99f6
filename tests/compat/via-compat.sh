#!/bin/sh
# Run a program that was linked against Debian's libseccomp (an oracle test of another suite)
# on OUR libseccomp.so.2 instead, swapped in through LD_LIBRARY_PATH, and check with the
# dynamic linker's own report (LD_DEBUG=libs) that ours is the library it initialised.
#
# Usage: via-compat.sh LIBSECCOMP_SO PROGRAM [ARGS...]
set -eu
libdir=$(cd "$(dirname "${1:?usage: via-compat.sh LIBSECCOMP_SO PROGRAM [ARGS...]}")" && pwd)
shift
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scmpd-via.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

set +e
LD_LIBRARY_PATH="$libdir" LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld" "$@"
rc=$?
set -e
if ! cat "$tmp"/ld.* 2>/dev/null | grep -q "calling init: $libdir/libseccomp.so.2"; then
        echo "FAIL: $1 did not initialise $libdir/libseccomp.so.2"
        exit 1
fi
echo "via-compat: $(basename "$1") ran on $libdir/libseccomp.so.2, exit $rc"
exit $rc
