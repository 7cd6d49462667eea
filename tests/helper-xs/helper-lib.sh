# helper-lib.sh: shared by the helper-xs tests (bash, sourced).
#
#   . helper-lib.sh HELPER XS_TEST_SERVER XS_SHIM
#
# TAP output (ok/not ok, plan at the end), a temp folder $T removed at exit,
# testbeds of xenbus consoles for umockdev, and run_helper, which runs the
# real helper under umockdev-run with --dev-dir/--run-dir inside $T so that
# nothing outside $T is ever touched.

HELPER=$1
export XS_TEST_SERVER=$2
export XS_SHIM=$3
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SRCDIR/../xenstore/xs-peer.sh"

_tap_n=0
_tap_failed=0
ok() { # ok COND-STATUS DESCRIPTION
    _tap_n=$((_tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_tap_n - $2"
    else
        echo "not ok $_tap_n - $2"
        _tap_failed=$((_tap_failed + 1))
    fi
}
is() { # is GOT WANT DESCRIPTION
    local r=0
    [ "$1" = "$2" ] || r=1
    ok $r "$3"
    [ $r -eq 0 ] || printf '#   got:  %q\n#   want: %q\n' "$1" "$2"
}
diag() { [ -z "$*" ] || printf '%s\n' "$@" | sed 's/^/# /'; }
# A TAP skip: meson (protocol tap) reports SKIP for "1..0 # SKIP" with exit
# 0, but ERROR for exit 77.
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_failed" -eq 0 ]; }

for tool in umockdev-run xenstore-write; do
    command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done
[ -x "$HELPER" ] || skip_all "no helper at $HELPER"

T=$(mktemp -d "${TMPDIR:-/tmp}/helper-xs.XXXXXX")
trap 'xs_peer_stop >/dev/null 2>&1; rm -rf "$T"' EXIT

# testbed FILE SPEC...: consoles for umockdev; SPEC is N (bound to
# xenconsole) or N- (present, not bound).
testbed() {
    local file=$1 spec n
    shift
    : >"$file"
    for spec in "$@"; do
        n=${spec%-}
        {
            echo "P: /devices/console-$n"
            echo "E: SUBSYSTEM=xen"
            echo "E: MODALIAS=xen:console"
            [ "$spec" = "$n" ] && echo "E: DRIVER=xenconsole"
            echo "A: nodename=device/console/$n"
            echo "A: devtype=console"
            echo "A: modalias=xen:console"
            echo "A: state=4"
            [ "$spec" = "$n" ] && echo "L: driver=../../bus/xen/drivers/xenconsole"
            echo
        } >>"$file"
    done
}

# fresh_dirs: new, empty device and run folders ($DEV, $RUN).
_dirs_n=0
fresh_dirs() {
    _dirs_n=$((_dirs_n + 1))
    DEV=$T/dev.$_dirs_n RUN=$T/run.$_dirs_n
    mkdir -p "$DEV" "$RUN"
}

# run_helper TESTBED ARGS...: run the helper on TESTBED with $DEV and $RUN;
# sets RC, OUT (stdout), ERR (stderr) and MS (wall time in ms).
# $HELPER_WRAPPER (e.g. valgrind) goes in front of the helper.
run_helper() {
    local tb=$1 start
    shift
    start=$(date +%s%N)
    umockdev-run -d "$tb" -- ${HELPER_WRAPPER:-} "$HELPER" --dev-dir "$DEV" \
        --run-dir "$RUN" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    MS=$((($(date +%s%N) - start) / 1000000))
    OUT=$(cat "$T/out")
    ERR=$(cat "$T/err")
}

# Lines of $ERR that are errors ("xen-channel-helper: error: ...").
err_lines() { grep -c '^xen-channel-helper: error: ' <<<"$ERR"; }
