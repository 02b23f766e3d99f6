#!/bin/sh
# libseccomp's Python binding, built from libseccomp's own source against OUR seccomp.h and
# libseccomp.so.2, then used by a program of ours and by libseccomp's Python regression tests.
#
# Usage: python-binding.sh LIBSECCOMP_SO HEADER_DIR GEN_HEADER_DIR VERSION USE_PY REGRESS_PY
#                          EXPECTED
#   LIBSECCOMP_SO   the built libseccomp.so.2.x.y
#   HEADER_DIR      where our seccomp.h is (lib/compat in the source tree)
#   GEN_HEADER_DIR  where the generated seccomp-syscalls.h is (lib/compat in the build tree)
#   VERSION         the version our library reports
#   USE_PY, REGRESS_PY, EXPECTED   python-binding-use.py, python-binding-regress.py and the
#                   pinned outcomes of libseccomp's tests (python-binding.expected)
#
# Debian's python3-seccomp links libseccomp statically, so it can never run on the drop-in;
# this is how to build one that does. The source is Debian's libseccomp source package, which
# scripts/install-deps caches in $SCMPD_LIBSECCOMP_SRC (default
# /var/cache/scmpd-tests/libseccomp-src); dpkg-source -x unpacks it and checks it against its
# .dsc. src/python/seccomp.pyx goes through cython3, and the C it gives is compiled with gcc
# against our seccomp.h and linked with -lseccomp from our build (setup.py links the static
# libseccomp.a of libseccomp's own build instead). Proof that the binding runs on our library:
# ldd of the module resolves libseccomp.so.2 into our build, and the program of ours checks that
# its process maps our file and no other and that seccomp_version() is ours.
# PYTHON chooses the interpreter (default python3). Exit 77 (skip) when the source is not cached
# or cython3, gcc or Python's headers are missing.
set -eu

usage="usage: python-binding.sh LIBSECCOMP_SO HEADER_DIR GEN_HEADER_DIR VERSION USE_PY REGRESS_PY EXPECTED"
lib=${1:?$usage}
hdrdir=${2:?$usage}
genhdrdir=${3:?$usage}
version=${4:?$usage}
use_py=${5:?$usage}
regress_py=${6:?$usage}
expected=${7:?$usage}
cache=${SCMPD_LIBSECCOMP_SRC:-/var/cache/scmpd-tests/libseccomp-src}
python=${PYTHON:-python3}

dsc=$(ls "$cache"/libseccomp_*.dsc 2>/dev/null | sort | tail -n 1 || true)
[ -n "$dsc" ] || { echo "no libseccomp source package in $cache (scripts/install-deps fetches it): skip"; exit 77; }
command -v dpkg-source >/dev/null 2>&1 || { echo "dpkg-source not installed (dpkg-dev): skip"; exit 77; }
command -v cython3 >/dev/null 2>&1 || { echo "cython3 not installed: skip"; exit 77; }
command -v gcc >/dev/null 2>&1 || { echo "gcc not installed: skip"; exit 77; }
command -v "$python" >/dev/null 2>&1 || { echo "$python not installed: skip"; exit 77; }
pyinc=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
[ -f "$pyinc/Python.h" ] || { echo "$pyinc/Python.h missing (python3-dev): skip"; exit 77; }
extsuffix=$("$python" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')

libdir=$(cd "$(dirname "$lib")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scmpd-pybind.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Unpack (dpkg-source checks every file against the .dsc's checksums; a missing maintainer key
# is only a warning, the archive index vouched for the .dsc when it was fetched).
dpkg-source -x "$dsc" "$tmp/src" >"$tmp/dpkg-source.log" 2>&1 || {
        cat "$tmp/dpkg-source.log"
        echo "FAIL: dpkg-source -x $dsc"
        exit 1
}
echo "source: $(basename "$dsc")"

# The binding: seccomp.pyx -> C -> a module linked against our library only.
mkdir -p "$tmp/build"
cython3 -3 -I "$tmp/src/src/python" -o "$tmp/build/seccomp.c" "$tmp/src/src/python/seccomp.pyx"
gcc -shared -fPIC -O1 -fno-strict-aliasing -w -I"$pyinc" -I"$hdrdir" -I"$genhdrdir" \
        -o "$tmp/build/seccomp$extsuffix" "$tmp/build/seccomp.c" -L"$libdir" -lseccomp
echo "built $tmp/build/seccomp$extsuffix with $(cython3 --version 2>&1) for $("$python" --version)"

echo "ldd of the module:"
LD_LIBRARY_PATH="$libdir" ldd "$tmp/build/seccomp$extsuffix" | tee "$tmp/ldd.txt"
resolved=$(awk '$1 == "libseccomp.so.2" { print $3 }' "$tmp/ldd.txt")
case "$resolved" in
"$libdir"/*) echo "libseccomp.so.2 resolves to our build: $resolved" ;;
*)
        echo "FAIL: libseccomp.so.2 resolves to '$resolved', not into $libdir"
        exit 1
        ;;
esac

# libseccomp's scmp_bpf_sim from the same source: a standalone BPF simulator (no libseccomp).
gcc -O1 -w -I"$tmp/src/tools" -o "$tmp/scmp_bpf_sim" \
        "$tmp/src/tools/scmp_bpf_sim.c" "$tmp/src/tools/util.c"

export LD_LIBRARY_PATH="$libdir"
export PYTHONPATH="$tmp/build:$tmp/src/tests"
export PYTHONDONTWRITEBYTECODE=1 TMPDIR="$tmp"

rc=0
echo "== our program on the binding"
timeout -k 10 300 "$python" "$use_py" "$libdir" "$version" "$tmp/scmp_bpf_sim" || rc=1
echo "== libseccomp's Python regression tests"
timeout -k 10 1500 "$python" "$regress_py" "$tmp/src/tests" "$tmp/scmp_bpf_sim" "$expected" || rc=1
exit $rc
