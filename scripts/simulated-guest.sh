#!/bin/bash
# The whole flow of xen-channel against a simulated Xen guest, for machines
# that are not one. Nothing outside a temporary folder is touched:
#   - xenstore: tests/xenstore's server, speaking the real wire protocol to
#     the real libxenstore (XENSTORED_PATH points at its socket);
#   - sysfs: console-N devices under umockdev, seen through the real libudev;
#   - /dev: a temporary device folder with a stand-in for each live hvc slot
#     (hvc0 and the five consoles' hvc1..5); a slot with no console behind it
#     has none, so open() fails there as it does on a guest (ENODEV there,
#     ENOENT here): sync's resume check tells the two apart that way.
# Usage: simulated-guest.sh BUILD_DIR
# XC_SIM_HELPER and XC_SIM_TOOL, when set, name the helper and tool to use
# instead of the build dir's: the autopkgtests run the installed ones (their
# BUILD_DIR holds only the test programs: xenstore server, mk-testbed, pty).
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
helper=${XC_SIM_HELPER:-$build/helper/xen-channel-helper}
tool=${XC_SIM_TOOL:-$build/tools/xen-channel}
server=$build/tests/xenstore/xs-test-server

if [ "${XC_SIM_INNER:-}" != 1 ]; then
        tmp=$(mktemp -d /tmp/xen-channel-sim.XXXXXX)
        trap 'kill $(cat "$tmp/xs.pid" 2>/dev/null) 2>/dev/null; rm -rf "$tmp"' EXIT
        mkdir -p "$tmp/dev" "$tmp/run"
        for i in 0 1 2 3 4 5; do : > "$tmp/dev/hvc$i"; done

        # What dom0's toolstack would have written for this guest: three
        # channels, a hostile name and a plain secondary console (no name).
        # Devid 3 is missing: a gap, so console-4 is hvc3, not hvc4.
        exec 3> >(cat > "$tmp/ready")
        "$server" --socket "$tmp/xenstore.sock" --pidfile "$tmp/xs.pid" \
                --count-file "$tmp/xs.count" --ready-fd 3 \
                --set device/console/1/name=org.qemu.guest_agent.0 \
                --set device/console/2/name=org.xenproject.guest.clipboard.0.1 \
                --set "device/console/4/name=../../etc/shadow" \
                --set device/console/5/name=com.redhat.rhevm.vdsm \
                --set device/console/6/type=ioemu &
        exec 3>&-
        for _ in $(seq 100); do [ -s "$tmp/ready" ] && break; sleep 0.05; done

        "$build/tests/lib/mk-testbed" 1 2 4 5 6 > "$tmp/guest.umockdev"

        export XENSTORED_PATH=$tmp/xenstore.sock XC_SIM_INNER=1 XC_SIM_TMP=$tmp
        umockdev-run -d "$tmp/guest.umockdev" -- "$0" "$build"
        exit $?
fi

# Inside umockdev: /sys is the simulated guest's.
tmp=$XC_SIM_TMP
roots=(--dev-dir "$tmp/dev" --run-dir "$tmp/run")
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show_links() {
        (cd "$tmp/dev/xen-channel" 2>/dev/null && for l in *; do
                [ -L "$l" ] && printf '  /dev/xen-channel/%s -> %s\n' "$l" "$(readlink "$l")"
        done) || true
}

step "simulated guest: consoles 1 2 4 5 6 bound (no 3), xenstore at $XENSTORED_PATH"
for n in 1 2 4 5 6; do
        printf '  console-%s  name=%s\n' "$n" \
                "$(xenstore-read "device/console/$n/name" 2>/dev/null || echo '(none)')"
done

step "udev coldplug: for each console, IMPORT{program}=\"xen-channel-helper export\", then RUN \"link\""
declare -A props
before=$(awk '$1=="total"{print $2}' "$tmp/xs.count")
for n in 1 2 4 5 6; do
        rc=0
        out=$(DEVPATH=/devices/console-$n "$helper" "${roots[@]}" export 2>"$tmp/err") || rc=$?
        printf '  console-%s: export exit %s%s\n' "$n" "$rc" \
                "$( [ -s "$tmp/err" ] && printf ' (%s)' "$(tr '\n' ' ' < "$tmp/err" | sed 's/ $//')")"
        [ -n "$out" ] || continue
        sed 's/^/      /' <<< "$out"
        props[$n]=$out
        env $out DEVPATH=/devices/console-$n ACTION=bind "$helper" "${roots[@]}" link
done
show_links
echo "  xenstore requests made by the helpers: $(( $(awk '$1=="total"{print $2}' "$tmp/xs.count") - before )) (one per console)"

step "runtime: dom0 removes channel 2; udev runs \"unlink\" with the stored properties"
rm -f "$UMOCKDEV_DIR/sys/devices/console-2/driver"
rm -f "$tmp/dev/hvc2"   # hvc_remove(): the slot is empty from now on
env ${props[2]} DEVPATH=/devices/console-2 ACTION=unbind "$helper" "${roots[@]}" unlink
show_links

step "repair without udev: a stray link appears, one goes missing; \"xen-channel-helper sync\""
ln -sfn ../hvc7 "$tmp/dev/xen-channel/org.example.stale.0"
rm -f "$tmp/dev/xen-channel/com.redhat.rhevm.vdsm"
show_links
echo "  -> sync"
"$helper" "${roots[@]}" sync || true
show_links

step "what an agent or admin sees: xen-channel list"
"$tool" --dev-dir "$tmp/dev" --run-dir "$tmp/run" list

step "bytes through the channel: dom0's end is a pty here; the guest side uses the link"
# Stand a pseudo-terminal in for hvc1, the way the kernel's hvc tty would
# carry the channel; "dom0" answers one line on its master side.
# The pty is the tests' fixture (tests/lib/pty-channel.c, through ctypes).
python3 - "$tmp/dev" "$src/tests/lib" "$build/tests/lib/pty-channel.so" <<'PY' &
import os, select, sys, time
sys.path.insert(0, sys.argv[2])
import ptychannel
ptychannel.load(sys.argv[3])
master = ptychannel.new(sys.argv[1], 1)
print("  dom0: listening on", os.readlink(os.path.join(sys.argv[1], "hvc1")), flush=True)
line = b""
deadline = time.monotonic() + 10
while not line.endswith(b"\n") and time.monotonic() < deadline:
    if select.select([master], [], [], 0.2)[0]:
        try:
            line += os.read(master, 256)
        except OSError:         # EIO: the guest has not opened its end yet
            time.sleep(0.05)
print("  dom0: received", line, flush=True)
os.write(master, b"pong from dom0 (got " + line.strip() + b")\n")
time.sleep(1)
PY
dom0=$!
for _ in $(seq 50); do [ -L "$tmp/dev/hvc1" ] && break; sleep 0.1; done
echo "  guest: printf 'ping\\n' | xen-channel connect org.qemu.guest_agent.0"
printf 'ping\n' | "$tool" --dev-dir "$tmp/dev" --run-dir "$tmp/run" connect \
        --linger 1 org.qemu.guest_agent.0 | sed 's/^/  guest: received /'
wait "$dom0"
