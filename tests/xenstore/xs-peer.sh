# xs-peer.sh: start and stop a xenstore peer for component tests (bash, sourced).
#
#   . tests/xenstore/xs-peer.sh
#   xs_peer_available real || skip_all "no real xenstored"   # tests/lib/tap.sh
#   xs_peer_start fake "$tmpdir" --set device/console/1/name=org.example.0
#   ... run the program under test (XENSTORED_PATH is exported) ...
#   xs_peer_read KEY               # also xs_peer_write KEY VALUE, xs_peer_rm KEY
#   xs_peer_count XS_READ          # fake only: requests seen so far, by type
#   xs_peer_stop                   # also runs at exit; status 0 = clean exit
#
# KIND is `fake` (xs-test-server; extra options go to it: --fault,
# --fault-path, --set) or `real` (Xen's xenstored under the xsd-shim preload;
# --set KEY=VALUE is done with xenstore-write, other options go to xenstored).
# One peer per shell.  Call xs_peer_start directly, not inside $(...): the
# peer must be a child of this shell so xs_peer_stop can wait for it.
# With a fault active, xs_peer_write/xs_peer_rm meet the fault too: load
# data with --set instead.
#
# Binaries: $XS_TEST_SERVER, $XS_SHIM (meson: xs_peer_env), else the build
# folders next to the source; $XS_XENSTORED, else Xen 4.17's.  A variable
# that is set but names no file makes that peer unavailable.  $XS_SERVER_WRAPPER
# (e.g. "valgrind -q") is put in front of the fake server.

_xs_peer_src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# First existing file among the arguments.
_xs_peer_first() {
    local f
    for f in "$@"; do
        [ -n "$f" ] && [ -e "$f" ] && { printf '%s\n' "$f"; return 0; }
    done
    return 1
}

# _xs_peer_find VAR NAME: $VAR if set (even if it names nothing: then the
# peer is not available), else NAME in the usual build folders.
_xs_peer_find() {
    local top=$_xs_peer_src/../.. b
    if [ -n "${!1+set}" ]; then
        _xs_peer_first "${!1}"
        return
    fi
    for b in "${MESON_BUILD_ROOT:-}" "$top/build" "$top/builddir" "$top/_build"; do
        _xs_peer_first "${b:+$b/tests/xenstore/$2}" && return 0
    done
    return 1
}

_xs_peer_server() { _xs_peer_find XS_TEST_SERVER xs-test-server; }
_xs_peer_shim() { _xs_peer_find XS_SHIM xsd-shim.so; }
_xs_peer_xenstored() {
    # Not /usr/sbin/xenstored: that wrapper needs /sys/hypervisor.
    _xs_peer_first "${XS_XENSTORED-/usr/lib/xen-4.17/bin/xenstored}"
}

# xs_peer_available KIND: 0 if a peer of that kind can be started here.
xs_peer_available() {
    command -v xenstore-write >/dev/null || return 1
    case $1 in
    fake) _xs_peer_server >/dev/null ;;
    real) _xs_peer_xenstored >/dev/null && _xs_peer_shim >/dev/null ;;
    *) return 1 ;;
    esac
}

# Make sure xs_peer_stop runs when the test exits, keeping any EXIT trap the
# caller had; a TERM/INT (meson's timeout) becomes an exit that runs it.
# shellcheck disable=SC2120,SC2064 # set -- is for parsing; expand prev now
_xs_peer_trap() {
    local prev
    prev=$(trap -p EXIT)
    if [ -n "$prev" ]; then
        eval "set -- $prev"
        prev=$3
    fi
    case $prev in *xs_peer_stop*) ;; *) trap "xs_peer_stop; $prev" EXIT ;; esac
    [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
    [ -n "$(trap -p INT)" ] || trap 'exit 130' INT
}

# xs_peer_start KIND DIR [OPTIONS...]: start the peer, socket DIR/socket.
xs_peer_start() {
    local kind=$1 dir=$2 bin shim line i
    local sets=() opts=()
    shift 2 || return 2
    if [ -n "${_XS_PEER_PID:-}" ]; then
        echo "xs_peer_start: a peer is already running" >&2
        return 1
    fi
    xs_peer_available "$kind" || { echo "xs_peer_start: no $kind peer here" >&2; return 1; }
    mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
    rm -f "$dir/socket" "$dir/ready" "$dir/pid"
    _XS_PEER_KIND=$kind _XS_PEER_DIR=$dir
    # shellcheck disable=SC2119
    _xs_peer_trap

    if [ "$kind" = fake ]; then
        bin=$(_xs_peer_server)
        # The server says READY on a fifo once it listens: no polling.  If
        # it dies first, its end closes and read returns at once.
        mkfifo "$dir/ready" || return 1
        rm -f "$dir/fault"
        ${XS_SERVER_WRAPPER:-} "$bin" --socket "$dir/socket" --pidfile "$dir/pid" \
            --count-file "$dir/counts" --fault-file "$dir/fault" --ready-fd 3 "$@" \
            3>"$dir/ready" &
        _XS_PEER_PID=$!
        read -r -t 30 line <"$dir/ready"
        rm -f "$dir/ready"
        if [ "$line" != READY ]; then
            echo "xs_peer_start: xs-test-server did not start" >&2
            xs_peer_stop
            return 1
        fi
    else
        while [ $# -gt 0 ]; do
            case $1 in
            --set) sets+=("$2"); shift 2 ;;
            --set=*) sets+=("${1#--set=}"); shift ;;
            *) opts+=("$1"); shift ;;
            esac
        done
        bin=$(_xs_peer_xenstored) shim=$(_xs_peer_shim)
        XENSTORED_RUNDIR=$dir XENSTORED_PATH=$dir/socket LD_PRELOAD=$shim \
            "$bin" -N -T "$dir/trace" -F "$dir/pid" "${opts[@]}" >"$dir/log" 2>&1 &
        _XS_PEER_PID=$!
        # xenstored listens right after creating the socket; give it 5 s.
        for ((i = 0; i < 500; i++)); do
            [ -S "$dir/socket" ] && break
            kill -0 "$_XS_PEER_PID" 2>/dev/null || break
            sleep 0.01
        done
        if ! XENSTORED_PATH=$dir/socket timeout 5 xenstore-ls / >/dev/null 2>&1; then
            echo "xs_peer_start: xenstored did not start, see $dir/log:" >&2
            cat "$dir/log" >&2
            xs_peer_stop
            return 1
        fi
    fi
    export XENSTORED_PATH=$dir/socket
    for line in "${sets[@]}"; do
        xs_peer_write "${line%%=*}" "${line#*=}" || return 1
    done
}

# xs_peer_write KEY VALUE / xs_peer_rm KEY: through the real client tools,
# bounded in time (a muted peer would block them forever).
xs_peer_write() { timeout 5 xenstore-write "$1" "$2"; }
xs_peer_rm() { timeout 5 xenstore-rm "$1"; }
xs_peer_read() { timeout 5 xenstore-read "$1"; }

# xs_peer_fault MODE [PREFIX|- [MS]]: from the next request on, the running
# fake server misbehaves so (xs-test-server's faults; delay MS); "none"
# makes it well again.
xs_peer_fault() {
    [ "${_XS_PEER_KIND:-}" = fake ] || { echo "xs_peer_fault: fake peer only" >&2; return 1; }
    echo "$*" >"$_XS_PEER_DIR/fault.tmp" && mv "$_XS_PEER_DIR/fault.tmp" "$_XS_PEER_DIR/fault"
}

# xs_peer_count TYPE: requests of TYPE (XS_READ or READ; `total`) so far.
xs_peer_count() {
    local t=$1
    [ "$t" = total ] || t=XS_${t#XS_}
    [ "${_XS_PEER_KIND:-}" = fake ] || { echo "xs_peer_count: fake peer only" >&2; return 1; }
    awk -v t="$t" '$1 == t { n = $2 } END { print n + 0 }' "$_XS_PEER_DIR/counts"
}

# xs_peer_stop: stop the peer.  Status: 0 if the fake server exited cleanly
# (non-zero e.g. when valgrind found errors); always 0 for the real one,
# which simply dies of SIGTERM.
xs_peer_stop() {
    local pid=${_XS_PEER_PID:-} rc=0 i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 1000; i++)); do # 10 s, then no more mercy
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    [ "$_XS_PEER_KIND" = real ] && rc=0
    rm -f "$_XS_PEER_DIR/socket" "$_XS_PEER_DIR/pid"
    unset _XS_PEER_PID XENSTORED_PATH
    return "$rc"
}
