#!/bin/bash
# Component tests of `xen-channel-helper watch` and of the mapping that
# follows what the kernel does without a uevent: a backend that closes
# (the console stays bound, sysfs state Closed, its slot is free) and a
# resume (each console re-allocated first-free). Testbed consoles under
# umockdev, the fake xenstore server (it fires watches), scratch folders.
# An hvc slot with a console behind it is a file <dev>/hvcN here (open()
# works), an empty one is no file (as ENODEV on a guest).
#
#   umockdev-run -- bash test-watch.sh HELPER   (TAP on stdout)

HELPER=$1
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SRCDIR/../xenstore/xs-peer.sh"

. "$SRCDIR/../lib/tap.sh"

[ -n "${UMOCKDEV_DIR:-}" ] || skip_all "not under umockdev-run"
[ -x "$HELPER" ] || skip_all "no helper at $HELPER"
[ -x "${XC_MK_TESTBED:-}" ] || skip_all "no mk-testbed (\$XC_MK_TESTBED)"
xs_peer_available fake || skip_all "no fake xenstore server"

T=$(mktemp -d /tmp/xc-component-watch.XXXXXX)
WPID=""
trap '[ -n "$WPID" ] && kill $WPID 2>/dev/null; xs_peer_stop >/dev/null 2>&1; rm -rf "$T"' EXIT
SYS=$UMOCKDEV_DIR/sys
DEV=$T/dev RUN=$T/run LINKS=$T/dev/xen-channel
mkdir -p "$DEV"

con() { "$XC_MK_TESTBED" --sysfs "$SYS" "$1:state=${2:-Connected}" || bail "mk-testbed $1"; }
con_del() { "$XC_MK_TESTBED" --sysfs "$SYS" --remove "$1"; }
helper() { "$HELPER" --dev-dir "$DEV" --run-dir "$RUN" --timeout 2000 "$@" 2>>"$T/helper.err"; }
lnk() { readlink "$LINKS/$1" 2>/dev/null || echo "(none)"; }
# until_link NAME WANT: wait (bounded: 10 s) until NAME's link reads WANT
until_link() {
        local i
        for ((i = 0; i < 100; i++)); do
                [ "$(lnk "$1")" = "$2" ] && return 0
                sleep 0.1
        done
        return 1
}
state() { tr '\n' ' ' <"$RUN/state"; }

xs_peer_start fake "$T/xs" || bail "cannot start the fake xenstore"

# ---- the mapping without the watch --------------------------------------------
for i in 1 2 3; do con $i; xs_peer_write device/console/$i/name chan.$i; done
touch "$DEV/hvc1" "$DEV/hvc2" "$DEV/hvc3"
helper sync
is "$(lnk chan.1) $(lnk chan.2) $(lnk chan.3)" "../hvc1 ../hvc2 ../hvc3" "three consoles: hvc1..3"
echo Closed >"$SYS/devices/console-2/state"
rm "$DEV/hvc2"
helper sync
is "$(lnk chan.2)" "(none)" "backend closed (sysfs state Closed): sync removes its link"
is "$(state)" "1 1 3 3 " "closed console: no slot in the state file"
con 4; xs_peer_write device/console/4/name chan.4
helper export console-4 >"$T/export"
is "$(sed -n 's/^XEN_CHANNEL_TTY=//p' "$T/export")" hvc2 "a console bound later takes the closed console's slot"

# ---- the watch -----------------------------------------------------------------
rm -rf "$DEV" "$RUN"; mkdir -p "$DEV"
for i in 1 2 3 4; do con_del $i; xs_peer_rm device/console/$i; done
for i in 1 2 3; do con $i; xs_peer_write device/console/$i/name chan.$i; xs_peer_write device/console/$i/state 4; done
touch "$DEV/hvc1" "$DEV/hvc2" "$DEV/hvc3"
helper sync
"$HELPER" --dev-dir "$DEV" --run-dir "$RUN" --timeout 2000 watch 2>>"$T/helper.err" &
WPID=$!
sleep 1
reads=$(xs_peer_count XS_READ)
# a backend closes: the frontend writes state 6 (and sysfs says Closed)
echo Closed >"$SYS/devices/console-2/state"
rm "$DEV/hvc2"
xs_peer_write device/console/2/state 6
until_link chan.2 "(none)"
ok $? "watch: the closed console's link goes (no uevent)"
is "$(lnk chan.1) $(lnk chan.3)" "../hvc1 ../hvc3" "watch: the other links stay"
sleep 0.5
diag "xenstore reads for one burst: $(($(xs_peer_count XS_READ) - reads)) (one per console holding a slot, and the mark)"
is "$(($(xs_peer_count XS_READ) - reads))" 3 "watch: one sync, one read per console holding a slot and one of the resume mark"

# a removal (hole at hvc1), then a resume: the kernel moves 3 to hvc1
con_del 1; xs_peer_rm device/console/1; rm "$DEV/hvc1"
con_del 2; xs_peer_rm device/console/2
helper sync
is "$(state)" "3 3 " "after the removals: console-3 still hvc3 (a hole below it)"
until_link chan.1 "(none)"
sleep 0.5
# idle: no wake-ups in 2 s, across all its threads
sw() { cat /proc/$WPID/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s + 0}'; }
s0=$(sw); sleep 2; s1=$(sw)
rss=$(awk '/^VmRSS/ {print $2}' /proc/$WPID/status)
diag "watch idle: $((s1 - s0)) context switches in 2 s, VmRSS $rss kB, $(ls /proc/$WPID/task | wc -l) threads"
is "$((s1 - s0))" 0 "watch: idle, it does not wake up"
is "$(xs_peer_read data/xen-channel/resume-mark)" 1 "the watch's first sync wrote the resume mark into this domain's xenstore"
# the resume: console-3 is now behind hvc1, and the domain's xenstore is a
# new one (libxl builds it afresh at a restore): no mark
touch "$DEV/hvc1"; rm "$DEV/hvc3"
xs_peer_rm data/xen-channel
xs_peer_write device/console/3/ring-ref 8   # what the frontend rewrites at a resume
until_link chan.3 ../hvc1
ok $? "watch: after a resume with a hole below it, console-3's link follows it to hvc1"
is "$(state)" "3 1 " "resume: the state file follows"
is "$(xs_peer_read data/xen-channel/resume-mark 2>&1)" 1 "resume: the mark is written again in the new domain"
# udevadm trigger --action=change replays the tty udev stored at bind:
# the rules run relink for it
XEN_CHANNEL_NAME=chan.3 XEN_CHANNEL_TTY=hvc3 XEN_CHANNEL_DEVNAME=$DEV/hvc3 \
        DEVPATH=/devices/console-3 ACTION=change helper relink
is "$?/$(lnk chan.3)" "0/../hvc1" "a udev change event with the stale tty does not undo it"
kill $WPID; wait $WPID 2>/dev/null; WPID=""
# no resume: a sync with the same hole keeps the slot (hvc1 is empty)
rm -rf "$DEV"/hvc* "$RUN"
for i in 1 2; do con $i; xs_peer_write device/console/$i/name chan.$i; done
touch "$DEV/hvc1" "$DEV/hvc2" "$DEV/hvc3"
helper sync
is "$(lnk chan.3)" ../hvc3 "three consoles again: console-3 is hvc3"
for i in 1 2; do con_del $i; xs_peer_rm device/console/$i; rm "$DEV/hvc$i"; done
helper sync
is "$(lnk chan.3) $(state)" "../hvc3 3 3 " "no resume (hvc1 empty): console-3 keeps hvc3"
# a process still holds the removed console-1's tty: open() of hvc1 works
# (it reaches the dead console's tty), but the mark says no resume happened
touch "$DEV/hvc1"
helper sync
is "$(lnk chan.3) $(state)" "../hvc3 3 3 " "hvc1 held after its console went (mark there): console-3 keeps hvc3"
# the same from a state without the mark (an older version wrote it): the
# empty slot proves there was no resume, and the mark is written then
xs_peer_rm data/xen-channel; rm "$DEV/hvc1"
helper sync
is "$(xs_peer_read data/xen-channel/resume-mark 2>&1)" 1 "no mark, hvc1 empty: the mark is written again"
touch "$DEV/hvc1"
helper sync
is "$(lnk chan.3) $(state)" "../hvc3 3 3 " "then hvc1 held: console-3 keeps hvc3"


# ---- a mark that cannot be read means "cannot tell", never "resumed" -------
# The mark is there, console-1's tty is still held (hvc1 opens), and
# xenstore does not answer for the mark (stalled, refusing, gone): nothing
# may move.
rm -rf "$DEV"/hvc* "$RUN"
for i in 1 2; do con $i; xs_peer_write device/console/$i/name chan.$i; done
touch "$DEV/hvc1" "$DEV/hvc2" "$DEV/hvc3"
helper sync
for i in 1 2; do con_del $i; xs_peer_rm device/console/$i; done
rm "$DEV/hvc2"
helper sync
is "$(lnk chan.3) $(state)" "../hvc3 3 3 " "mark there, hvc1 held: console-3 keeps hvc3"
for fault in "mute /local/domain/0/data" "eacces /local/domain/0/data"; do
        xs_peer_fault $fault
        "$HELPER" --dev-dir "$DEV" --run-dir "$RUN" --timeout 500 sync 2>"$T/err"
        xs_peer_fault none
        is "$(lnk chan.3) $(state)" "../hvc3 3 3 " "mark unreadable (${fault%% *}), hvc1 held: console-3 keeps hvc3" "$(cat "$T/err")"
done
XENSTORED_PATH=$T/no-such-socket "$HELPER" --dev-dir "$DEV" --run-dir "$RUN" --timeout 500 sync 2>"$T/err"
is "$(lnk chan.3) $(state)" "../hvc3 3 3 " "no xenstore at all, hvc1 held: console-3 keeps hvc3" "$(cat "$T/err")"

# ---- watch: a sync that fails is retried until it succeeds ----------------
# A helper stuck on the run-folder lock for 4 s while a resume moves
# console-3 to hvc1: the burst's sync fails (lock bound 2 s); the retry
# must move the link once the lock is free, with no further event.
helper sync
"$HELPER" --dev-dir "$DEV" --run-dir "$RUN" --timeout 2000 -v watch 2>>"$T/helper.err" &
WPID=$!
sleep 1
flock "$RUN/lock" sleep 4 &
HOLDER=$!
sleep 0.2
xs_peer_rm data/xen-channel; rm "$DEV/hvc3"
xs_peer_write device/console/3/ring-ref 9
wait $HOLDER
t0=$(date +%s%N)
until_link chan.3 ../hvc1
ok $? "watch: a sync that failed on a held lock is retried: console-3 follows to hvc1"
diag "watch: the link followed $((($(date +%s%N) - t0) / 1000000)) ms after the lock was free"
grep -q "the sync failed; trying again" "$T/helper.err"
r=$?
[ $r = 0 ] || diag "$(tail -n 5 "$T/helper.err")"
ok $r "watch: says it retries the failed sync"

# ---- watch: a burst has a maximum length ------------------------------------
# A writer every 50 ms for 4 s: the closed console's link must not wait for
# the writer to stop.
con 2; xs_peer_write device/console/2/name chan.2; touch "$DEV/hvc2"
helper sync
until_link chan.2 ../hvc2 || bail "no chan.2"
( for ((i = 0; i < 80; i++)); do xs_peer_write device/console/9/trickle $i; sleep 0.05; done ) &
TRICKLE=$!
sleep 0.3
echo Closed >"$SYS/devices/console-2/state"
rm "$DEV/hvc2"
t0=$(date +%s%N)
xs_peer_write device/console/2/state 6
for ((i = 0; i < 30; i++)); do [ "$(lnk chan.2)" = "(none)" ] && break; sleep 0.1; done
ms=$((($(date +%s%N) - t0) / 1000000))
kill -0 $TRICKLE 2>/dev/null
trickling=$?
wait $TRICKLE
is "$(lnk chan.2)/$trickling" "(none)/0" "watch: under a writer every 50 ms, the closed console's link goes while it still writes (${ms} ms)"
xs_peer_rm device/console/9

# ---- watch: a broken xenstore connection ends it (exit 4) -------------------
xs_peer_stop >/dev/null 2>&1
t0=$(date +%s%N)
for ((i = 0; i < 50; i++)); do kill -0 $WPID 2>/dev/null || break; sleep 0.1; done
wait $WPID
rc=$?
WPID=""
is "$rc" 4 "watch: xenstored gone: exits 4 (systemd restarts it) in $((($(date +%s%N) - t0) / 1000000)) ms"
grep -q "the xenstore connection broke" "$T/helper.err"
ok $? "watch: says the connection broke"

done_testing
