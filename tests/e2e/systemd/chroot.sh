#!/bin/sh
# chroot.sh [--around] [--lower DIR] ROOT CMD...
#   run CMD chrooted into ROOT (a throwaway Debian root); with --around, run
#   CMD outside ROOT with ROOT's mounts made (autopkgtest-virt-chroot then
#   chroots into it); with --lower, ROOT is first mounted as an overlay of the
#   read-only DIR (a cached root) and ROOT.upper: DIR is never written, and
#   the throwaway root costs no copy.
# In a private mount namespace: ROOT gets /proc and a private /dev (a tmpfs
# with null/zero/random/tty nodes, /dev/fd and a new devpts instance). Nothing of the
# machine's /dev or /sys is visible or touched, and the mounts go with CMD.
set -e
around=0 lower=
[ "$1" = --around ] && { around=1; shift; }
[ "$1" = --lower ] && { lower=$2; shift 2; }
r=${1:?usage: chroot.sh [--around] [--lower DIR] ROOT CMD...}; shift
[ -n "$lower" ] && mkdir -p "$r" "$r.upper" "$r.work"
exec unshare --mount --propagation private -- sh -c '
        around=$1 lower=$2 r=$3; shift 3
        [ -z "$lower" ] || mount -t overlay overlay -o "lowerdir=$lower,upperdir=$r.upper,workdir=$r.work" "$r"
        mount -t proc proc "$r/proc"
        mount -t tmpfs -o mode=0755 tmpfs "$r/dev"
        for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
                d=${n%% *}; mm=${n#* }
                mknod -m 666 "$r/dev/$d" c ${mm% *} ${mm#* }
        done
        mkdir "$r/dev/pts" "$r/dev/shm"
        mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
        ln -s pts/ptmx "$r/dev/ptmx"
        ln -s /proc/self/fd "$r/dev/fd"
        for n in 0:stdin 1:stdout 2:stderr; do ln -s /proc/self/fd/${n%:*} "$r/dev/${n#*:}"; done
        [ $around = 1 ] && exec "$@"
        exec chroot "$r" "$@"' sh $around "$lower" "$r" "$@"
