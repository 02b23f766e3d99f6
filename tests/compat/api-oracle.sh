#!/bin/sh
# Run api-oracle (built against Debian's libseccomp 2.5.4) on Debian's library and on ours,
# swapped in through LD_LIBRARY_PATH, and require identical output: the binary interface and
# the documented behaviour of every probed call are the same. The only accepted differences are
# listed, with owner and reason, in api-oracle.known; each listed one must still occur.
#
# Usage: api-oracle.sh API_ORACLE LIBSECCOMP_SO KNOWN_LIST
set -eu
usage="usage: api-oracle.sh API_ORACLE LIBSECCOMP_SO KNOWN_LIST"
oracle=${1:?$usage}
libdir=$(cd "$(dirname "${2:?$usage}")" && pwd)
known=${3:?$usage}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scmpd-oracle.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

env -u LD_LIBRARY_PATH "$oracle" >"$tmp/debian.txt"
LD_LIBRARY_PATH="$libdir" LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld" "$oracle" >"$tmp/ours.txt"

if ! cat "$tmp"/ld.* | grep -q "calling init: $libdir/libseccomp.so.2"; then
        echo "FAIL: the oracle did not load $libdir/libseccomp.so.2"
        exit 1
fi
if [ "$(wc -l <"$tmp/debian.txt")" -ne "$(wc -l <"$tmp/ours.txt")" ]; then
        diff -u "$tmp/debian.txt" "$tmp/ours.txt" || true
        echo "FAIL: the two runs printed a different number of probes"
        exit 1
fi

# Pair the lines up as LABEL<TAB>DEBIAN<TAB>OURS for every probe that differs.
paste -d '\n' "$tmp/debian.txt" "$tmp/ours.txt" | awk '
        NR % 2 == 1 { d = $0; next }
        d != $0 {
                label = substr(d, 1, 48); sub(/ +$/, "", label)
                printf "%s\t%s\t%s\n", label, substr(d, 50), substr($0, 50)
        }' >"$tmp/diffs.txt"
grep -v '^#' "$known" | grep -v '^$' | cut -f1-3 >"$tmp/known.txt" || true

probes=$(wc -l <"$tmp/debian.txt")
status=0
while IFS= read -r line; do
        if grep -qxF -- "$line" "$tmp/known.txt"; then
                echo "known difference: $line"
        else
                echo "DIFFERENT: $line"
                status=1
        fi
done <"$tmp/diffs.txt"
while IFS= read -r line; do
        if ! grep -qxF -- "$line" "$tmp/diffs.txt"; then
                echo "FIXED (remove from $(basename "$known")): $line"
                status=1
        fi
done <"$tmp/known.txt"
echo "api-oracle: $probes probes, $(wc -l <"$tmp/diffs.txt") differ, $(wc -l <"$tmp/known.txt") known"
exit $status
