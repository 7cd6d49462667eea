#!/bin/bash
# The helper's normal path against a xenstore peer: KIND fake (the test
# server) or real (Xen's xenstored under the shim). The same checks for both.
#   test-normal.sh KIND HELPER XS_TEST_SERVER XS_SHIM
KIND=$1
shift
. "$(dirname "$0")/helper-lib.sh" "$@"

xs_peer_available "$KIND" || skip_all "no $KIND xenstore peer here"

# Consoles 1, 2, 4 and 9 bound, 3 present but unbound: at boot the probes
# run in devid order, so 1 -> hvc1, 2 -> hvc2, 4 -> hvc3 (the first free
# slot, not hvc4) and 9 -> hvc4.
TB=$T/consoles.umockdev
testbed "$TB" 1 2 3:unbound 4 9
xs_peer_start "$KIND" "$T/xs" \
    --set device/console/1/name=org.qemu.guest_agent.0 \
    --set device/console/2/name=com.example.my-agent \
    --set device/console/3/name=org.example.unbound \
    --set device/console/4/name=org.xenproject.guest.clipboard.0.1 \
    --set device/console/9/protocol=vt100 ||
    bail "cannot start the $KIND xenstore peer"

fresh_dirs
run_helper "$TB" export console-1
is "$RC" 0 "export console-1: exit 0"
is "$OUT" "XEN_CHANNEL_NAME=org.qemu.guest_agent.0
XEN_CHANNEL_DEVID=1
XEN_CHANNEL_TTY=hvc1
XEN_CHANNEL_DEVNAME=$DEV/hvc1
XEN_CHANNEL_LINK=$DEV/xen-channel/org.qemu.guest_agent.0
XEN_CHANNEL_SYSTEMD_INSTANCE=org.qemu.guest_agent.0" "export console-1: the properties"
is "$ERR" "" "export console-1: nothing on stderr"

run_helper "$TB" export /devices/console-2
is "$RC" 0 "export /devices/console-2 (a DEVPATH): exit 0"
is "$(grep -E '^XEN_CHANNEL_(NAME|TTY|SYSTEMD_INSTANCE)=' <<<"$OUT")" \
    'XEN_CHANNEL_NAME=com.example.my-agent
XEN_CHANNEL_TTY=hvc2
XEN_CHANNEL_SYSTEMD_INSTANCE=com.example.my\x2dagent' \
    "export console-2: name, tty, and '-' escaped as systemd does"

DEVPATH=/devices/console-4 run_helper "$TB" export
is "$RC" 0 "export from \$DEVPATH: exit 0"
is "$(grep -E '^XEN_CHANNEL_(NAME|TTY)=' <<<"$OUT")" \
    'XEN_CHANNEL_NAME=org.xenproject.guest.clipboard.0.1
XEN_CHANNEL_TTY=hvc3' "export console-4 with console-3 unbound: hvc3, not hvc4"

run_helper "$TB" export 9
is "$RC" 0 "export of a console without a name: exit 0"
is "$OUT" "" "export of a console without a name: prints nothing"

run_helper "$TB" -v export 3
is "$RC" 5 "export of an unbound console with a name: exit 5 (tty unknown)"
is "$OUT" "" "... prints nothing"
is "$(err_lines)" 1 "... one error line"
diag "$ERR"

# sync: the whole job without udev, from the same xenstore and testbed.
fresh_dirs
run_helper "$TB" sync
is "$RC" 0 "sync: exit 0"
is "$(cd "$DEV/xen-channel" 2>/dev/null && for l in *; do echo "$l -> $(readlink "$l")"; done)" \
    "com.example.my-agent -> ../hvc2
org.qemu.guest_agent.0 -> ../hvc1
org.xenproject.guest.clipboard.0.1 -> ../hvc3" "sync: one link per bound, named console"

# Slots 8 and up have no tty: bind nine consoles, console-9 gets hvc9.
TB9=$T/nine.umockdev
testbed "$TB9" 1 2 3 4 5 6 7 8 9
xs_peer_write device/console/9/name org.example.nine
fresh_dirs
run_helper "$TB9" -v export 9
is "$RC" 5 "export of console-9 in slot 9: exit 5 (no tty)"
is "$OUT" "" "... prints nothing"
is "$(err_lines)" 1 "... one error line"
diag "$ERR"

# Hostile names: rejected with exit 3, nothing printed, nothing created.
long=$(printf 'a%.0s' {1..200})
for name in "../../etc/passwd" "a/b" $'x\n' "$long" ".hidden" "bad name"; do
    xs_peer_write device/console/1/name "$name"
    fresh_dirs
    run_helper "$TB" -v export 1
    shown=$(printf '%q' "$name" | cut -c1-40)
    is "$RC" 3 "hostile name $shown: exit 3"
    is "$OUT" "" "hostile name $shown: prints nothing"
    is "$(err_lines)" 1 "hostile name $shown: one error line"
    grep -q '^xen-channel-helper: error: console-1: rejected channel name "' <<<"$ERR"
    ok $? "hostile name $shown: says 'rejected channel name'"
    [ -z "$(ls -A "$DEV")" ]
    ok $? "hostile name $shown: nothing created in the device folder"
done
# The newline arrives escaped, never raw, in the log line.
xs_peer_write device/console/1/name $'evil\nxen-channel-helper: fake'
run_helper "$TB" -v export 1
is "$(wc -l <<<"$ERR")" 1 "a name with a newline stays on one log line"
grep -qF 'rejected channel name "evil\nxen-channel-helper: fake"' <<<"$ERR"
ok $? "... and is shown escaped"
diag "$ERR"

done_testing
