# helper-lib.sh: shared by the helper-xs tests (bash, sourced).
#
#   . helper-lib.sh HELPER XS_TEST_SERVER XS_SHIM
#
# TAP output (tests/lib/tap.sh), a temp folder $T removed at exit,
# testbeds of xenbus consoles for umockdev, and run_helper, which runs the
# real helper under umockdev-run with --dev-dir/--run-dir inside $T so that
# nothing outside $T is ever touched.

HELPER=$1
export XS_TEST_SERVER=$2
export XS_SHIM=$3
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SRCDIR/../lib/tap.sh"
. "$SRCDIR/../xenstore/xs-peer.sh"

for tool in umockdev-run xenstore-write; do
    command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done
[ -x "$HELPER" ] || skip_all "no helper at $HELPER"
[ -x "${XC_MK_TESTBED:-}" ] || bail "XC_MK_TESTBED must name the built tests/lib/mk-testbed"

T=$(mktemp -d "${TMPDIR:-/tmp}/helper-xs.XXXXXX")
trap 'xs_peer_stop >/dev/null 2>&1; rm -rf "$T"' EXIT

# testbed FILE SPEC...: consoles for umockdev (tests/lib/mk-testbed), e.g.
# "1 2 3:unbound".
testbed() {
    local file=$1
    shift
    "$XC_MK_TESTBED" "$@" >"$file" || bail "mk-testbed $* failed"
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
