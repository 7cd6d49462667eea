#!/bin/bash
# xen-channel systemd e2e suite: a Debian 12 guest with systemd as PID 1 on a
# real Xen 4.17 (under QEMU), the project installed from its own .debs, the
# shipped qemu-guest-agent integration and the example agent; plus the Debian
# QA of the packages (autopkgtest, lintian, install/upgrade/purge cycle).
#
#   run.sh [--source DIR] [--out DIR] [--no-qa] [--no-boot]
#   run.sh --warm     only build what is cached (the e2e base of tests/e2e and
#                     the Debian roots): scripts/run-tests runs this beside its
#                     first builds, so that a fresh machine's debootstrap and
#                     downloads are not waited for inside the suites
#
# Environment: E2E_CACHE (shared with tests/e2e: default
#   ${XDG_CACHE_HOME:-$HOME/.cache}/xen-channel-e2e), E2E_TIMEOUT (bound on the
#   boot and scenarios, default 1500 s), E2E_CPU (Nehalem), E2E_XENEXTRA (smap=0),
#   E2E_SYSTEMD_DEBS (this tree's packages, built beforehand by debs.sh:
#   scripts/run-tests does it beside the first suite).
# Exit: 0 all passed, 1 something failed, 77 skipped (prerequisites missing).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-channel-e2e}
SRC=$(cd "$HERE/../../.." && pwd)
OUT=${E2E_OUT:-$CACHE/last-run-systemd}
QA=1; BOOT=1; WARM=0
while [ $# -gt 0 ]; do
        case $1 in
        --source) SRC=$(cd "$2" && pwd); shift 2 ;;
        --out)    OUT=$2; shift 2 ;;
        --no-qa)  QA=0; shift ;;
        --no-boot) BOOT=0; shift ;;
        --warm)   WARM=1; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
        esac
done
T0=$(date +%s)
skip() { echo "e2e-systemd: SKIP: $*"; exit 77; }
fail() { echo "e2e-systemd: ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, dpkg -i into the guest root)"
missing=""
need() { [ -e "$1" ] || missing="$missing $2"; }
need /usr/bin/qemu-system-x86_64 qemu-system-x86
need /boot/xen-4.17-amd64.gz xen-hypervisor-4.17-amd64
need /usr/lib/xen-4.17/bin/xl xen-utils-4.17
need /usr/libexec/xen-qemu-system-i386 qemu-system-xen
need /bin/busybox busybox-static
need /usr/bin/cpio cpio
need /usr/sbin/debootstrap debootstrap
need /usr/bin/dpkg-buildpackage dpkg-dev
need /usr/bin/dh debhelper
need /usr/bin/lintian lintian
need /usr/bin/autopkgtest autopkgtest
[ -n "$missing" ] && skip "missing Debian packages:$missing (tests/e2e/install-deps.sh installs them)"
if [ $WARM = 1 ]; then
        # both are keyed and built under a lock: a suite run that comes
        # meanwhile waits for them, then finds them cached
        w=$(mktemp -d /tmp/xc-e2e-warm.XXXXXX)
        E2E_CACHE=$CACHE "$HERE/../build.sh" --base "$w/base" > "$w/base.log" 2>&1 &
        bpid=$!
        "$HERE/root.sh" "$CACHE" > /dev/null; rc=$?
        wait $bpid || { cat "$w/base.log"; rc=1; }
        rm -rf "$w"
        echo "e2e-systemd: warm: rc=$rc in $(( $(date +%s) - T0 ))s"
        exit $rc
fi

# prebuilt_debs: E2E_SYSTEMD_DEBS (scripts/run-tests builds the packages of
# this tree there beside the first suite, with a .pending file beside it
# while it works) holds finished packages; waits for them, bounded. Sets WAITED.
prebuilt_debs() {
        local d=${E2E_SYSTEMD_DEBS:-}
        WAITED=0
        [ -n "$d" ] && [ "$SRC" = "$(cd "$HERE/../../.." && pwd)" ] || return 1
        while [ -e "$d.pending" ] && [ $WAITED -lt 900 ]; do sleep 1; WAITED=$((WAITED + 1)); done
        [ ! -e "$d.pending" ] && [ -s "$d/version" ] && [ -d "$d/v2" ] && [ -d "$d/example" ]
}

mkdir -p "$OUT" || fail "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
exec 5>"$OUT/.lock"
flock -n 5 || fail "another run is using $OUT (give another --out)"
QPID="" QPA=""
stop_qemu() {
        local i=0
        [ -n "$QPID" ] || return 0
        kill -TERM $QPID 2>/dev/null
        while kill -0 $QPID 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
        kill -KILL $QPID 2>/dev/null; wait $QPID 2>/dev/null; QPID=""
}
on_signal() { echo "e2e-systemd: interrupted by SIG$1" >&2; stop_qemu; [ -n "$QPA" ] && kill $QPA; trap - EXIT; exit $2; }
trap stop_qemu EXIT
trap 'on_signal TERM 143' TERM; trap 'on_signal INT 130' INT; trap 'on_signal HUP 129' HUP
echo "e2e-systemd: output in $OUT, cache in $CACHE"
rm -f "$OUT"/*.txt "$OUT"/*.log

# ------------------------------------------------------------------ packages, root, images
# the Debian root (mostly downloads when it is not cached) beside the package build
"$HERE/root.sh" "$CACHE" > "$OUT/root.entry" 2> "$OUT/root.log" &
RPID=$!
if prebuilt_debs; then
        rm -rf "$OUT/debs"; cp -a "$E2E_SYSTEMD_DEBS" "$OUT/debs"
        echo "e2e-systemd: packages built beside the first suite (E2E_SYSTEMD_DEBS), waited ${WAITED}s for them" | tee "$OUT/debs.log"
        drc=0
else
        "$HERE/debs.sh" "$SRC" "$OUT/debs" 2>&1 | tee "$OUT/debs.log"
        drc=${PIPESTATUS[0]}
fi
T1=$(date +%s)
wait $RPID; rc=$?
cat "$OUT/root.log"
[ $rc = 77 ] && skip "$(grep SKIP "$OUT/root.log" | tail -n 1)"
[ $rc = 0 ] || fail "the Debian root could not be built (see $OUT/root.log)"
[ $drc = 0 ] || fail "the package build failed (see $OUT/debs/v1/build.log)"
ENTRY=$(cat "$OUT/root.entry")
T2=$(date +%s)
if [ $BOOT = 1 ]; then
        E2E_CACHE=$CACHE "$HERE/../build.sh" --base "$OUT/base" > "$OUT/base.log" 2>&1 || { cat "$OUT/base.log"; fail "the e2e base failed"; }
        "$HERE/image.sh" "$ENTRY" "$OUT/debs" "$OUT/base" "$OUT/images" 2>&1 | tee "$OUT/image.log"
        [ ${PIPESTATUS[0]} = 0 ] || fail "the guest image failed (see $OUT/images/dpkg.log)"
fi
T3=$(date +%s)
echo "e2e-systemd: packages $((T1 - T0))s, Debian root $((T2 - T0))s (beside them), images $((T3 - T2))s"

# ------------------------------------------------------------------ Debian QA
# beside the boot: QEMU keeps about one of the two cores busy
if [ $QA = 1 ]; then
        "$HERE/qa.sh" "$ENTRY" "$OUT/debs" "$OUT/qa" > "$OUT/qa.txt" 2>&1 &
        QPA=$!
fi

# ------------------------------------------------------------------ boot and scenarios
SCEN="s1 s2 s4 s3r s3a s5 s6 s7"   # in the order they run
state=skipped
if [ $BOOT = 1 ]; then
        TIMEOUT=${E2E_TIMEOUT:-1500}
        I=$OUT/images; SERIAL=$OUT/serial.log; : > "$SERIAL"
        # dom0 1536 MiB: its initramfs (the guest's image inside) plus the tmpfs
        # for the 384 MiB guest's save image
        XENCMD="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot console_timestamps=boot dom0_mem=1536M,max:1536M dom0_max_vcpus=1 ${E2E_XENEXTRA-smap=0}"
        timeout --foreground -k 10 $((TIMEOUT + 30)) \
        qemu-system-x86_64 -accel tcg,thread=multi,tb-size=512 -cpu "${E2E_CPU:-Nehalem}" -smp 2 -m 3072 \
                -display none -monitor none -serial "file:$SERIAL" -no-reboot \
                -kernel "$I/xen" -append "$XENCMD" \
                -initrd "$I/vmlinuz console=hvc0 earlyprintk=xen loglevel=5,$I/dom0.initrd" > "$OUT/qemu.out" 2>&1 &
        QPID=$!
        echo "e2e-systemd: booting Xen + dom0 + the Debian guest (qemu pid $QPID, bound ${TIMEOUT}s)"
        MARKS=("Xen version" "E2E-DOM0-BEGIN" "toolstack up" "unpaused sysd" "command server up" "E2E-RESULT s1"
               "E2E-RESULT s2" "E2E-RESULT s4" "E2E-RESULT s3r" "E2E-RESULT s3a" "E2E-RESULT s5" "E2E-RESULT s6"
               "E2E-RESULT s7" "E2E-DONE")
        declare -A SEEN; : > "$OUT/milestones.txt"
        state=timeout
        while kill -0 $QPID 2>/dev/null; do
                for m in "${MARKS[@]}"; do
                        [ -n "${SEEN[$m]:-}" ] && continue
                        grep -aqF -- "$m" "$SERIAL" && { SEEN[$m]=1; printf '%5ss  %s\n' $(( $(date +%s) - T3 )) "$m" | tee -a "$OUT/milestones.txt"; }
                done
                grep -aq 'E2E-DONE' "$SERIAL" && { state=done; sleep 3; break; }
                grep -aqE 'Panic on CPU|Kernel panic|Dom0 crashed' "$SERIAL" && { state=panic; sleep 2; break; }
                [ $(( $(date +%s) - T3 )) -ge "$TIMEOUT" ] && break
                sleep 1
        done
        stop_qemu
        tr -d '\r' < "$SERIAL" > "$OUT/serial.txt"
        sed -n 's/^sysd| //p' "$OUT/serial.txt" > "$OUT/guest-console.txt"
fi
T4=$(date +%s)

[ -n "$QPA" ] && { wait $QPA; cat "$OUT/qa.txt"; }
T5=$(date +%s)

# ------------------------------------------------------------------ report
{
        pass=0; failn=0
        if [ $BOOT = 1 ]; then
                echo "==== xen-channel e2e-systemd: $(grep -a -m1 'Xen version' "$OUT/serial.txt" | sed 's/.*Xen version/Xen/; s/ (.*//'), $(cat "$OUT/images/kernel.txt"), guest: Debian 12 + systemd, $(cat "$OUT/debs/version" | tr '\n' ' ')"
                for s in $SCEN; do
                        r=$(grep -a "^E2E-RESULT $s " "$OUT/serial.txt" | tail -n 1)
                        if [ -z "$r" ]; then echo "FAIL $s (not reached: boot state '$state')"; failn=$((failn + 1))
                        else
                                set -- $r; st=$3; shift 3; echo "$st $s: $*"
                                [ "$st" = PASS ] && pass=$((pass + 1)) || failn=$((failn + 1))
                        fi
                        grep -a "^E2E-EVID $s[ :]" "$OUT/serial.txt" | sed "s/^E2E-EVID /    /"
                done
        fi
        if [ $QA = 1 ]; then
                p=$(grep -c '^PASS qa-' "$OUT/qa.txt"); f=$(grep -c '^FAIL qa-' "$OUT/qa.txt")
                grep -E '^(PASS|FAIL) qa-' "$OUT/qa.txt"
                pass=$((pass + p)); failn=$((failn + f))
        fi
        echo "---- timings: packages $((T1 - T0))s, Debian root $((T2 - T0))s (beside them), images $((T3 - T2))s, boot+scenarios $((T4 - T3))s (state: $state), QA beside them, done $((T5 - T4))s after them, total $((T5 - T0))s"
        [ $BOOT = 1 ] && sed 's/^/    /' "$OUT/milestones.txt"
        echo "e2e-systemd: $pass passed, $failn failed"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
echo "e2e-systemd: logs in $OUT: summary.txt serial.txt guest-console.txt qa.txt"
grep -q "^e2e-systemd: [0-9]* passed, 0 failed" "$OUT/summary.txt" && [ "$state" != timeout ] && [ "$state" != panic ]
