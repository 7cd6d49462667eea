#!/bin/bash
# Checks Xen's own xenstored running under the xsd-shim preload (no
# hypervisor), through xs-peer.sh, with the xenstore-* tools and the real
# libxenstore.  TAP output (tests/lib/tap.sh); where xenstored is missing,
# a TAP skip.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib/tap.sh"
. "$here/xs-peer.sh"
C=${XS_TEST_CLIENT:?XS_TEST_CLIENT must name the built xs-test-client}
xs_peer_available real || skip_all "xenstored (xen-utils-4.17) or the xsd-shim is missing"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

NAME=device/console/1/name
if ! xs_peer_start real "$tmp/peer" --set "$NAME=org.qemu.guest_agent.0"; then
    bail "xenstored did not start under the shim"
fi
is "$(output xenstore-read $NAME)" org.qemu.guest_agent.0 "--set, read back relative"
is "$(output xenstore-read /local/domain/0/$NAME)" org.qemu.guest_agent.0 "absolute path"
xs_peer_write foo/bar baz
is "$(output "$C" read foo/bar)" baz "xs_peer_write, libxenstore read"
is "$(output "$C" dir device/console)" 1 "directory"
is "$(output "$C" read nope)" "ERR ENOENT" "missing key: ENOENT"
xs_peer_rm foo
is "$(output "$C" read foo/bar)" "ERR ENOENT" "xs_peer_rm is recursive"
is "$(output "$C" domain-path)" /local/domain/0 "domain path"
is "$(output "$C" transaction)" OK "transaction"
timeout 5 "$C" watch device >"$tmp/watch" 2>&1 &
wpid=$!
for ((i = 0; i < 500; i++)); do [ -s "$tmp/watch" ] && break; sleep 0.01; done
xs_peer_write device/console/2/name x
wait $wpid
is "$(cat "$tmp/watch")" \
    "$(printf 'device tok\ndevice/console/2/name tok')" "watch events (initial + write)"
if [ -x /usr/lib/xen-4.17/bin/test-xenstore ]; then
    is "$(output sh -c '/usr/lib/xen-4.17/bin/test-xenstore >/dev/null 2>&1; echo $?')" \
        0 "Xen's own test-xenstore passes"
fi
is "$(output xenstore-read $NAME)" org.qemu.guest_agent.0 "xenstored is still up"
xs_peer_stop
is "$(output sh -c "test -e $tmp/peer/socket || echo gone")" gone "stopped, socket removed"

done_testing
