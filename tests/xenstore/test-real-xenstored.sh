#!/bin/bash
# Checks Xen's own xenstored running under the xsd-shim preload (no
# hypervisor), through xs-peer.sh, with the xenstore-* tools and the real
# libxenstore.  TAP output; where xenstored is missing, a TAP skip plan and
# exit 0 (meson reports SKIP; with protocol tap it calls exit 77 an ERROR).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/xs-peer.sh"
C=${XS_TEST_CLIENT:?XS_TEST_CLIENT must name the built xs-test-client}
if ! xs_peer_available real; then
    echo "1..0 # SKIP xenstored (xen-utils-4.17) or the xsd-shim is missing"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$here/tap.sh"

NAME=device/console/1/name
if ! xs_peer_start real "$tmp/peer" --set "$NAME=org.qemu.guest_agent.0"; then
    echo "Bail out! xenstored did not start under the shim"
    exit 1
fi
is "--set, read back relative" org.qemu.guest_agent.0 xenstore-read $NAME
is "absolute path" org.qemu.guest_agent.0 xenstore-read /local/domain/0/$NAME
xs_peer_write foo/bar baz
is "xs_peer_write, libxenstore read" baz "$C" read foo/bar
is "directory" 1 "$C" dir device/console
is "missing key: ENOENT" "ERR ENOENT" "$C" read nope
xs_peer_rm foo
is "xs_peer_rm is recursive" "ERR ENOENT" "$C" read foo/bar
is "domain path" /local/domain/0 "$C" domain-path
is "transaction" OK "$C" transaction
timeout 5 "$C" watch device >"$tmp/watch" 2>&1 &
wpid=$!
for ((i = 0; i < 500; i++)); do [ -s "$tmp/watch" ] && break; sleep 0.01; done
xs_peer_write device/console/2/name x
wait $wpid
is "watch events (initial + write)" "$(printf 'device tok\ndevice/console/2/name tok')" \
    cat "$tmp/watch"
if [ -x /usr/lib/xen-4.17/bin/test-xenstore ]; then
    is "Xen's own test-xenstore passes" 0 sh -c \
        '/usr/lib/xen-4.17/bin/test-xenstore >/dev/null 2>&1; echo $?'
fi
is "xenstored is still up" org.qemu.guest_agent.0 xenstore-read $NAME
xs_peer_stop
is "stopped, socket removed" gone sh -c "test -e $tmp/peer/socket || echo gone"

echo "1..$n"
[ "$failed" -eq 0 ]
