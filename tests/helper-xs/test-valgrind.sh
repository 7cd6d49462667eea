#!/bin/bash
# The helper under valgrind: the normal export, link and unlink, and the
# timeout path (the xenstore worker thread cancelled mid-read) must be free
# of memory errors and leaks.
#   test-valgrind.sh HELPER XS_TEST_SERVER XS_SHIM
. "$(dirname "$0")/helper-lib.sh" "$@"

command -v valgrind >/dev/null || skip_all "valgrind is not installed"
# valgrind cannot run a program built with ASan.
ldd "$HELPER" 2>/dev/null | grep -q 'libasan' && skip_all "the helper is built with ASan"
xs_peer_available fake || skip_all "no fake xenstore server here"
HELPER_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --log-file=$T/vg.%p"
TB=$T/consoles.umockdev
testbed "$TB" 1 2

vg_report() { # diag the valgrind logs, then clear them
    local f
    for f in "$T"/vg.*; do
        [ -s "$f" ] && diag "$(cat "$f")"
        rm -f "$f"
    done
    return 0
}

xs_peer_start fake "$T/xs" --set device/console/1/name=org.qemu.guest_agent.0 ||
    bail "cannot start the fake xenstore server"
fresh_dirs
run_helper "$TB" export console-1
is "$RC" 0 "valgrind: export of a named console: exit 0, no valgrind error"
grep -q '^XEN_CHANNEL_TTY=hvc1$' <<<"$OUT"
ok $? "valgrind: export printed the properties"
ls "$T"/vg.* >/dev/null 2>&1
ok $? "valgrind really ran (it left its log file)"
vg_report

run_helper "$TB" export console-2
is "$RC" 0 "valgrind: export of a console without a name: clean"
vg_report

XEN_CHANNEL_NAME=org.qemu.guest_agent.0 XEN_CHANNEL_TTY=hvc1 DEVPATH=/devices/console-1 \
    run_helper "$TB" link
is "$RC" 0 "valgrind: link: clean"
vg_report
XEN_CHANNEL_NAME=org.qemu.guest_agent.0 XEN_CHANNEL_TTY=hvc1 DEVPATH=/devices/console-1 \
    run_helper "$TB" unlink
is "$RC" 0 "valgrind: unlink: clean"
vg_report

xs_peer_write device/console/1/name $'../../x\n'
run_helper "$TB" export console-1
is "$RC" 3 "valgrind: a rejected name: exit 3, clean"
vg_report
xs_peer_stop >/dev/null 2>&1

for fault in mute close-mid garbage; do
    rm -rf "$T/xs"
    xs_peer_start fake "$T/xs" --fault "$fault" \
        --set device/console/1/name=org.qemu.guest_agent.0 ||
        bail "cannot start the fake xenstore server"
    fresh_dirs
    run_helper "$TB" --timeout 300 export console-1
    is "$RC" 4 "valgrind: fault $fault: exit 4, no valgrind error, no leak"
    [ "$fault" != mute ] || { [ "$MS" -lt 5000 ]; ok $? "valgrind: mute returned in ${MS} ms (< 5000)"; }
    vg_report
    xs_peer_stop >/dev/null 2>&1
done

done_testing
