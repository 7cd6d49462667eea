#!/bin/bash
# Component tests of `xen-channel status`: one testbed console (umockdev
# /sys, edited while the test runs) per verdict, the fake xenstore server,
# the real helper to make the links, scratch --dev-dir/--run-dir folders.
#
#   umockdev-run -- bash test-status.sh TOOL HELPER   (TAP on stdout)
#
# The udev database: under umockdev libudev reads a device's properties
# from its uevent file, so the XEN_CHANNEL_* properties udev would have
# stored are written there (and left out for the "udev-missing" case).

TOOL=$1 HELPER=$2
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SRCDIR/../xenstore/xs-peer.sh"

. "$SRCDIR/../lib/tap.sh"

[ -n "${UMOCKDEV_DIR:-}" ] || skip_all "not under umockdev-run"
[ -x "$TOOL" ] || skip_all "no tool at $TOOL"
[ -x "$HELPER" ] || skip_all "no helper at $HELPER"
[ -x "${XC_MK_TESTBED:-}" ] || skip_all "no mk-testbed (\$XC_MK_TESTBED)"
xs_peer_available fake || skip_all "no fake xenstore server"
command -v python3 >/dev/null || skip_all "no python3 (parses the JSON)"

T=$(mktemp -d /tmp/xc-component-status.XXXXXX)
chmod 755 "$T"
trap 'xs_peer_stop >/dev/null 2>&1; rm -rf "$T"' EXIT
SYS=$UMOCKDEV_DIR/sys

# ---- the testbed -----------------------------------------------------------
# con N [unbound] [state S] [udev NAME]: console-N in sysfs (mk-testbed; S
# as sysfs shows it: Connected, Closed, ...), with the XEN_CHANNEL_NAME udev
# stored when NAME is given
con() {
        local spec=$1 udev=""
        shift
        while [ $# -gt 0 ]; do
                case $1 in
                unbound) spec=$spec:unbound ;;
                state) spec=$spec:state=$2; shift ;;
                udev) udev=$2; shift ;;
                esac
                shift
        done
        "$XC_MK_TESTBED" --sysfs "$SYS" "$spec" || bail "mk-testbed $spec"
        [ -z "$udev" ] || echo "XEN_CHANNEL_NAME=$udev" >>"$SYS/devices/console-${spec%%:*}/uevent"
}
# xs N NAME|- [BACKEND_STATE]: device/console/N in xenstore with its backend
xs() {
        local be=/local/domain/0/backend/console/7/$1
        [ "$2" = - ] || xs_peer_write "device/console/$1/name" "$2"
        xs_peer_write "device/console/$1/backend" "$be"
        xs_peer_write "device/console/$1/state" 4
        xs_peer_write "$be/state" "${3:-4}"
}
dirs_n=0
fresh() { # new scratch dev/run folders, empty testbed and xenstore
        local i
        dirs_n=$((dirs_n + 1))
        DEV=$T/w$dirs_n/dev RUN=$T/w$dirs_n/run LINKS=$T/w$dirs_n/dev/xen-channel
        mkdir -p "$DEV"
        chmod -R 755 "$T/w$dirs_n"
        "$XC_MK_TESTBED" --sysfs "$SYS" --remove $(seq 0 19)
        xs_peer_rm device 2>/dev/null
        xs_peer_rm /local/domain/0/backend 2>/dev/null
}
helper() { "$HELPER" --dev-dir "$DEV" --run-dir "$RUN" --timeout 2000 "$@" 2>"$T/helper.err"; }
# status ARGS...: sets RC, OUT (stdout), ERR (stderr)
status() {
        OUT=$(${TOOL_WRAPPER:-} "$TOOL" --dev-dir "$DEV" --run-dir "$RUN" status "$@" 2>"$T/err")
        RC=$?
        ERR=$(cat "$T/err")
}
# line CONSOLE: the status line of console-N (first line of its entry)
line() { printf '%s\n' "$OUT" | grep -E "^$1 "; }
hint() { printf '%s\n' "$OUT" | grep -A1 -E "^$1 " | sed -n '2s/^ *//p'; }
verdict() { line "$1" | awk '{print $4}'; }
# jq-like: py EXPR evaluates EXPR on the JSON in $OUT (j is the object)
py() { printf '%s' "$OUT" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

xs_peer_start fake "$T/xs" || bail "cannot start the fake xenstore"

# ---- every verdict in one guest ----------------------------------------------
fresh
con 1 udev chan.ok; xs 1 chan.ok                      # ok
con 2; xs 2 -                                         # plain-console
xs 3 chan.nodev                                       # no-device: xenstore only
con 4 unbound; xs 4 chan.unprobed                     # not-probed
con 5 state Closed udev chan.closed; xs 5 chan.closed 6    # backend closed
con 6 udev chan.hostile; xs 6 '../../etc/x'           # name-rejected
con 7 udev chan.dup; xs 7 chan.dup                    # owns chan.dup
con 8 udev chan.dup; xs 8 chan.dup                    # name-taken
con 9 udev chan.nolink; xs 9 chan.nolink              # link-missing (removed below)
xs 0 chan.zero                                        # bad-devid 0
con 12 udev chan.twelve; xs 12 chan.twelve            # bad-devid 12
helper sync
rm -f "$LINKS/chan.nolink"
ln -s ../hvc1 "$LINKS/chan.closed"                    # the stale link of a closed console
ln -s ../hvc4 "$LINKS/old.gone"                       # left by nothing
status
is "$RC" 7 "status with broken channels: exit 7"
is "$(verdict console-1)" ok "console-1: ok"
like "$(hint console-1)" "*xen-channel/chan.ok -> ../hvc1" "ok: the hint shows the link"
is "$(verdict console-2)" plain-console "console-2 without a name: plain-console"
is "$(verdict console-3)" no-device "console-3 in xenstore, not in sysfs: no-device"
is "$(verdict console-4)" not-probed "console-4 not bound: not-probed"
like "$(hint console-4)" "*$(uname -r)*fe415186b43d*ef5dd8ec88ac*" "not-probed: kernel version and the known bug"
is "$(verdict console-5)" backend-not-connected "console-5 state Closed: backend-not-connected"
like "$(hint console-5)" "*Closed (6)*stale link*sync*" "closed console: hint names its stale link and sync"
is "$(line console-5 | awk '{print $2, $3}')" "chan.closed -" "closed console: no tty"
is "$(verdict console-6)" name-rejected "console-6 hostile name: name-rejected"
like "$(hint console-6)" "*contains '/'*" "name-rejected: the reason"
is "$(verdict console-7)" ok "console-7 owns chan.dup: ok"
is "$(verdict console-8)" name-taken "console-8, same name: name-taken"
like "$(hint console-8)" "*console-7*" "name-taken: says which console owns it"
is "$(verdict console-9)" link-missing "console-9 without its link: link-missing"
like "$(hint console-9)" "*xen-channel-helper sync*" "link-missing: hint says to run sync"
is "$(verdict console-0)" bad-devid "console 0: bad-devid"
is "$(verdict console-12)" bad-devid "console-12: bad-devid"
like "$(hint console-12)" "*devid 2*" "devid 12: the kernel reads it as devid 2"
is "$(printf '%s\n' "$OUT" | awk '$1 == "link" {print $2, $3, $4}')" "old.gone ../hvc4 link-orphaned" "a link no console carries: link-orphaned"
# slots: 1 -> hvc1, 2 -> hvc2, 5 closed holds none, 6 hvc3, 7 hvc4, 8 hvc5, 9 hvc6, 12 hvc7
is "$(line console-9 | awk '{print $3}')" hvc6 "console-9's slot skips the closed console"

# ---- what sync repairs, seen by status ---------------------------------------
ln -sfn ../hvc2 "$LINKS/chan.ok"
status chan.ok
is "$RC" 7 "status NAME with a wrong link: exit 7"
is "$(verdict console-1)" link-wrong "link to another tty: link-wrong"
helper sync
status chan.ok
is "$RC/$(verdict console-1)" "0/ok" "after sync: status NAME exit 0, ok"
is "$(readlink "$LINKS/chan.closed" 2>/dev/null || echo gone)" gone "sync removed the closed console's link"
is "$(readlink "$LINKS/chan.nolink")" ../hvc6 "sync made the missing link"

# ---- status NAME -------------------------------------------------------------
status chan.dup
is "$RC" 0 "status NAME of a clash's owner: exit 0"
is "$(printf '%s\n' "$OUT" | grep -cE '^console-')" 2 "status NAME shows every console carrying the name"
status no.such.channel
is "$RC" 4 "status NAME nobody carries: exit 4"
like "$OUT$ERR" "*no console carries*" "status NAME nobody carries: says so"
status 'bad/name'
is "$RC" 3 "status with an invalid NAME: exit 3"

# ---- udev database without properties ----------------------------------------
fresh
con 1; xs 1 chan.noudev
helper sync
status
is "$RC/$(verdict console-1)" "7/udev-missing" "linked but no udev properties: udev-missing, exit 7"
like "$(hint console-1)" "*udevadm trigger --action=change*" "udev-missing: hint says how to re-run the rule"

# ---- slots past hvc7; a backend still connecting -----------------------------
fresh
for i in 1 2 3 4 5 6 7 8; do con $i; xs $i -; done
con 9 udev chan.nine; xs 9 chan.nine
con 7 udev chan.seven; xs 7 chan.seven 3
helper sync
status
is "$(verdict console-9)" no-tty "console-9 on hvc9: no-tty"
like "$(hint console-9)" "*slot 9, which has no tty*" "no-tty: the hint names the slot"
is "$(verdict console-7)" backend-not-connected "backend state 3: backend-not-connected"
like "$(hint console-7)" "*state 3, Initialised*" "connecting: the hint gives the backend's state"
is "$(line console-7 | awk '{print $3}')" hvc7 "a console still connecting holds its slot"

# ---- JSON --------------------------------------------------------------------
fresh
con 1 udev chan.a; xs 1 chan.a
con 2 state Closed udev chan.b; xs 2 chan.b 6
helper sync
status --json
is "$RC" 7 "--json: the same exit status"
is "$(py 'j["version"], j["ok"], len(j["consoles"])')" "(1, False, 2)" "JSON: version, ok, one entry per console"
is "$(py '[(c["devid"], c["name"], c["tty"], c["verdict"]) for c in j["consoles"]]')" \
        "[(1, 'chan.a', 'hvc1', 'ok'), (2, 'chan.b', None, 'backend-not-connected')]" "JSON: devid, name, tty, verdict"
is "$(py 'j["consoles"][1]["sysfs"]["state"], j["consoles"][1]["xenstore"]["backend_state"]')" "(6, 6)" \
        "JSON: frontend and backend states"
is "$(py 'j["consoles"][0]["link"]["target"], j["consoles"][0]["udev"]["XEN_CHANNEL_NAME"]')" "('../hvc1', 'chan.a')" \
        "JSON: link target and udev properties"
is "$(py 'sorted(j["consoles"][0].keys())')" \
        "['device', 'devid', 'hint', 'link', 'name', 'name_reason', 'name_source', 'owner', 'slot', 'sysfs', 'tty', 'udev', 'verdict', 'xenstore']" \
        "JSON: every documented key, none missing"

# ---- a user without privileges -----------------------------------------------
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
        chmod 700 "$T/xs"
        chmod 755 "$UMOCKDEV_DIR"     # sysfs is world-readable on a real system
        OUT=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
                "$TOOL" --dev-dir "$DEV" --run-dir "$RUN" status --json 2>"$T/err")
        RC=$?
        chmod 755 "$T/xs"
        is "$RC" 7 "as nobody: same exit status (xenstore unreadable is not an error)"
        is "$(py '[(c["name"], c["name_source"], c["xenstore"]["backend_state"]) for c in j["consoles"]]')" \
                "[('chan.a', 'run-folder', None), ('chan.b', 'udev', None)]" \
                "as nobody: names from the run folder or udev's database, backend state unknown"
        is "$(py '[c["verdict"] for c in j["consoles"]]')" "['ok', 'backend-not-connected']" \
                "as nobody: the verdicts from sysfs, links and the run folder"
        is "$(cat "$T/err")" "" "as nobody: nothing on stderr"
else
        for i in 1 2 3 4; do ok 0 "# SKIP not root or no setpriv"; done
fi

# ---- a mute xenstore bounds status -------------------------------------------
fresh
con 1 udev chan.a; xs 1 chan.a          # udev stored its name
con 2; xs 2 chan.m                      # only xenstore and the run folder know it
helper sync
xs_peer_stop
xs_peer_start fake "$T/xs2" --fault mute || bail "cannot start the mute xenstore"
t0=$(date +%s%N)
status
ms=$((($(date +%s%N) - t0) / 1000000))
ok $((ms < 10000 ? 0 : 1)) "mute xenstore: status returned after ${ms} ms (bound 2 s per request)"
like "$ERR" "*xenstore*did not answer*" "mute xenstore: one line says xenstore did not answer"
is "$(verdict console-1)/$(verdict console-2)" "ok/udev-missing" "mute xenstore: names from udev and the run folder"
is "$RC" 7 "mute xenstore: exit 7 (console-2 has no udev properties)"
rm -rf "$RUN"
status
is "$RC/$(line console-2 | awk '{print $2, $4}')" "8/? unknown" \
        "mute xenstore and no run folder: console-2's name unknown, exit 8 (cannot tell)"

# ---- a hole below a console: the resume check (xen-channel(7)) --------------
# An hvc slot with a console behind it is a file <dev>/hvcN here (open()
# works), an empty one is no file.
xs_peer_stop
xs_peer_start fake "$T/xs3" || bail "cannot start the fake xenstore again"
fresh
con 1 udev chan.a; xs 1 chan.a
con 2 udev chan.b; xs 2 chan.b
touch "$DEV/hvc1" "$DEV/hvc2"
helper sync
"$XC_MK_TESTBED" --sysfs "$SYS" --remove 1; xs_peer_rm device/console/1
helper sync
is "$(xs_peer_read data/xen-channel/resume-mark)" 1 "the hole at hvc1 is marked"
# hvc1 still opens: a process holds the removed console's tty
status chan.b
is "$RC/$(line console-2 | awk '{print $3, $4}')" "0/hvc2 ok" \
        "hvc1 held, the mark there: console-2 stays on hvc2, ok"
xs_peer_rm data/xen-channel; rm "$DEV/hvc1"
status chan.b
is "$RC/$(line console-2 | awk '{print $3, $4}')" "0/hvc2 ok" "no mark, hvc1 empty: no resume, ok"
is "$(xs_peer_read data/xen-channel/resume-mark 2>/dev/null || echo none)" none \
        "status only reads: it writes no mark"
# a restore: no mark, and console-2 is behind hvc1 now
touch "$DEV/hvc1"; rm "$DEV/hvc2"
status chan.b
is "$RC/$(line console-2 | awk '{print $3, $4}')" "7/hvc1 link-wrong" \
        "after a resume (no mark, hvc1 live): console-2 on hvc1, its link wrong"

# ---- the slots as the helper works them out: console-1x ----------------------
# The kernel probes console-11..19 as devid 1..9: a bound console-11 holds
# devid 1's slot (unless console-1 holds it). status and the helper count
# the same consoles, so from the same (here: no) saved state they give
# console-2 the same tty.
# slot_case DESC WANT SPEC...: console-2 named chan.b and the consoles of SPEC
slot_case() {
        local desc=$1 want=$2 spec helper_tty
        shift 2
        fresh
        for spec in "$@"; do
                "$XC_MK_TESTBED" --sysfs "$SYS" "$spec" || bail "mk-testbed $spec"
                xs "${spec%%:*}" -
        done
        con 2 udev chan.b; xs 2 chan.b
        helper sync
        rm -rf "$RUN"
        status chan.b
        rm -rf "$RUN"
        helper_tty=$(helper export 2 | sed -n 's/^XEN_CHANNEL_TTY=//p')
        is "$(line console-2 | awk '{print $3, $4}')/$helper_tty" "$want" "$desc"
}
slot_case "console-11 bound: status and helper put console-2 on hvc2" "hvc2 ok/hvc2" 11
slot_case "console-1 Closed, console-11 bound: console-2 on hvc2 for both" "hvc2 ok/hvc2" \
        1:state=Closed 11
slot_case "console-1 unbound, console-11 bound: console-2 on hvc2 for both" "hvc2 ok/hvc2" \
        1:unbound 11
slot_case "console-11 Closed: it holds no slot, console-2 on hvc1 for both" "hvc1 ok/hvc1" \
        11:state=Closed
slot_case "console-11 unbound: it holds no slot, console-2 on hvc1 for both" "hvc1 ok/hvc1" \
        11:unbound

# ---- each error shown is the one of the call that failed ---------------------
unlike() {
        if [[ $1 == $2 ]]; then
                ok 1 "$3"
                printf '#   got:      %q\n' "$1"
        else
                ok 0 "$3"
        fi
}
# No xenstore, then a link folder that is a file: the link folder's fault
# comes later and must not be shown as xenstore's.
fresh
con 1 udev chan.a; xs 1 chan.a
helper sync
rm -rf "$LINKS"; touch "$LINKS"
XENSTORED_PATH=$T/no-such-socket status
like "$ERR" "*xenstore: *" "no xenstore: stderr says xenstore failed"
unlike "$ERR" "*refusing*" "no xenstore, link folder a file: the xenstore line is xenstore's own error"
XENSTORED_PATH=$T/no-such-socket status --json
like "$(py 'j["xenstore_error"]')" "*xenstore*" "JSON: xenstore_error is xenstore's"
unlike "$(py 'j["xenstore_error"]')" "*refusing*" "JSON: xenstore_error is not the link folder's error"

# ---- a file that is not a link where the link belongs ------------------------
fresh
con 1 udev chan.a; xs 1 chan.a
helper sync
rm "$LINKS/chan.a"; echo data >"$LINKS/chan.a"
status
is "$RC/$(verdict console-1)" "7/link-blocked" "a regular file at the link's place: link-blocked, exit 7"
like "$(hint console-1)" "*not a link*remove it*sync*" "link-blocked: the hint says remove it, then sync"
status --json
is "$(py 'j["consoles"][0]["verdict"], j["consoles"][0]["link"]["target"]')" "('link-blocked', None)" \
        "JSON: link-blocked, no target"

# ---- bytes from outside are escaped -------------------------------------------
# no_controls TEXT: TEXT holds no C0 byte but \n and \t, no DEL, no C1
# (raw, or U+0080..U+009F as UTF-8).
no_controls() {
        printf '%s' "$1" | python3 -c '
import sys
t = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
bad = [c for c in t if c not in "\n\t" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
                                           or 0xdc80 <= ord(c) <= 0xdc9f)]
sys.exit(1 if bad else 0)'
}
fresh
con 1 udev chan.a; xs 1 chan.a
con 2 udev chan.b; xs 2 chan.b
helper sync
ln -sfn $'../hvc1\e[31m\a\x7f\x9b\xc2\x9b' "$LINKS/chan.b"
xs 3 $'chan\xc2\x9bc\e]0;x\a\x9b'
con 3 udev $'u\e[2J\xc2\x9b\x9b'
status
is "$(verdict console-2)" link-wrong "a hostile link target: link-wrong"
ok "$(no_controls "$OUT$ERR"; echo $?)" "text: no control byte (C0, DEL, C1) of a link target, name or property"
like "$(hint console-2)" '*\\x1b*' "text: ESC in the link target is shown as \\x1b"
status --json
ok "$(no_controls "$OUT"; echo $?)" "JSON: no control byte (C0, DEL, C1) raw"
is "$(py 'j["consoles"][2]["name"]')" "$(printf 'chan\u009bc\e]0;x\a\ufffd')" \
        "JSON: the hostile name parses back, C1 kept as U+009B, the invalid byte as U+FFFD"
like "$OUT" '*chan\\u009bc\\u001b*' "JSON: C1 and ESC written as \\u escapes"

done_testing
