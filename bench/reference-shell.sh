#!/bin/sh
# The baseline: what guests use today, rewritten for the bench. It mirrors
# the script of Xen's xen-pv-channel(7) ("xen-console-setup") and openSUSE's
# xen-channel-setup.sh: read the name with xenstore-read, mkdir -p the
# folder, ln -sfn to hvcN assuming console-N is hvcN (the folklore mapping),
# and on remove read the name again and rm the link. No validation, no lock.
#   reference-shell.sh add|remove DEVPATH DEVDIR
set -e
n=${2##*console-}
name=$(xenstore-read "device/console/$n/name")
case $1 in
add)
        mkdir -p "$3/xen-channel"
        ln -sfn "../hvc$n" "$3/xen-channel/$name"
        ;;
remove)
        rm -f "$3/xen-channel/$name"
        ;;
esac
