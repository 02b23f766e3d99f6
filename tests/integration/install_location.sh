#!/usr/bin/env bash
# `meson install` must not shadow the system's libseccomp: with the default options no
# libseccomp.so* may land in a directory the dynamic loader searches by default (its trusted
# directories and those of ld.so.conf, as `ldconfig -v -N` lists them, plus the usual ones in
# case ldconfig is missing), while the drop-in, its headers and libseccomp.pc are installed
# together in the private folder.
# Usage: install_location.sh BUILD_DIR
set -u
build=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { local what=$1; shift; if "$@"; then echo "ok    $what"; else echo "FAIL  $what"; fail=1; fi; }

option() {
    meson introspect --buildoptions "$build" | python3 -c \
        'import json,sys; print("".join(str(o["value"]) for o in json.load(sys.stdin) if o["name"]==sys.argv[1]))' "$1"
}
if [ "$(option compat_install)" = system ]; then
    echo "SKIP: this build sets -Dcompat_install=system"
    exit 77
fi
meson install -C "$build" --destdir "$T/root" --no-rebuild --quiet >"$T/log" 2>&1 ||
    { cat "$T/log"; echo "FAIL  meson install"; exit 1; }
prefix=$(option prefix)
triplet=$(gcc -print-multiarch 2>/dev/null || true)
dirs="/lib /lib64 /usr/lib /usr/lib64 /usr/local/lib /usr/local/lib64 $prefix/lib $prefix/lib64"
[ -n "$triplet" ] && dirs="$dirs /lib/$triplet /usr/lib/$triplet /usr/local/lib/$triplet $prefix/lib/$triplet"
if command -v ldconfig >/dev/null; then
    dirs="$dirs $(ldconfig -v -N -X 2>/dev/null | sed -n 's/^\(\/[^:]*\):.*/\1/p' | tr '\n' ' ')"
fi
shadowing=""
for d in $dirs; do
    for f in "$T/root$d"/libseccomp.so*; do
        [ -e "$f" ] && shadowing="$shadowing ${f#"$T/root"}"
    done
done
check "no libseccomp.so* on the loader's default path (found:${shadowing:- none})" \
    [ -z "$shadowing" ]
priv=$(find "$T/root" -path '*/scmpd/libseccomp/libseccomp.so.2' | head -n1)
check "the drop-in is installed in the private folder" [ -n "$priv" ]
if [ -n "$priv" ]; then
    d=$(dirname "$priv")
    check "seccomp.h beside it" [ -f "$d/include/seccomp.h" ]
    check "libseccomp.pc beside it" [ -f "$d/pkgconfig/libseccomp.pc" ]
fi
exit $fail
