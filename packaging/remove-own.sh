# xen-channel: remove what the helper made at run time, and nothing else.
# POSIX sh, put whole into the Debian postrm (debian/rules) and the RPM
# postun scriptlet (the spec) at build time: one copy for both. It defines
# xc_remove_own LINK_DIR RUN_DIR and runs nothing.
#
# Ours are the helper's links (a symlink to exactly ../hvc1 .. ../hvc7, the
# slots of a channel, as lib/core/links.c makes them, its temp links
# ".NAME.PID.tmp" too) and the run files of lib/core/rundir.c (lock, state,
# names, mark, and the temp files state.tmp and names.tmp). Anything else in
# those folders was put there by someone else: it stays, and so does the
# folder. Nothing is entered below the folder (so nothing is removed through
# a mount), and a removal that fails (a busy mount point) is said, not fatal:
# a purge must not fail over what it was never asked to own.

# One line for what stays: its path and why.
xc_left() {
        echo "xen-channel: left $1: $2" >&2
}

# What a command's error says after its "prog: cannot ... 'path': " prefix.
xc_reason() {
        echo "${1##*: }"
}

xc_own_link() {
        [ -L "$1" ] || return 1
        case $(readlink -- "$1") in
        ../hvc[1-7]) ;;
        *) return 1 ;;
        esac
        # A valid channel name never starts with '.': a dot name is ours only
        # as a temp link.
        case ${1##*/} in
        .?*.[0-9]*.tmp | [!.]*) return 0 ;;
        esac
        return 1
}

xc_own_run_file() {
        [ -f "$1" ] && [ ! -L "$1" ] || return 1
        case ${1##*/} in
        lock | state | state.tmp | names | names.tmp | mark) return 0 ;;
        esac
        return 1
}

# Why an entry that is not ours stays.
xc_foreign() {
        if [ -L "$1" ]; then
                echo "a link to $(readlink -- "$1"), not one the helper makes"
        elif [ -d "$1" ]; then
                echo "a folder, not the helper's (never entered)"
        else
                echo "not the helper's"
        fi
}

# xc_sweep DIR OWN: remove the entries of DIR that OWN (a function of the
# entry's path) says are ours, then DIR when it is empty.
xc_sweep() {
        xc_dir=$1
        if [ -L "$xc_dir" ]; then
                xc_left "$xc_dir" "a symlink, not the helper's folder"
                return 0
        fi
        [ -d "$xc_dir" ] || return 0
        for xc_p in "$xc_dir"/* "$xc_dir"/.[!.]* "$xc_dir"/..?*; do
                [ -e "$xc_p" ] || [ -L "$xc_p" ] || continue
                if ! "$2" "$xc_p"; then
                        xc_left "$xc_p" "$(xc_foreign "$xc_p")"
                elif ! xc_err=$(rm -f -- "$xc_p" 2>&1); then
                        xc_left "$xc_p" "$(xc_reason "$xc_err")"
                fi
        done
        if ! xc_err=$(rmdir -- "$xc_dir" 2>&1); then
                xc_left "$xc_dir" "$(xc_reason "$xc_err")"
        fi
        return 0
}

xc_remove_own() {
        xc_sweep "$1" xc_own_link
        xc_sweep "$2" xc_own_run_file
}
