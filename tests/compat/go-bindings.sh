#!/bin/sh
# libseccomp's Go bindings (Debian's golang-github-seccomp-libseccomp-golang-dev) built with cgo
# against OUR seccomp.h and libseccomp.pc, and their own test suite run unchanged on OUR
# libseccomp.so.2.
#
# Usage: go-bindings.sh LIBSECCOMP_SO PKGCONFIG_DIR
#   LIBSECCOMP_SO  the built libseccomp.so.2.x.y (its directory goes on LD_LIBRARY_PATH)
#   PKGCONFIG_DIR  where libseccomp.pc (or libseccomp-uninstalled.pc) for the build lives
#
# Proof that the tests ran on our library, not Debian's 2.5.4: ldd of the test binary must
# resolve libseccomp.so.2 into our build, and the bindings' own TestExpectedSeccompVersion runs
# with _EXPECTED_LIBSECCOMP_VERSION set to our version, so it fails on any other library.
# Exit 77 (skip) when go or the bindings are not installed.
set -eu

usage="usage: go-bindings.sh LIBSECCOMP_SO PKGCONFIG_DIR VERSION"
lib=${1:?$usage}
pcdir=${2:?$usage}
expected_version=${3:?$usage}
src=/usr/share/gocode/src/github.com/seccomp/libseccomp-golang

command -v go >/dev/null 2>&1 || { echo "go not installed: skip"; exit 77; }
[ -f "$src/seccomp_test.go" ] || { echo "$src missing (golang-github-seccomp-libseccomp-golang-dev): skip"; exit 77; }
command -v pkg-config >/dev/null 2>&1 || { echo "pkg-config not installed: skip"; exit 77; }

libdir=$(cd "$(dirname "$lib")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scmpd-go.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

# A private GOPATH holding an untouched copy of the package.
pkgdir=$tmp/gopath/src/github.com/seccomp/libseccomp-golang
mkdir -p "$pkgdir"
cp -R "$src"/. "$pkgdir"/

# The uninstalled .pc is named libseccomp-uninstalled.pc; pkg-config prefers it for
# "libseccomp" when it is on the path. Check that it is ours before building anything.
export PKG_CONFIG_PATH="$pcdir"
modversion=$(pkg-config --modversion libseccomp)
if [ "$modversion" != "$expected_version" ]; then
        echo "FAIL: pkg-config found libseccomp $modversion, not ours ($expected_version)"
        exit 1
fi
echo "pkg-config: libseccomp $modversion, cflags: $(pkg-config --cflags libseccomp)"

export GOPATH="$tmp/gopath" GO111MODULE=off GOCACHE="$tmp/gocache" GOFLAGS= GOPROXY=off
export CGO_ENABLED=1 CGO_LDFLAGS="-L$libdir"
export HOME="$tmp"

cd "$pkgdir"
go test -c -o "$tmp/seccomp.test" .

echo "ldd of the test binary:"
LD_LIBRARY_PATH="$libdir" ldd "$tmp/seccomp.test" | tee "$tmp/ldd.txt"
resolved=$(awk '$1 == "libseccomp.so.2" { print $3 }' "$tmp/ldd.txt")
case "$resolved" in
"$libdir"/*) echo "libseccomp.so.2 resolves to our build: $resolved" ;;
*)
        echo "FAIL: libseccomp.so.2 resolves to '$resolved', not into $libdir"
        exit 1
        ;;
esac

# Run every test of the package, verbosely, on our library. The bindings re-execute the test
# binary for tests that load filters, so the environment must carry LD_LIBRARY_PATH.
export LD_LIBRARY_PATH="$libdir"
export _EXPECTED_LIBSECCOMP_VERSION="$expected_version"
set +e
timeout -k 10 180 "$tmp/seccomp.test" -test.v -test.count=1 -test.timeout=150s >"$tmp/out.txt" 2>&1
rc=$?
set -e
cat "$tmp/out.txt"

if ! grep -q "testing against libseccomp $expected_version" "$tmp/out.txt"; then
        echo "FAIL: the bindings did not report running against libseccomp $expected_version"
        exit 1
fi
passed=$(grep -c -- '^--- PASS' "$tmp/out.txt" || true)
skipped=$(grep -c -- '^--- SKIP' "$tmp/out.txt" || true)
failed=$(grep -c -- '--- FAIL' "$tmp/out.txt" || true)
echo "go-bindings: $passed passed, $skipped skipped, $failed failed (exit $rc)"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
