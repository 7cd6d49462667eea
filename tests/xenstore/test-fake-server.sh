#!/bin/bash
# Checks xs-test-server with the real client tools (xenstore-*), the real
# libxenstore (xs-test-client) and raw wire messages (xs-test-client raw),
# including every --fault mode.  TAP output.  Needs XS_TEST_CLIENT (meson).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib/tap.sh"
. "$here/xs-peer.sh"
C=${XS_TEST_CLIENT:?XS_TEST_CLIENT must name the built xs-test-client}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT # xs_peer_start chains its own cleanup before this

# status DESC RC CMD...: CMD must exit with RC (124: still blocked after 1 s).
status() {
    local desc=$1 want=$2 got
    shift 2
    timeout 1 "$@" >/dev/null 2>&1
    got=$?
    is "$got" "$want" "$desc"
}

# A fresh server per block, in its own folder.
peer=0
start() {
    peer=$((peer + 1))
    xs_peer_start fake "$tmp/$peer" "$@" || bail "cannot start server"
}
stop() {
    xs_peer_stop
    is "$?" 0 "server exits cleanly on SIGTERM"
    is "$(output sh -c "test -e $tmp/$peer/socket || echo gone")" gone "server removes its socket"
}

NAME=device/console/1/name
ABS=/local/domain/0/$NAME

echo "# normal operation"
start --set "$NAME=org.qemu.guest_agent.0" --set /tool/x=y
is "$(output xenstore-read $NAME)" org.qemu.guest_agent.0 "xenstore-read, relative path"
is "$(output xenstore-read $ABS)" org.qemu.guest_agent.0 "xenstore-read, absolute path"
is "$(output xenstore-read /tool/x)" y "--set of an absolute path"
is "$(output sh -c "xenstore-write foo/bar baz && $C read foo/bar")" \
    baz "xenstore-write then libxenstore read"
is "$(output xenstore-ls foo)" 'bar = "baz"' "parents are created"
like "$(output xenstore-ls -f /)" "*$ABS = \"org.qemu.guest_agent.0\"*" "xenstore-ls -f"
is "$(output "$C" dir device/console)" "1" "directory"
is "$(output "$C" dir /)" "$(printf 'local\ntool')" "directory of /"
is "$(output "$C" read nope)" "ERR ENOENT" "missing key: ENOENT"
is "$(output "$C" dir nope)" "ERR ENOENT" "missing directory: ENOENT"
is "$(output "$C" read a//b)" "ERR EINVAL" "invalid path: EINVAL"
is "$(output sh -c "$C mkdir d && $C read d && $C dir d")" "" "mkdir"
is "$(output sh -c "$C rm foo && $C read foo/bar")" "ERR ENOENT" "rm is recursive"
is "$(output "$C" rm nothere)" "" "rm of a missing child is fine"
is "$(output "$C" rm no/there)" "ERR ENOENT" "rm under a missing parent: ENOENT"
is "$(output "$C" domain-path)" /local/domain/0 "domain path"
is "$(output "$C" transaction)" OK "transaction"
is "$(output "$C" perms $NAME)" "1 owner=0" "permissions"
is "$(output "$C" raw 99 x)" "type=16 len=7 EINVAL|" "unknown type: EINVAL"
is "$(output "$C" raw 2 $NAME)" \
    "type=2 len=22 org.qemu.guest_agent.0" "reply echoes req_id/type, no NUL on read"
# Watch: the event fired on registration, then the one for a write below.
timeout 5 "$C" watch device >"$tmp/watch" 2>&1 &
wpid=$!
for ((i = 0; i < 500; i++)); do [ -s "$tmp/watch" ] && break; sleep 0.01; done
xenstore-write device/console/2/name x
wait $wpid
is "$(cat "$tmp/watch")" \
    "$(printf 'device tok\ndevice/console/2/name tok')" "watch events (initial + write)"
# Counting: one libxenstore read is one XS_READ and nothing else.
reads=$(xs_peer_count READ) all=$(xs_peer_count total)
$C read $NAME >/dev/null
is "$(($(xs_peer_count XS_READ) - reads)) $(($(xs_peer_count total) - all))" \
    "1 1" "count file: one read counted"
like "$(cat "$tmp/$peer/counts")" "*XS_READ [0-9]*total [0-9]*" "count file format"
stop

echo "# --fault mute: requests are read, never answered"
start --fault mute --set "$NAME=x"
status "libxenstore read blocks (killed after 1 s)" 124 "$C" read $NAME
status "xenstore-read blocks" 124 xenstore-read $NAME
status "raw request: connection stays open" 124 "$C" raw 2 $NAME
is "$(xs_peer_count READ)" 3 "muted requests are counted"
stop

echo "# --fault close-mid: half a reply, then the connection closes"
start --fault close-mid --set "$NAME=org.qemu.guest_agent.0"
is "$(output "$C" raw 2 $NAME)" "EOF after 27 bytes" "raw: header + half the payload"
is "$(output "$C" raw 1 $NAME)" "EOF after 8 bytes" "raw, empty reply: half a header"
is "$(output "$C" raw 2 nope)" "EOF after 19 bytes" "raw, error reply (ENOENT) cut too"
like "$(output "$C" read $NAME)" "ERR E*" "libxenstore read fails at once"
status "xenstore-read fails" 1 xenstore-read $NAME
stop

echo "# --fault garbage: absurd header and junk, then close"
start --fault garbage --set "$NAME=x"
like "$(output "$C" raw 2 $NAME)" "type=57005 len=2147483647 *" "raw: absurd type and length"
like "$(output "$C" read $NAME)" "ERR E*" "libxenstore read fails at once"
status "xenstore-read fails" 1 xenstore-read $NAME
stop

echo "# --fault enoent: every read and directory fails with ENOENT"
start --fault enoent --set "$NAME=x"
is "$(output "$C" read $NAME)" "ERR ENOENT" "read: ENOENT"
is "$(output "$C" dir device)" "ERR ENOENT" "directory: ENOENT"
is "$(output "$C" write other y)" "" "write still works"
is "$(output "$C" domain-path)" /local/domain/0 "domain path still works"
stop

echo "# --fault eacces: every request fails with EACCES"
start --fault eacces --set "$NAME=x"
is "$(output "$C" read $NAME)" "ERR EACCES" "read: EACCES"
is "$(output "$C" write $NAME y)" "ERR EACCES" "write: EACCES"
is "$(output "$C" transaction)" "ERR EACCES" "transaction: EACCES"
status "xenstore-read fails" 1 xenstore-read $NAME
stop

echo "# --fault-path: only requests under a prefix meet the fault"
start --fault mute --fault-path /local/domain/0/device/console/2 \
    --set "$NAME=one" --set device/console/2/name=two
is "$(output "$C" read $NAME)" one "read outside the prefix"
status "read under the prefix blocks" 124 "$C" read device/console/2/name
is "$(output "$C" dir device/console)" "$(printf '1\n2')" "directory above the prefix"
stop
start --fault eacces --fault-path /local/domain/0/device --set "$NAME=one" --set a=b
is "$(output "$C" read $NAME)" "ERR EACCES" "eacces under the prefix"
is "$(output "$C" read a)" b "no fault elsewhere"
is "$(output "$C" transaction)" OK "pathless requests are not faulted"
stop

echo "# robustness"
start --set "$NAME=x"
is "$(output "$C" raw 2 "$(head -c 5000 /dev/zero | tr '\0' a)")" \
    "EOF after 0 bytes" "oversized header: client dropped, server lives"
is "$(output "$C" read $NAME)" x "still serving"
watchers=()
for ((i = 0; i < 20; i++)); do
    timeout 5 "$C" watch device >/dev/null 2>&1 &
    watchers+=($!)
done
is "$(output "$C" read $NAME)" x "many clients at once"
kill "${watchers[@]}" 2>/dev/null
wait "${watchers[@]}" 2>/dev/null
stop

done_testing
