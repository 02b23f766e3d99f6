#!/bin/bash
# scmpctl's bash completion (client/completion/scmpctl.bash) against the built scmpctl: commands,
# every offline command's options (taken from its --help), syscall names for resolve and
# --syscall, capability names for --caps, and the command after `run --`.
set -u
SRC=${SCMPD_SOURCE_ROOT:?}
pass=0 fail=0
T=$(mktemp -d /tmp/scmpd-completion.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/bin"
ln -s "$SCMPCTL_BIN" "$T/bin/scmpctl"
export PATH="$T/bin:$PATH" SCMPD_CONTROL_SOCKET="$T/none.sock"
# shellcheck source=/dev/null
. "$SRC/client/completion/scmpctl.bash"

# complete WORDS...: the last word is the one being completed; prints COMPREPLY, one a line.
complete_words() {
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMPREPLY=()
        _scmpctl
        printf '%s\n' "${COMPREPLY[@]:+${COMPREPLY[@]}}"
}
# expect "WHAT" "WORDS..." WANT...: every WANT is among the completions.
expect() {
        local what=$1 words=$2 w out
        shift 2
        # shellcheck disable=SC2086
        out=$(complete_words $words ${EMPTY_LAST:+""})
        for w in "$@"; do
                if ! printf '%s\n' "$out" | grep -qxF -- "$w"; then
                        fail=$((fail + 1))
                        echo "FAIL: $what: no '$w' in: $(printf '%s\n' "$out" | head -20 | tr '\n' ' ')"
                        return
                fi
        done
        pass=$((pass + 1))
        echo "ok: $what"
}
EMPTY_LAST=1 expect "commands" "scmpctl" status listeners monitor resolve compile run metrics
expect "resolve completes syscall names" "scmpctl resolve mkd" mkdir mkdirat
expect "resolve --arch aarch64 completes that arch's names" "scmpctl resolve --arch aarch64 mkd" mkdirat
expect "resolve completes its options" "scmpctl resolve --" --arch --json
expect "syscalls' options" "scmpctl syscalls --" --arch --arches --json
expect "compile's options" "scmpctl compile p.json --" --arch --caps --kernel --pfc --stats --no-enosys-stub
expect "compile -o" "scmpctl compile p.json -" -o
expect "compile --caps names" "scmpctl compile p.json --caps CAP_SYS_A" CAP_SYS_ADMIN
expect "disasm's options" "scmpctl disasm f.bpf --" --arch
expect "simulate's options" "scmpctl simulate f.bpf --" --arch --syscall --args --ip
expect "run's options" "scmpctl run --" --profile --metadata --id --handoff --
expect "the command after run --" "scmpctl run -- scmpct" scmpctl
expect "control commands' options" "scmpctl status --" --control --timeout --json
expect "monitor's options" "scmpctl monitor --" --container --syscall --verdict --control --timeout
expect "monitor --syscall names" "scmpctl monitor --syscall mkd" mkdir
expect "--verdict values" "scmpctl monitor --verdict e" errno
echo "completion: $pass passed, $fail failed"
[ $fail -eq 0 ]
