#!/bin/bash
# Component tests of the real xen-channel-helper: umockdev testbed consoles
# (edited in $UMOCKDEV_DIR while the test runs), the fake xenstore server,
# and scratch --dev-dir/--run-dir folders under $T (umockdev does not
# redirect symlink/rename/unlink: the helper is never run without them).
#
#   umockdev-run -- bash test-helper.sh HELPER   (TAP on stdout)
# $HELPER_WRAPPER (e.g. "valgrind -q --error-exitcode=99") goes in front of
# the helper.

HELPER=$1
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SRCDIR/../lib/tap.sh"
. "$SRCDIR/../xenstore/xs-peer.sh"

[ -n "${UMOCKDEV_DIR:-}" ] || skip_all "not under umockdev-run"
[ -x "$HELPER" ] || skip_all "no helper at $HELPER"
xs_peer_available fake || skip_all "no fake xenstore server"
[ -x "${XC_MK_TESTBED:-}" ] || bail "XC_MK_TESTBED must name the built tests/lib/mk-testbed"

T=$(mktemp -d /tmp/xc-component-helper.XXXXXX)
trap 'xs_peer_stop >/dev/null 2>&1; rm -rf "$T"' EXIT
SYS=$UMOCKDEV_DIR/sys

# ---- the testbed (tests/lib/mk-testbed edits it while umockdev-run runs) ----
con_add() { "$XC_MK_TESTBED" --sysfs "$SYS" "$1${2:+:$2}"; } # con_add N [unbound]
con_del() { "$XC_MK_TESTBED" --sysfs "$SYS" --remove "$1"; }
con_reset() { "$XC_MK_TESTBED" --sysfs "$SYS" --remove $(seq 0 12); }

# ---- folders and the helper ------------------------------------------------
dirs_n=0
fresh() { # new scratch $W with $DEV, $RUN; empty testbed; xenstore emptied
        dirs_n=$((dirs_n + 1))
        W=$T/w$dirs_n DEV=$T/w$dirs_n/dev RUN=$T/w$dirs_n/run LINKS=$T/w$dirs_n/dev/xen-channel
        mkdir -p "$DEV"
        con_reset
        local i
        for i in $(seq 1 9); do xs_peer_rm "device/console/$i/name" 2>/dev/null; done
}
helper() { # helper ARGS...: sets RC, OUT
        OUT=$(${HELPER_WRAPPER:-} "$HELPER" --dev-dir "$DEV" --run-dir "$RUN" --timeout 2000 \
                "$@" 2>"$T/stderr")
        RC=$?
        [ "$RC" -eq 0 ] || sed 's/^/# stderr: /' "$T/stderr"
}
# link_env N NAME SLOT CMD: run link/unlink as udev would, properties in the env
udev_run() {
        local cmd=$1 devid=$2 name=$3 slot=$4
        XEN_CHANNEL_NAME=$name XEN_CHANNEL_TTY=hvc$slot XEN_CHANNEL_DEVNAME=$DEV/hvc$slot \
        DEVPATH=/devices/console-$devid ACTION=$([ "$cmd" = link ] && echo add || echo remove) \
                helper "$cmd"
}
lnk() { readlink "$LINKS/$1" 2>/dev/null || echo "(none)"; }
tree() { (cd "$1" && find . -printf '%p %y %l\n' | sort); }
export_field() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p"; }

xs_peer_start fake "$T/xs" || bail "cannot start the fake xenstore"

# ---- export ----------------------------------------------------------------
fresh
con_add 1; con_add 2; con_add 3        # 2 is a plain console (no name)
xs_peer_write device/console/1/name org.qemu.guest_agent.0
xs_peer_write device/console/3/name org.my-cloud.agent.0
helper export console-1
is "$RC" 0 "export named console-1: exit 0"
is "$OUT" "XEN_CHANNEL_NAME=org.qemu.guest_agent.0
XEN_CHANNEL_DEVID=1
XEN_CHANNEL_TTY=hvc1
XEN_CHANNEL_DEVNAME=$DEV/hvc1
XEN_CHANNEL_LINK=$DEV/xen-channel/org.qemu.guest_agent.0
XEN_CHANNEL_SYSTEMD_INSTANCE=org.qemu.guest_agent.0" "export named console-1: properties"
helper export /devices/console-2
is "$RC/$OUT" "0/" "export unnamed console-2: exit 0, no output"
DEVPATH=/devices/console-3 helper export
is "$RC" 0 "export console-3 from \$DEVPATH: exit 0"
is "$(export_field XEN_CHANNEL_TTY)" hvc3 "console-3 with 1..3 bound is hvc3"
is "$(export_field XEN_CHANNEL_SYSTEMD_INSTANCE)" 'org.my\x2dcloud.agent.0' "systemd instance escapes '-'"
is "$(tree "$DEV")" ". d " "export makes no link"

# ---- gaps: consoles 1 and 3 are hvc1 and hvc2 --------------------------------
fresh
con_add 1; con_add 3
xs_peer_write device/console/1/name chan.one
xs_peer_write device/console/3/name chan.three
helper export 3
is "$RC/$(export_field XEN_CHANNEL_TTY)" "0/hvc2" "gap: console-3 is hvc2 when 1 and 3 are bound"
helper export 1
is "$RC/$(export_field XEN_CHANNEL_TTY)" "0/hvc1" "gap: console-1 is hvc1"
con_add 2 unbound
xs_peer_write device/console/2/name chan.two
helper export 2
is "$RC/$OUT" "5/" "named console not bound: exit 5, no output"

# ---- link / unlink -----------------------------------------------------------
fresh
con_add 1
xs_peer_write device/console/1/name org.qemu.guest_agent.0
reads=$(xs_peer_count XS_READ)
udev_run link 1 org.qemu.guest_agent.0 1
is "$RC/$(lnk org.qemu.guest_agent.0)" "0/../hvc1" "link: xen-channel/<name> -> ../hvc1"
is "$(stat -c %a "$LINKS")" 755 "link folder is 0755"
is "$(xs_peer_count XS_READ)" "$reads" "link makes no xenstore request"
udev_run unlink 1 org.qemu.guest_agent.0 1
is "$RC/$(lnk org.qemu.guest_agent.0)" "0/(none)" "unlink removes the link"
is "$(xs_peer_count XS_READ)" "$reads" "unlink makes no xenstore request"
ln -s ../hvc5 "$LINKS/org.qemu.guest_agent.0"
udev_run unlink 1 org.qemu.guest_agent.0 1
is "$(lnk org.qemu.guest_agent.0)" "../hvc5" "unlink leaves a link that points elsewhere"
rm "$LINKS/org.qemu.guest_agent.0"
ln -s /etc/passwd "$LINKS/org.qemu.guest_agent.0"
udev_run unlink 1 org.qemu.guest_agent.0 1
is "$(lnk org.qemu.guest_agent.0)" "/etc/passwd" "unlink leaves a foreign link"

# ---- runtime: 1,2 bound; 1 goes; 3 arrives and takes hvc1 ---------------------
fresh
con_add 1; con_add 2
xs_peer_write device/console/1/name chan.one
xs_peer_write device/console/2/name chan.two
helper export 1; udev_run link 1 chan.one "$(export_field XEN_CHANNEL_TTY | tr -dc 0-9)"
helper export 2; udev_run link 2 chan.two "$(export_field XEN_CHANNEL_TTY | tr -dc 0-9)"
is "$(lnk chan.one) $(lnk chan.two)" "../hvc1 ../hvc2" "runtime: 1 and 2 are hvc1, hvc2"
con_del 1
udev_run unlink 1 chan.one 1
con_add 3
xs_peer_write device/console/3/name chan.three
helper export 3
is "$RC/$(export_field XEN_CHANNEL_TTY)" "0/hvc1" "runtime: console-3 bound after 1 left is hvc1"
udev_run link 3 chan.three 1
is "$(lnk chan.one) $(lnk chan.two) $(lnk chan.three)" "(none) ../hvc2 ../hvc1" "runtime: links follow"
helper sync
is "$RC/$(lnk chan.two) $(lnk chan.three)" "0/../hvc2 ../hvc1" "runtime: sync agrees with the saved mapping"

# ---- sync --------------------------------------------------------------------
fresh
con_add 1; con_add 2; con_add 3; con_add 4 unbound
xs_peer_write device/console/1/name org.qemu.guest_agent.0
xs_peer_write device/console/3/name org.example.agent.0
xs_peer_write device/console/4/name org.example.unbound
reads=$(xs_peer_count XS_READ)
helper sync
is "$RC" 0 "sync: exit 0"
is "$(lnk org.qemu.guest_agent.0) $(lnk org.example.agent.0) $(lnk org.example.unbound)" \
        "../hvc1 ../hvc3 (none)" "sync: bound named consoles linked, nothing else"
is "$(($(xs_peer_count XS_READ) - reads))" 3 "sync: one xenstore read per bound console"
ln -s ../hvc6 "$LINKS/stale.chan"
ln -s /dev/null "$LINKS/foreign.link"
echo keep >"$LINKS/foreign.file"
xs_peer_rm device/console/3/name
helper sync
is "$RC" 0 "sync again: exit 0"
is "$(lnk org.example.agent.0) $(lnk stale.chan)" "(none) (none)" "sync removes links no console backs"
is "$(lnk foreign.link) $(cat "$LINKS/foreign.file")" "/dev/null keep" "sync leaves foreign files and links alone"
is "$(lnk org.qemu.guest_agent.0)" "../hvc1" "sync keeps the good link"

# A run file that cannot be written is a failure of its own, not of xenstore.
fresh
con_add 1
xs_peer_write device/console/1/name chan.one
mkdir -p "$RUN/state"
helper sync
is "$RC" 1 "sync, state file cannot be written: exit 1, not 4 (xenstore answered)"
ok $(grep -q "^xen-channel-helper: error: sync: cannot write $RUN/state: " "$T/stderr" &&
     [ "$(grep -c '^xen-channel-helper: error: ' "$T/stderr")" = 1 ] && echo 0 || echo 1) \
        "sync, state file cannot be written: one error line, naming the file"

# ---- clash and hand-over -----------------------------------------------------
fresh
con_add 1; con_add 2
xs_peer_write device/console/1/name same.name
xs_peer_write device/console/2/name same.name
udev_run link 2 same.name 2
is "$RC/$(lnk same.name)" "0/../hvc2" "clash: console-2 linked first"
udev_run link 1 same.name 1
is "$RC/$(lnk same.name)" "0/../hvc1" "clash: the lower devid takes the link"
udev_run link 2 same.name 2
is "$RC/$(lnk same.name)" "7/../hvc1" "clash: the higher devid gets exit 7, link left"
con_del 1
udev_run unlink 1 same.name 1
is "$RC/$(lnk same.name)" "0/../hvc2" "clash: owner removed, console-2 takes the link over"
udev_run unlink 2 same.name 2
is "$RC/$(lnk same.name)" "0/(none)" "clash: last one removed, link gone"
fresh
con_add 1; con_add 2
xs_peer_write device/console/1/name same.name
xs_peer_write device/console/2/name same.name
helper sync
# sync reports the clash (-EEXIST) as its first error: the same exit as link.
is "$RC" 7 "clash in sync: exit 7, as for link"
is "$(lnk same.name)" "../hvc1" "clash in sync: the lower devid linked"

# ---- hostile names -----------------------------------------------------------
fresh
con_add 1
before=$(tree "$T/w$dirs_n")
for bad in '../../../../tmp/evil' 'a/b' '..' '.hidden' 'x y' 'evil.' "$(printf 'caf\xc3\xa9')"; do
        xs_peer_write device/console/1/name "$bad"
        helper export 1
        is "$RC/$OUT" "3/" "hostile name '$bad': export exit 3, no output"
        udev_run link 1 "$bad" 1
        is "$RC" 3 "hostile name '$bad': link exit 3"
done
is "$(tree "$T/w$dirs_n")" "$before" "hostile names: nothing made in the scratch tree"
helper sync
is "$RC" 3 "hostile name: sync exit 3, as for export and link"
is "$(tree "$DEV")" ". d " "hostile name: sync makes nothing in the device folder"
ok $([ ! -e /tmp/evil ] && echo 0 || echo 1) "hostile name: nothing at /tmp/evil"

# ---- unsafe device folder ----------------------------------------------------
fresh
con_add 1
xs_peer_write device/console/1/name chan.one
mkdir "$W/target"
ln -s "$W/target" "$LINKS"
udev_run link 1 chan.one 1
is "$RC" 6 "symlinked xen-channel: link exit 6"
helper sync
is "$RC" 6 "symlinked xen-channel: sync exit 6"
udev_run unlink 1 chan.one 1
is "$RC" 6 "symlinked xen-channel: unlink exit 6"
is "$(tree "$W/target")" ". d " "symlinked xen-channel: its target untouched"
is "$(readlink "$LINKS")" "$W/target" "symlinked xen-channel: the symlink itself untouched"
rm "$LINKS"; echo x >"$LINKS"
udev_run link 1 chan.one 1
is "$RC/$(cat "$LINKS")" "6/x" "xen-channel a regular file: link exit 6, file untouched"

# ---- the run folder is a symlink: exit 6 everywhere, and the right folder named --
fresh
con_add 1
xs_peer_write device/console/1/name chan.one
mkdir "$W/target"
ln -s "$W/target" "$RUN"
for cmd in export link unlink sync; do
        if [ $cmd = link ] || [ $cmd = unlink ]; then udev_run $cmd 1 chan.one 1
        elif [ $cmd = export ]; then helper export 1
        else helper sync; fi
        is "$RC/$OUT" "6/" "symlinked run folder: $cmd exit 6, no output"
        ok $(grep -q "refusing $RUN:" "$T/stderr" && ! grep -q "refusing $LINKS" "$T/stderr" \
             && echo 0 || echo 1) "symlinked run folder: $cmd names the run folder, not xen-channel"
done
is "$(tree "$W/target")" ". d " "symlinked run folder: its target untouched"
ok $([ ! -e "$LINKS" ] && echo 0 || echo 1) "symlinked run folder: no link folder made"

# ---- something that is not a symlink where the link goes ---------------------
fresh
con_add 1
mkdir -p "$LINKS/chan.dir"
echo precious >"$LINKS/chan.file"
udev_run link 1 chan.file 1
is "$RC/$(cat "$LINKS/chan.file")" "1/precious" "regular file at the link: link exit 1, file kept"
ok $(grep -q "chan.file is a file, not a symlink" "$T/stderr" && echo 0 || echo 1) \
        "regular file at the link: the log says so"
udev_run link 1 chan.dir 1
is "$RC/$(tree "$LINKS")" "1/. d 
./chan.dir d 
./chan.file f " "folder at the link: link exit 1, nothing replaced, no temp left"
udev_run unlink 1 chan.file 1
is "$RC/$(cat "$LINKS/chan.file")" "0/precious" "regular file at the link: unlink leaves it"

# ---- junk in the udev environment --------------------------------------------
fresh
con_add 1
for tty in hvc9 hvc-1 ../hvc1 hvc1x hvc0 hvc01 " hvc1" hvc; do
        XEN_CHANNEL_NAME=chan.one XEN_CHANNEL_TTY=$tty DEVPATH=/devices/console-1 helper link
        is "$RC" 5 "XEN_CHANNEL_TTY='$tty': link exit 5"
done
XEN_CHANNEL_NAME=chan.one XEN_CHANNEL_TTY=hvc1 XEN_CHANNEL_DEVNAME=$DEV/hvc2 \
        DEVPATH=/devices/console-1 helper link
is "$RC" 5 "XEN_CHANNEL_TTY and XEN_CHANNEL_DEVNAME disagree: link exit 5"
for dp in /devices/console-1/../console-2 /devices/console-1x /devices/console-10 \
          /devices/console-0 /devices/vif-1 ""; do
        XEN_CHANNEL_NAME=chan.one XEN_CHANNEL_TTY=hvc1 DEVPATH=$dp helper link
        is "$RC" 2 "DEVPATH='$dp': link exit 2"
done
XEN_CHANNEL_NAME='../../x' XEN_CHANNEL_TTY=hvc1 DEVPATH=/devices/console-1 helper link
is "$RC" 3 "XEN_CHANNEL_NAME outside the grammar: link exit 3"
ok $(grep -q 'rejected channel name "\.\./\.\./x"' "$T/stderr" && echo 0 || echo 1) \
        "XEN_CHANNEL_NAME outside the grammar: named in the log"
is "$(tree "$DEV")" ". d " "junk environment: nothing made"

# ---- concurrency -------------------------------------------------------------
fresh
for i in 1 2 3 4 5 6; do
        con_add $i
        xs_peer_write device/console/$i/name chan.$i
done
xs_peer_write device/console/7/name chan.1    # not bound: never linked
pids=()
for round in 1 2 3; do
        for i in 1 2 3 4 5 6; do
                ( OUT=$("$HELPER" --dev-dir "$DEV" --run-dir "$RUN" export $i) &&
                  eval "$(printf '%s\n' "$OUT" | sed 's/^/export /')" &&
                  DEVPATH=/devices/console-$i "$HELPER" --dev-dir "$DEV" --run-dir "$RUN" link $i
                ) >/dev/null 2>>"$T/conc.err" &
                pids+=($!)
        done
        "$HELPER" --dev-dir "$DEV" --run-dir "$RUN" sync >/dev/null 2>>"$T/conc.err" &
        pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "concurrency: ${#pids[@]} helpers at once all succeed"
got=""
for i in 1 2 3 4 5 6; do got="$got $(lnk chan.$i)"; done
is "$got" " ../hvc1 ../hvc2 ../hvc3 ../hvc4 ../hvc5 ../hvc6" "concurrency: every link right"
is "$(ls -A "$LINKS" | wc -l)" 6 "concurrency: no temp files left in the link folder"
is "$(sort "$RUN/state" | tr '\n' ' ')" "1 1 2 2 3 3 4 4 5 5 6 6 " "concurrency: state consistent"
is "$(ls -A "$RUN" | sort | tr '\n' ' ')" "lock mark names state " "concurrency: run folder holds lock, mark, names, state only"

done_testing
