#!/bin/bash
# Checks xs-test-server with the real client tools (xenstore-*), the real
# libxenstore (xs-test-client) and raw wire messages (xs-test-client raw),
# including every --fault mode.  TAP output.  Needs XS_TEST_CLIENT (meson).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/xs-peer.sh"
C=${XS_TEST_CLIENT:?XS_TEST_CLIENT must name the built xs-test-client}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT # xs_peer_start chains its own cleanup before this
. "$here/tap.sh"

# status DESC RC CMD...: CMD must exit with RC (124: still blocked after 1 s).
status() {
    local desc=$1 want=$2 got
    shift 2
    timeout 1 "$@" >/dev/null 2>&1
    got=$?
    is "$desc" "$want" echo "$got"
}

# like DESC PATTERN CMD...: CMD's stdout must match the glob PATTERN.
like() {
    local desc=$1 pat=$2 got
    shift 2
    got=$(timeout 5 "$@" 2>&1)
    # shellcheck disable=SC2053
    [[ $got == $pat ]] && got=match
    is "$desc" match echo "$got"
}

# A fresh server per block, in its own folder.
peer=0
start() {
    peer=$((peer + 1))
    xs_peer_start fake "$tmp/$peer" "$@" || { echo "Bail out! cannot start server"; exit 1; }
}
stop() {
    xs_peer_stop
    is "server exits cleanly on SIGTERM" 0 echo $?
    is "server removes its socket" gone sh -c "test -e $tmp/$peer/socket || echo gone"
}

NAME=device/console/1/name
ABS=/local/domain/0/$NAME

echo "# normal operation"
start --set "$NAME=org.qemu.guest_agent.0" --set /tool/x=y
is "xenstore-read, relative path" org.qemu.guest_agent.0 xenstore-read $NAME
is "xenstore-read, absolute path" org.qemu.guest_agent.0 xenstore-read $ABS
is "--set of an absolute path" y xenstore-read /tool/x
is "xenstore-write then libxenstore read" baz sh -c "xenstore-write foo/bar baz && $C read foo/bar"
is "parents are created" 'bar = "baz"' xenstore-ls foo
like "xenstore-ls -f" "*$ABS = \"org.qemu.guest_agent.0\"*" xenstore-ls -f /
is "directory" "1" "$C" dir device/console
is "directory of /" "$(printf 'local\ntool')" "$C" dir /
is "missing key: ENOENT" "ERR ENOENT" "$C" read nope
is "missing directory: ENOENT" "ERR ENOENT" "$C" dir nope
is "invalid path: EINVAL" "ERR EINVAL" "$C" read a//b
is "mkdir" "" sh -c "$C mkdir d && $C read d && $C dir d"
is "rm is recursive" "ERR ENOENT" sh -c "$C rm foo && $C read foo/bar"
is "rm of a missing child is fine" "" "$C" rm nothere
is "rm under a missing parent: ENOENT" "ERR ENOENT" "$C" rm no/there
is "domain path" /local/domain/0 "$C" domain-path
is "transaction" OK "$C" transaction
is "permissions" "1 owner=0" "$C" perms $NAME
is "unknown type: EINVAL" "type=16 len=7 EINVAL|" "$C" raw 99 x
is "reply echoes req_id/type, no NUL on read" "type=2 len=22 org.qemu.guest_agent.0" \
    "$C" raw 2 $NAME
# Watch: the event fired on registration, then the one for a write below.
timeout 5 "$C" watch device >"$tmp/watch" 2>&1 &
wpid=$!
for ((i = 0; i < 500; i++)); do [ -s "$tmp/watch" ] && break; sleep 0.01; done
xenstore-write device/console/2/name x
wait $wpid
is "watch events (initial + write)" "$(printf 'device tok\ndevice/console/2/name tok')" \
    cat "$tmp/watch"
# Counting: one libxenstore read is one XS_READ and nothing else.
reads=$(xs_peer_count READ) all=$(xs_peer_count total)
$C read $NAME >/dev/null
is "count file: one read counted" "1 1" \
    echo "$(($(xs_peer_count XS_READ) - reads)) $(($(xs_peer_count total) - all))"
like "count file format" "*XS_READ [0-9]*total [0-9]*" cat "$tmp/$peer/counts"
stop

echo "# --fault mute: requests are read, never answered"
start --fault mute --set "$NAME=x"
status "libxenstore read blocks (killed after 1 s)" 124 "$C" read $NAME
status "xenstore-read blocks" 124 xenstore-read $NAME
status "raw request: connection stays open" 124 "$C" raw 2 $NAME
is "muted requests are counted" 3 xs_peer_count READ
stop

echo "# --fault close-mid: half a reply, then the connection closes"
start --fault close-mid --set "$NAME=org.qemu.guest_agent.0"
is "raw: header + half the payload" "EOF after 27 bytes" "$C" raw 2 $NAME
is "raw, empty reply: half a header" "EOF after 8 bytes" "$C" raw 1 $NAME
is "raw, error reply (ENOENT) cut too" "EOF after 19 bytes" "$C" raw 2 nope
like "libxenstore read fails at once" "ERR E*" "$C" read $NAME
status "xenstore-read fails" 1 xenstore-read $NAME
stop

echo "# --fault garbage: absurd header and junk, then close"
start --fault garbage --set "$NAME=x"
like "raw: absurd type and length" "type=57005 len=2147483647 *" "$C" raw 2 $NAME
like "libxenstore read fails at once" "ERR E*" "$C" read $NAME
status "xenstore-read fails" 1 xenstore-read $NAME
stop

echo "# --fault enoent: every read and directory fails with ENOENT"
start --fault enoent --set "$NAME=x"
is "read: ENOENT" "ERR ENOENT" "$C" read $NAME
is "directory: ENOENT" "ERR ENOENT" "$C" dir device
is "write still works" "" "$C" write other y
is "domain path still works" /local/domain/0 "$C" domain-path
stop

echo "# --fault eacces: every request fails with EACCES"
start --fault eacces --set "$NAME=x"
is "read: EACCES" "ERR EACCES" "$C" read $NAME
is "write: EACCES" "ERR EACCES" "$C" write $NAME y
is "transaction: EACCES" "ERR EACCES" "$C" transaction
status "xenstore-read fails" 1 xenstore-read $NAME
stop

echo "# --fault-path: only requests under a prefix meet the fault"
start --fault mute --fault-path /local/domain/0/device/console/2 \
    --set "$NAME=one" --set device/console/2/name=two
is "read outside the prefix" one "$C" read $NAME
status "read under the prefix blocks" 124 "$C" read device/console/2/name
is "directory above the prefix" "$(printf '1\n2')" "$C" dir device/console
stop
start --fault eacces --fault-path /local/domain/0/device --set "$NAME=one" --set a=b
is "eacces under the prefix" "ERR EACCES" "$C" read $NAME
is "no fault elsewhere" b "$C" read a
is "pathless requests are not faulted" OK "$C" transaction
stop

echo "# robustness"
start --set "$NAME=x"
is "oversized header: client dropped, server lives" "EOF after 0 bytes" \
    "$C" raw 2 "$(head -c 5000 /dev/zero | tr '\0' a)"
is "still serving" x "$C" read $NAME
watchers=()
for ((i = 0; i < 20; i++)); do
    timeout 5 "$C" watch device >/dev/null 2>&1 &
    watchers+=($!)
done
is "many clients at once" x "$C" read $NAME
kill "${watchers[@]}" 2>/dev/null
wait "${watchers[@]}" 2>/dev/null
stop

echo "1..$n"
[ "$failed" -eq 0 ]
