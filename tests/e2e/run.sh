#!/bin/bash
# xen-channel end-to-end suite: real Xen 4.17 under QEMU, a dom0 and three PV domUs
# running systemd-udevd with the project's installed rules, helper and tool.
#
#   run.sh [--destdir DIR] [--source DIR] [--builddir DIR] [--out DIR] [--standin [naive]]
#
#   --destdir DIR   an existing install tree of the project (meson install --destdir,
#                   prefix /usr): used as is
#   --builddir DIR  a configured build dir of the project: if its prefix is /usr it is
#                   installed from (no rebuild); otherwise the source is built again
#                   with prefix /usr in OUT/project-build
#   --source DIR    the project's source tree (default: two levels up from here)
#   --standin       test the harness with the shell stand-ins in standin/ instead of
#                   the project; "--standin naive" uses a helper with the wrong
#                   console-N == hvcN mapping (scenario 2 must then FAIL)
#   --out DIR       logs and per-run images (default $E2E_OUT, else $E2E_CACHE/last-run)
#
# Environment: E2E_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/xen-channel-e2e),
#   E2E_TIMEOUT (bound on the boot, default 900 s), E2E_ACCEL (tcg|kvm, default tcg),
#   E2E_CPU, E2E_XENEXTRA (default smap=0, needed under TCG).
#   E2E_ONLY (a list like s6,s7: only those scenarios and the guests they need).
# Exit: 0 all scenarios passed, 1 something failed, 77 skipped (prerequisites missing).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-channel-e2e}
OUT=${E2E_OUT:-$CACHE/last-run}
SRC=$(cd "$HERE/../.." && pwd)
BUILDDIR=""; DESTDIR=""; STANDIN=""; OUT_GIVEN=${E2E_OUT:+yes}
while [ $# -gt 0 ]; do
  case $1 in
    --destdir)  DESTDIR=$2; shift 2 ;;
    --builddir) BUILDDIR=$2; shift 2 ;;
    --source)   SRC=$2; shift 2 ;;
    --out)      OUT=$2; OUT_GIVEN=yes; shift 2 ;;
    --standin)  STANDIN=standin; shift
                [ "${1:-}" = naive ] && { STANDIN=naive; shift; } ;;
    -h|--help)  sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
T0=$(date +%s)
skip() { echo "e2e: SKIP: $*"; exit 77; }
fail() { echo "e2e: ERROR: $*"; exit 1; }

# ------------------------------------------------------------------ prerequisites
missing=""
need() { [ -e "$1" ] || missing="$missing $2 ($1)"; }
need /usr/bin/qemu-system-x86_64 qemu-system-x86
need /boot/xen-4.17-amd64.gz xen-hypervisor-4.17-amd64
need /usr/lib/xen-4.17/bin/xl xen-utils-4.17
need /usr/bin/xenstore-read xenstore-utils
need /usr/libexec/xen-qemu-system-i386 qemu-system-xen
need /bin/busybox busybox-static
need /usr/bin/cpio cpio
need /usr/bin/udevadm udev
[ -n "$missing" ] && skip "missing Debian packages:$missing. Install them with tests/e2e/install-deps.sh (as root)."
ldd /bin/busybox >/dev/null 2>&1 && skip "/bin/busybox is not static (install busybox-static)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || skip "needs apt-get and dpkg (Debian) to fetch the kernel"
[ "${E2E_ACCEL:-tcg}" = kvm ] && [ ! -w /dev/kvm ] && skip "E2E_ACCEL=kvm but /dev/kvm is not usable"

mkdir -p "$OUT" || fail "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
# one run per output folder (its images, stage and serial log): the lock is held
# until this script and the QEMU it starts are gone
exec 5>"$OUT/.lock"
if ! flock -n 5; then
  [ -n "$OUT_GIVEN" ] && fail "another run is using $OUT (give another --out)"
  OUT=$(mktemp -d "$CACHE/run.XXXXXX") || fail "cannot create a run folder in $CACHE"
  exec 5>"$OUT/.lock"; flock -n 5 || fail "cannot lock $OUT"
  echo "e2e: the default output folder is in use by another run; this run uses $OUT"
fi

# Every wait is bounded, and QEMU never outlives this script: it runs under
# timeout(1) (--foreground: it stays in our process group, which meson's
# timeout signals as a whole), and the traps stop it on exit, SIGTERM, SIGINT
# and SIGHUP: TERM, then KILL after 10 s.
QPID=""; QEMU_PIDFILE=$OUT/qemu.pid
alive() { [ -n "$1" ] && [ -r /proc/$1/status ] && ! grep -q '^State:.*Z' /proc/$1/status 2>/dev/null; }
stop_qemu() {
  local i=0 qp
  [ -n "$QPID" ] || return 0
  qp=$(cat "$QEMU_PIDFILE" 2>/dev/null)
  # only a process that is still our QEMU (its command line names our serial log)
  [ -n "$qp" ] && tr '\0' ' ' < /proc/$qp/cmdline 2>/dev/null | grep -qF "file:$SERIAL" || qp=""
  kill -TERM $QPID $qp 2>/dev/null
  while { alive $QPID || alive "$qp"; } && [ $i -lt 50 ]; do
    sleep 0.2; i=$((i + 1)); done
  [ $i -ge 50 ] && { echo "e2e: QEMU did not stop on SIGTERM within 10s: SIGKILL" >&2; kill -KILL $QPID $qp 2>/dev/null; }
  wait $QPID 2>/dev/null
  QPID=""
}
on_signal() { echo "e2e: interrupted by SIG$1: stopping QEMU" >&2; stop_qemu; trap - EXIT; exit $2; }
trap stop_qemu EXIT
trap 'on_signal TERM 143' TERM; trap 'on_signal INT 130' INT; trap 'on_signal HUP 129' HUP
BTIMEOUT=${E2E_BUILD_TIMEOUT:-600}   # bound on the project's setup/install
echo "e2e: output in $OUT, image cache in $CACHE"

# ------------------------------------------------------------------ the project's install tree
if [ -n "$STANDIN" ]; then
  DESTDIR=$OUT/stage; rm -rf "$DESTDIR"
  if [ $STANDIN = naive ]; then "$HERE/standin/install.sh" "$DESTDIR" naive; else "$HERE/standin/install.sh" "$DESTDIR"; fi \
    || fail "stand-in install failed"
  echo "e2e: testing the harness STAND-INS ($STANDIN), not the project"
elif [ -n "$DESTDIR" ]; then
  [ -d "$DESTDIR" ] || fail "--destdir $DESTDIR: no such directory"
  echo "e2e: project install tree: $DESTDIR"
else
  [ -f "$SRC/meson.build" ] || fail "no meson.build in $SRC (give --destdir, or --standin to test the harness alone)"
  command -v meson >/dev/null || skip "meson is not installed"
  DESTDIR=$OUT/stage; rm -rf "$DESTDIR"
  prefix=""
  if [ -n "$BUILDDIR" ]; then
    prefix=$(meson introspect --buildoptions "$BUILDDIR" 2>/dev/null |
             python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])' 2>/dev/null)
  fi
  if [ "$prefix" = /usr ]; then
    echo "e2e: installing $BUILDDIR (prefix /usr) into $DESTDIR"
    timeout --foreground -k 10 $BTIMEOUT meson install -C "$BUILDDIR" --destdir "$DESTDIR" --no-rebuild --quiet > "$OUT/install.log" 2>&1 \
      || { tail -n 30 "$OUT/install.log"; fail "meson install of $BUILDDIR failed"; }
  else
    PB=$OUT/project-build
    echo "e2e: building $SRC with prefix /usr in $PB${prefix:+ (the build dir has prefix $prefix)}"
    if [ ! -f "$PB/build.ninja" ]; then
      opts=""
      grep -q "option('tests'" "$SRC/meson_options.txt" 2>/dev/null && opts="$opts -Dtests=false"
      grep -q "option('docs'" "$SRC/meson_options.txt" 2>/dev/null && opts="$opts -Ddocs=disabled"
      timeout --foreground -k 10 $BTIMEOUT meson setup "$PB" "$SRC" --prefix=/usr --buildtype=debugoptimized $opts > "$OUT/install.log" 2>&1 \
        || { tail -n 30 "$OUT/install.log"; fail "meson setup failed"; }
    fi
    timeout --foreground -k 10 $BTIMEOUT meson install -C "$PB" --destdir "$DESTDIR" --quiet >> "$OUT/install.log" 2>&1 \
      || { tail -n 30 "$OUT/install.log"; fail "meson install failed"; }
  fi
fi

# ------------------------------------------------------------------ images
E2E_CACHE=$CACHE "$HERE/build.sh" "$DESTDIR" "$OUT/images" 2>&1 | tee "$OUT/build.log"
rc=${PIPESTATUS[0]}
[ $rc = 77 ] && skip "$(tail -n 1 "$OUT/build.log")"
[ $rc = 0 ] || fail "image build failed (see $OUT/build.log)"
T1=$(date +%s)

# ------------------------------------------------------------------ boot
ACCEL=${E2E_ACCEL:-tcg}
TIMEOUT=${E2E_TIMEOUT:-900}
case $ACCEL in
  kvm) ACCELOPT="-accel kvm"; CPU=${E2E_CPU:-host} ;;
  # Nehalem, not "max": with -cpu max (QEMU 7.2 TCG) processes in dom0 and the
  # domUs crashed at random (SIGSEGV, "malloc(): unsorted double linked list
  # corrupted", "stack smashing detected"), also with AVX off and with -smp 1.
  *)   ACCELOPT="-accel tcg,thread=multi,tb-size=512"
       CPU=${E2E_CPU:-Nehalem} ;;
esac
XENCMD="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all noreboot console_timestamps=boot dom0_mem=1024M,max:1024M dom0_max_vcpus=1 ${E2E_XENEXTRA-smap=0}"
# E2E_ONLY=s6,s7: only those scenarios (and only the guests they need)
SCENARIOS=${E2E_ONLY:-s1,s3,s4,s5,s6,s7,s8}
case $SCENARIOS in *[!s0-9,]*) fail "E2E_ONLY: a comma-separated list like s6,s7";; esac
DOM0CMD="console=hvc0 earlyprintk=xen loglevel=5${E2E_PROBE:+ e2e_probe=1}${E2E_ONLY:+ e2e_only=${E2E_ONLY//,/+}}"
# (QEMU's -initrd list is comma-separated: the list travels with '+')
SERIAL=$OUT/serial.log
: > "$SERIAL"
IMG=$OUT/images
rm -f "$QEMU_PIDFILE"
timeout --foreground -k 10 $((TIMEOUT + 30)) \
qemu-system-x86_64 -pidfile "$QEMU_PIDFILE" $ACCELOPT -cpu "$CPU" -smp ${E2E_SMP:-2} -m 3072 \
  -display none -monitor none -serial "file:$SERIAL" -no-reboot \
  -kernel "$IMG/xen" -append "$XENCMD" \
  -initrd "$IMG/vmlinuz $DOM0CMD,$IMG/dom0.initrd" > "$OUT/qemu.out" 2>&1 &
QPID=$!
echo "e2e: booting Xen + dom0 + domUs (qemu pid $QPID, $ACCEL, bound ${TIMEOUT}s); serial log $SERIAL"
MARKS=("Xen version" "Run /init" "toolstack up" "unpaused e2e-main" "E2E-DOMU-READY" "e2e-main is up" "e2e-save is up" "coldplug settled"
       "E2E-RESULT s1" "E2E-RESULT s5" "E2E-RESULT s3" "E2E-RESULT s4" "E2E-RESULT s8" "E2E-RESULT s7" "E2E-RESULT s6" "E2E-DONE")
declare -A SEEN
: > "$OUT/milestones.txt"
state=timeout
while kill -0 $QPID 2>/dev/null; do
  for m in "${MARKS[@]}"; do
    [ -n "${SEEN[$m]:-}" ] && continue
    if grep -aqF -- "$m" "$SERIAL"; then
      SEEN[$m]=1; printf '%5ss  %s\n' $(( $(date +%s) - T1 )) "$m" | tee -a "$OUT/milestones.txt"
    fi
  done
  if grep -aq 'E2E-DONE' "$SERIAL"; then state=done; sleep 3; break; fi
  if grep -aqE 'Panic on CPU|Kernel panic|Dom0 crashed' "$SERIAL"; then state=panic; sleep 2; break; fi
  [ $(( $(date +%s) - T1 )) -ge "$TIMEOUT" ] && break
  sleep 1
done
stop_qemu
T2=$(date +%s)
[ $state = timeout ] && grep -aq 'E2E-DONE' "$SERIAL" && state=done
tr -d '\r' < "$SERIAL" > "$OUT/serial.txt"
sed -n 's/^main| //p' "$OUT/serial.txt" > "$OUT/domU-main-console.txt"
sed -n 's/^save| //p' "$OUT/serial.txt" > "$OUT/domU-save-console.txt"

# ------------------------------------------------------------------ report
{
  echo "==== xen-channel e2e: $(grep -a -m1 'Xen version' "$OUT/serial.txt" | sed 's/.*Xen version/Xen/; s/ (.*//')," \
       "$(sed -n 1p "$IMG/kernel.txt" 2>/dev/null), $ACCEL"
  [ -n "$STANDIN" ] && echo "==== NOTE: harness stand-ins ($STANDIN), not the project's binaries"
  pass=0; failn=0
  grep -a "^E2E-EVID boot" "$OUT/serial.txt" | sed "s/^E2E-EVID /    /"
  for s in ${SCENARIOS//,/ }; do
    r=$(grep -a "^E2E-RESULT $s " "$OUT/serial.txt" | tail -n 1)
    if [ -z "$r" ]; then
      echo "FAIL $s (not reached: boot state '$state')"; failn=$((failn + 1))
    else
      set -- $r; st=$3; shift 3
      echo "$st $s: $*"
      [ "$st" = PASS ] && pass=$((pass + 1)) || failn=$((failn + 1))
    fi
    grep -a "^E2E-EVID $s " "$OUT/serial.txt" | sed "s/^E2E-EVID $s /    /"
  done
  echo "---- kernel warnings in the guests (if any):"
  grep -aE 'WARNING:|BUG:|Oops|multicall' "$OUT/domU-main-console.txt" "$OUT/domU-save-console.txt" 2>/dev/null \
    | head -n 10 | sed 's/^/    /'
  echo "---- timings: images $((T1 - T0))s, boot+scenarios $((T2 - T1))s, total $((T2 - T0))s (boot state: $state)"
  cat "$OUT/milestones.txt" | sed 's/^/    /'
  echo "e2e: $pass passed, $failn failed"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
echo "e2e: logs: $OUT/summary.txt serial.txt domU-main-console.txt domU-save-console.txt"
nscen=$(echo "${SCENARIOS//,/ }" | wc -w)
grep -q "^e2e: $nscen passed, 0 failed" "$OUT/summary.txt"
