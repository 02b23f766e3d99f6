# bash completion for scmpctl(1); installed as
# $datadir/bash-completion/completions/scmpctl (bash-completion loads it on first use).
# Commands come from `scmpctl help` and each command's options from `scmpctl COMMAND --help`,
# so new commands and options complete without editing this file.

_scmpctl_options()
{
    scmpctl "$@" --help 2>&1 | grep -oE -- '(^|[ [(|])(--[a-z][a-z0-9-]*|-o)' |
        sed 's/^[ [(|]//' | sort -u
}

_scmpctl()
{
    local cur prev words cword
    _init_completion 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    }

    if [[ $cword -eq 1 ]]; then
        local cmds
        cmds=$(scmpctl help 2>/dev/null | awk '/^  [a-z]/ { print $1 }')
        COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
        return
    fi

    # The value of an option.
    case $prev in
        --control | --socket | --handoff | --profile | -o | --output | --base | --listener)
            COMPREPLY=($(compgen -f -- "$cur"))
            return
            ;;
        --timeout | --metadata | --id | --kernel | --args | --ip | --tag)
            return
            ;;
        --runtime)
            COMPREPLY=($(compgen -W "runc crun scmpctl" -- "$cur"))
            return
            ;;
        --verdict)
            COMPREPLY=($(compgen -W "continue errno value kill gone failed" -- "$cur"))
            return
            ;;
        --arch)
            COMPREPLY=($(compgen -W "$(scmpctl syscalls --arches 2>/dev/null | awk '{ print $1 }')" -- "$cur"))
            return
            ;;
        --syscall)
            COMPREPLY=($(compgen -W "$(scmpctl syscalls 2>/dev/null | awk '{ print $2 }')" -- "$cur"))
            return
            ;;
        --caps)
            local caps="CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
                LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
                SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
                SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
                MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
                CHECKPOINT_RESTORE"
            COMPREPLY=($(compgen -P CAP_ -W "$caps" -- "${cur#CAP_}"))
            return
            ;;
        --container)
            # Container ids the daemon knows, when we may ask it (briefly).
            local ids
            ids=$(scmpctl listeners --json --timeout 1 2>/dev/null |
                sed -n 's/^ *"container": "\(.*\)",$/\1/p')
            COMPREPLY=($(compgen -W "$ids" -- "$cur"))
            return
            ;;
    esac

    local opts
    opts=$(_scmpctl_options "${words[1]}")
    case ${words[1]} in
        handler)
            if [[ $cword -eq 2 ]]; then
                COMPREPLY=($(compgen -W "enable disable" -- "$cur"))
            elif [[ $cword -eq 3 ]]; then
                local names
                names=$(scmpctl status --json --timeout 1 2>/dev/null |
                    sed -n '/"handlers"/,/]/s/^ *"\([^"]*\)",\{0,1\}$/\1/p')
                COMPREPLY=($(compgen -W "$names continue errno value kill audit" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
            fi
            ;;
        audit)
            if [[ $cword -eq 2 ]]; then
                COMPREPLY=($(compgen -W "profile template clear $opts" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_scmpctl_options audit "${words[2]}")" -- "$cur"))
            fi
            ;;
        resolve)
            # A syscall name (or a number) of the chosen arch, or an option.
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
            else
                local arch="" i
                for ((i = 2; i < cword; i++)); do
                    [[ ${words[i]} == --arch ]] && arch=${words[i + 1]}
                done
                COMPREPLY=($(compgen -W "$(scmpctl syscalls ${arch:+--arch "$arch"} 2>/dev/null |
                    awk '{ print $2 }')" -- "$cur"))
            fi
            ;;
        compile | disasm | simulate)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "$opts" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
            ;;
        run)
            # Options until --, then the command and its files.
            local i
            for ((i = 2; i < cword; i++)); do
                if [[ ${words[i]} == -- ]]; then
                    COMPREPLY=($(compgen -c -f -- "$cur"))
                    return
                fi
            done
            COMPREPLY=($(compgen -W "$opts --" -- "$cur"))
            ;;
        *)
            COMPREPLY=($(compgen -W "$opts" -- "$cur"))
            ;;
    esac
}
complete -F _scmpctl scmpctl
