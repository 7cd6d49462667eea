#!/bin/bash
# The maintainer-scripts campaign: the Debian postrm and the RPM %postun, as
# the packaging builds them from this source tree, run on removal against
# link and run folders holding the helper's links and run files beside what
# is not the project's: a foreign file, a link to /dev/ttyS0, a folder, a
# file and a folder bind-mounted below, a busy mount point, a symlink where
# a run file would be. Oracle: exactly ours went, the rest stayed (a bind
# mount's content intact), one line names each thing left, exit 0; an
# upgrade touches nothing; folders holding only ours go whole.
#
# Runs as root in a private mount namespace (unshare -m) over an empty
# /dev and /run: the machine's own are never touched. TAP, closing line
#   # campaign maintainer-scripts: tried N held N failed N
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${XEN_CHANNEL_SOURCE_ROOT:-$SRCDIR/../..}
. "$SRCDIR/../lib/tap.sh"

tried=0 held=0
oracle() {
        local before=$_tap_failed
        check "$@"
        tried=$((tried + 1))
        [ "$_tap_failed" -ne "$before" ] || held=$((held + 1))
}

if [ "${1:-}" != --inside ]; then
        [ "$(id -u)" = 0 ] || skip_all "needs root (a private mount namespace)"
        unshare -m true 2>/dev/null || skip_all "unshare -m is not allowed here"
        T=$(mktemp -d "${TMPDIR:-/tmp}/xc-maint.XXXXXX")
        trap 'rm -rf "$T"' EXIT
        unshare -m --propagation private bash "${BASH_SOURCE[0]}" --inside "$T"
        exit $?
fi
T=$2

# The scripts as the builds make them. Debian: debian/rules puts the shared
# fragment into the postrm (a tree without the template ships its postrm
# as it is). RPM: the spec parsed with the tarball beside it.
scripts() {
        local src=$T/xen-channel-0.2.0 deb=$ROOT/packaging/debian
        mkdir -p "$src" && cp -a "$ROOT/packaging" "$src/" && cp -a "$deb" "$src/debian"
        if [ -f "$deb/xen-channel.postrm.in" ]; then
                (cd "$src" && make -s -f debian/rules debian/xen-channel.postrm) || return 1
        fi
        cp "$src/debian/xen-channel.postrm" "$T/postrm"
        command -v rpmspec >/dev/null || return 0
        tar -C "$T" -czf "$T/xen-channel-0.2.0.tar.gz" xen-channel-0.2.0
        rpmspec -P --define "_sourcedir $T" "$ROOT/packaging/rpm/xen-channel.spec" 2>/dev/null |
                awk '/^%postun$/ { on = 1; next } on && /^%[a-z]/ { exit } on' >"$T/postun"
}
scripts || bail "cannot build the maintainer scripts"

# A private /dev and /run (with a working /dev/null).
touch "$T/null" && mount --bind /dev/null "$T/null" &&
        mount -t tmpfs tmpfs /dev && mount -t tmpfs tmpfs /run &&
        touch /dev/null && mount --bind "$T/null" /dev/null || bail "no private /dev and /run"

L=/dev/xen-channel R=/run/xen-channel
OURS="$L/org.example.a $L/org.example.b $L/.org.example.c.4242.tmp
      $R/lock $R/state $R/state.tmp $R/names $R/names.tmp $R/mark"
FOREIGN="$L/README $L/serial $L/beyond $L/.hidden $L/sub $L/bound $L/bound-dir $L/busy
         $R/notes $R/old $R/names.bak $R/sub $R/busy"

# mess: both folders with ours and the foreign things of the header.
mess() {
        mkdir -p $L $R "$T/bind-dir" "$L/sub" "$R/sub" "$L/busy" "$R/busy"
        ln -s ../hvc1 $L/org.example.a
        ln -s ../hvc7 $L/org.example.b
        ln -s ../hvc2 $L/.org.example.c.4242.tmp
        echo "someone's notes" >$L/README
        ln -s /dev/ttyS0 $L/serial
        ln -s ../hvc8 $L/beyond
        ln -s ../hvc3 $L/.hidden
        echo kept >$L/sub/file
        echo precious >"$T/bind-file"
        echo precious >"$T/bind-dir/file"
        touch $L/bound && mount --bind "$T/bind-file" $L/bound
        mkdir $L/bound-dir && mount --bind "$T/bind-dir" $L/bound-dir
        mount -t tmpfs tmpfs $L/busy && echo inside >$L/busy/file
        for f in lock state state.tmp names names.tmp mark; do echo x >$R/$f; done
        echo notes >$R/notes
        ln -s /etc/hostname $R/old
        echo x >$R/names.bak
        echo kept >$R/sub/file
        mount -t tmpfs tmpfs $R/busy
}

clean_up() {
        umount -l $L/bound $L/bound-dir $L/busy $R/busy 2>/dev/null
        rm -rf $L $R
}

# run_script NAME ARG: the script with ARG, its output in $T/out.
run_script() {
        sh "$T/$1" "$2" >"$T/out" 2>&1
}

absent() {
        local p rc=0
        for p in "$@"; do
                if [ -e "$p" ] || [ -L "$p" ]; then echo "still there: $p"; rc=1; fi
        done
        return $rc
}

present() {
        local p rc=0
        for p in "$@"; do
                [ -e "$p" ] || [ -L "$p" ] || { echo "removed: $p"; rc=1; }
        done
        return $rc
}

# Each path left has one line naming it; nothing else is said.
said_each() {
        local p rc=0
        for p in "$@"; do
                [ "$(grep -c "^xen-channel: left $p: " "$T/out")" = 1 ] ||
                        { echo "no one line for $p"; rc=1; }
        done
        [ "$(grep -vc '^xen-channel: left ' "$T/out")" = 0 ] || { cat "$T/out"; rc=1; }
        [ "$(wc -l <"$T/out")" = $# ] || { cat "$T/out"; rc=1; }
        return $rc
}

intact() {
        [ "$(cat $L/bound)" = precious ] && [ "$(cat "$T/bind-file")" = precious ] &&
                [ "$(cat "$T/bind-dir/file")" = precious ] && [ "$(cat $L/busy/file)" = inside ] &&
                [ "$(cat $L/sub/file)" = kept ] && [ "$(cat $R/sub/file)" = kept ] &&
                [ "$(cat $L/README)" = "someone's notes" ] &&
                [ "$(readlink $L/serial)" = /dev/ttyS0 ]
}

campaign() {
        local name=$1 remove=$2 upgrade=$3 rc
        [ -s "$T/$name" ] || { diag "no $name script"; return; }

        mess
        run_script "$name" "$remove"
        rc=$?
        diag "$name $remove said:" && diag <"$T/out"
        oracle "$name $remove over a mixed folder: exit 0" test $rc = 0
        # shellcheck disable=SC2086
        oracle "$name $remove: the helper's links and run files are gone" absent $OURS
        # shellcheck disable=SC2086
        oracle "$name $remove: what is not ours stayed" present $FOREIGN
        oracle "$name $remove: bind mounts, mount points and foreign files intact" intact
        # shellcheck disable=SC2086
        oracle "$name $remove: one line names each thing left, the folders too" \
                said_each $FOREIGN $L $R
        clean_up

        mess
        run_script "$name" "$upgrade"
        # shellcheck disable=SC2086
        oracle "$name $upgrade: nothing removed" present $OURS $FOREIGN
        clean_up

        mkdir -p $L $R && ln -s ../hvc1 $L/org.example.a && echo x >$R/state
        run_script "$name" "$remove"
        rc=$?
        oracle "$name $remove over only ours: exit 0, both folders gone, nothing said" \
                test $rc = 0 -a ! -e $L -a ! -e $R -a ! -s "$T/out"
        clean_up

        mkdir -p $R && echo precious >"$T/bind-file" && touch $R/state &&
                mount --bind "$T/bind-file" $R/state
        run_script "$name" "$remove"
        rc=$?
        oracle "$name $remove with a file mounted on a run file's name: exit 0, kept, said" \
                test $rc = 0 -a "$(cat $R/state)" = precious -a \
                "$(grep -c "^xen-channel: left $R/state: " "$T/out")" = 1
        umount $R/state
        clean_up

        mkdir -p $R && ln -s /etc $L
        run_script "$name" "$remove"
        rc=$?
        oracle "$name $remove with a symlink for the link folder: exit 0, left, said" \
                test $rc = 0 -a -L $L -a -e /etc/hostname
        rm -f $L
        clean_up
}

campaign postrm purge upgrade
campaign postun 0 1
echo "# campaign maintainer-scripts: tried $tried held $held failed $((tried - held))"
done_testing
