# bash completion for scmpctl(1)
# Commands come from `scmpctl help`, so new ones complete without editing this file.

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

    case $prev in
        --socket | -o | --output)
            COMPREPLY=($(compgen -f -- "$cur"))
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
        --container)
            # Container ids the daemon knows, when we may ask it.
            local ids
            ids=$(scmpctl listeners --json 2>/dev/null | sed -n 's/^ *"container": "\(.*\)",$/\1/p')
            COMPREPLY=($(compgen -W "$ids" -- "$cur"))
            return
            ;;
    esac

    local common="--socket --json --help"
    case ${words[1]} in
        status | listeners | reload)
            COMPREPLY=($(compgen -W "$common" -- "$cur"))
            ;;
        stats)
            COMPREPLY=($(compgen -W "$common --histograms" -- "$cur"))
            ;;
        metrics)
            COMPREPLY=($(compgen -W "--socket -o --help" -- "$cur"))
            ;;
        monitor)
            COMPREPLY=($(compgen -W "$common --container --syscall --verdict" -- "$cur"))
            ;;
        audit)
            if [[ $cword -eq 2 ]]; then
                COMPREPLY=($(compgen -W "profile template clear $common --container" -- "$cur"))
            elif [[ ${words[2]} == profile ]]; then
                COMPREPLY=($(compgen -W "--container --base --runtime --allow-refused -o --control --help" -- "$cur"))
            elif [[ ${words[2]} == template ]]; then
                COMPREPLY=($(compgen -W "--runtime --listener --arch --tag -o --help" -- "$cur"))
            elif [[ ${words[2]} == clear ]]; then
                COMPREPLY=($(compgen -W "--container --control --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$common --container" -- "$cur"))
            fi
            ;;
        handler)
            if [[ $cword -eq 2 ]]; then
                COMPREPLY=($(compgen -W "enable disable" -- "$cur"))
            elif [[ $cword -eq 3 ]]; then
                local names
                names=$(scmpctl status --json 2>/dev/null |
                    sed -n '/"handlers"/,/]/s/^ *"\([^"]*\)",\{0,1\}$/\1/p')
                COMPREPLY=($(compgen -W "$names continue errno value kill audit" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$common" -- "$cur"))
            fi
            ;;
        compile | disasm | simulate | run)
            COMPREPLY=($(compgen -f -- "$cur"))
            ;;
    esac
}
complete -F _scmpctl scmpctl
