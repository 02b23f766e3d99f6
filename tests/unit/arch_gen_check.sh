#!/bin/sh
# The committed syscall tables are exactly what lib/arch/gen-syscalls.py makes from Debian's
# linux-source-6.12 (so nobody edited them by hand and the generator is deterministic).
# Skips (77) when the kernel source package or python3 is not installed. Takes ~10 s
# (decompressing the tarball), hence its own suite, 'generate'.
set -u
src=${1:?usage: arch_gen_check.sh SOURCE_ROOT}
tarball=/usr/src/linux-source-6.12.tar.xz
[ -r "$tarball" ] || { echo "skip: $tarball not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: no python3"; exit 77; }
exec python3 "$src/lib/arch/gen-syscalls.py" --source "$tarball" --check
