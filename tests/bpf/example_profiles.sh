#!/bin/sh
# The OCI seccomp profiles in docs/examples/ (mount-profile.json, overlay-profile.json), compiled
# by scmpctl and run through the simulator: the calls scmpd emulates go to the listener, and only
# the narrow argument shapes the profile names; the new mount API and the *xattrat calls, which
# would route around the emulation, answer ENOSYS so that mount(8) and libc fall back; a filter
# with its own listener is refused.
set -u
fail=0
check() { if [ "$2" = "$3" ]; then echo "ok: $1 ($2)"; else echo "FAIL: $1: $2, wanted $3"; fail=1; fi; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ex="$SCMPD_SOURCE_ROOT/docs/examples"
sim() { "$SCMPCTL_BIN" simulate "$1" --arch x86_64 --syscall "$2" ${3:+--args "$3"} | sed -n 's/^action: //p'; }

for p in mount-profile overlay-profile; do
        if ! "$SCMPCTL_BIN" compile "$ex/$p.json" --arch x86_64 --kernel 6.18 -o "$dir/$p.bpf"; then
                echo "FAIL: $p.json does not compile"
                fail=1
                continue
        fi
        for sc in fsopen fsconfig fsmount fspick move_mount open_tree open_tree_attr mount_setattr; do
                check "$p: $sc is ENOSYS" "$(sim "$dir/$p.bpf" $sc)" "ERRNO(38)"
        done
        check "$p: seccomp with NEW_LISTENER is refused" "$(sim "$dir/$p.bpf" seccomp 1,8)" "ERRNO(1)"
        check "$p: seccomp without a listener is allowed" "$(sim "$dir/$p.bpf" seccomp 1,0)" ALLOW
        check "$p: read is allowed" "$(sim "$dir/$p.bpf" read)" ALLOW
done
m="$dir/mount-profile.bpf" o="$dir/overlay-profile.bpf"
check "mount-profile: mount goes to scmpd" "$(sim "$m" mount)" NOTIFY
check "mount-profile: umount2 goes to scmpd" "$(sim "$m" umount2)" NOTIFY
for sc in setxattrat removexattrat; do
        check "overlay-profile: $sc is ENOSYS" "$(sim "$o" $sc)" "ERRNO(38)"
done
check "overlay-profile: setxattr of 1 byte, no flags, goes to scmpd" "$(sim "$o" setxattr 0,0,0,1,0)" NOTIFY
check "overlay-profile: fsetxattr of 1 byte goes to scmpd" "$(sim "$o" fsetxattr 3,0,0,1,0)" NOTIFY
check "overlay-profile: setxattr of 5 bytes stays with the kernel" "$(sim "$o" setxattr 0,0,0,5,0)" ALLOW
check "overlay-profile: setxattr with XATTR_CREATE stays with the kernel" "$(sim "$o" setxattr 0,0,0,1,1)" ALLOW
check "overlay-profile: mknod of a 0:0 char device goes to scmpd" "$(sim "$o" mknod 0,0x2180,0)" NOTIFY
check "overlay-profile: mknod of a FIFO stays with the kernel" "$(sim "$o" mknod 0,0x1180,0)" ALLOW
check "overlay-profile: mknod of char 1:3 stays with the kernel" "$(sim "$o" mknod 0,0x2180,0x103)" ALLOW
check "overlay-profile: mknodat of a 0:0 char device goes to scmpd" "$(sim "$o" mknodat 0,0,0x2180,0)" NOTIFY
check "overlay-profile: mount stays with the kernel" "$(sim "$o" mount)" ALLOW
exit $fail
