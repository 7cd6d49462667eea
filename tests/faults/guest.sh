#!/bin/bash
# Run a Python test of this folder in the simulated guest: the test xenstore
# server holding the channel names of bed.py, and umockdev-run (the script
# edits the testbed in $UMOCKDEV_DIR while it runs).
#   guest.sh SCRIPT HELPER SHIM XS_TEST_SERVER [ARGS...]   (TAP)
SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script=$1 helper=$2 shim=$3
export XS_TEST_SERVER=$4
shift 4
. "$SRCDIR/../lib/tap.sh"
. "$SRCDIR/../xenstore/xs-peer.sh"
command -v umockdev-run >/dev/null || skip_all "umockdev-run is not installed"
xs_peer_available fake || skip_all "no fake xenstore server"
T=$(mktemp -d "${TMPDIR:-/tmp}/xc-faults.XXXXXX")
trap 'xs_peer_stop >/dev/null 2>&1; rm -rf "$T"' EXIT
mapfile -t sets < <(python3 "$SRCDIR/bed.py")
xs_peer_start fake "$T/xs" "${sets[@]}" || bail "no xenstore server"
umockdev-run -- python3 "$SRCDIR/$script" "$helper" "$shim" "$T/work" "$@"
