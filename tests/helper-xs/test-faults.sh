#!/bin/bash
# The helper against a misbehaving xenstore (the fake server's faults), the
# request budget (1 per export, 2 while a hole is saved and the resume mark
# was written; 0 per link/relink/unlink, a hole or not; sync: the names and
# the mark) and link/unlink.
#   test-faults.sh HELPER XS_TEST_SERVER XS_SHIM
. "$(dirname "$0")/helper-lib.sh" "$@"

xs_peer_available fake || skip_all "no fake xenstore server here"
TB=$T/consoles.umockdev
testbed "$TB" 1 2

start_fake() { # start_fake [SERVER OPTIONS...]
    xs_peer_stop >/dev/null 2>&1
    rm -rf "$T/xs"
    xs_peer_start fake "$T/xs" --set device/console/1/name=org.qemu.guest_agent.0 "$@" ||
        bail "cannot start the fake xenstore server"
}

# --- request budget, link, unlink ------------------------------------------
start_fake
fresh_dirs
run_helper "$TB" export console-1
is "$RC" 0 "export: exit 0"
is "$(xs_peer_count total)" 1 "export makes exactly 1 xenstore request"
is "$(xs_peer_count XS_READ)" 1 "... and it is an XS_READ"

# What udev hands link/unlink: the properties export printed, and DEVPATH.
link_env() {
    XEN_CHANNEL_NAME=org.qemu.guest_agent.0 XEN_CHANNEL_TTY=hvc1 \
        XEN_CHANNEL_DEVNAME=$DEV/hvc1 DEVPATH=/devices/console-1 ACTION=$1 \
        run_helper "$TB" "${@:2}"
}
link_env bind link
is "$RC" 0 "link: exit 0"
is "$(readlink "$DEV/xen-channel/org.qemu.guest_agent.0")" ../hvc1 \
    "link: xen-channel/org.qemu.guest_agent.0 -> ../hvc1"
is "$(xs_peer_count total)" 1 "link makes no xenstore request"

# relink: properties udev took back from its database after a resume moved
# the console (it stored hvc2): the tty is checked against sysfs, and still
# no xenstore request is made.
XEN_CHANNEL_NAME=org.qemu.guest_agent.0 XEN_CHANNEL_TTY=hvc2 XEN_CHANNEL_DEVNAME=$DEV/hvc2 \
    DEVPATH=/devices/console-1 ACTION=add run_helper "$TB" -v relink
is "$RC/$(readlink "$DEV/xen-channel/org.qemu.guest_agent.0")" 0/../hvc1 \
    "relink with a stale stored tty (hvc2): the link stays -> ../hvc1"
like "$ERR" "*the tty udev stored (hvc2) is stale: it is hvc1 now*" "relink: says the stored tty was stale"
is "$(xs_peer_count total)" 1 "relink makes no xenstore request"

# udev runs unlink on unbind and again on remove: the removal leaves exactly
# one line above debug, a true notice; the second, empty run leaves none.
above_debug() { grep -v '^xen-channel-helper: debug: ' <<<"$ERR" | grep -c .; }
link_env remove -v -v unlink
is "$RC" 0 "unlink: exit 0"
[ ! -e "$DEV/xen-channel/org.qemu.guest_agent.0" ] &&
    [ ! -L "$DEV/xen-channel/org.qemu.guest_agent.0" ]
ok $? "unlink: the link is gone"
# console-2 holds hvc2: freeing hvc1 leaves a hole below it; the resume
# mark was written once, by the boot's sync (xen-channel(7)), so unlink asks
# xenstore nothing even then
is "$(xs_peer_count total)" 1 "unlink leaving a hole makes no xenstore request"
is "$(above_debug)" 1 "unlink: one line above debug"
grep -qxF "xen-channel-helper: notice: console-1: removed link $DEV/xen-channel/org.qemu.guest_agent.0 (was -> ../hvc1)" <<<"$ERR"
ok $? "unlink: ... the notice of the removal, with the old target"

link_env remove -v -v unlink
is "$RC" 0 "unlink of a missing link: exit 0"
is "$(above_debug)" 0 "unlink of a missing link (the second run): nothing above debug"
is "$(err_lines)" 0 "unlink of a missing link: no error"

# A link that points at another tty is not ours to remove.
mkdir -p "$DEV/xen-channel"
ln -sfn ../hvc2 "$DEV/xen-channel/org.qemu.guest_agent.0"
link_env remove -v unlink
is "$RC" 0 "unlink of a link pointing elsewhere: exit 0"
is "$(readlink "$DEV/xen-channel/org.qemu.guest_agent.0")" ../hvc2 \
    "unlink of a link pointing elsewhere: left alone"
# An invalid $XEN_CHANNEL_LOG is said, and silences no warning.
XEN_CHANNEL_LOG=bogus link_env remove unlink
is "$RC" 0 "XEN_CHANNEL_LOG=bogus: unlink exit 0"
grep -q '^xen-channel-helper: warning: XEN_CHANNEL_LOG names no log priority' <<<"$ERR"
ok $? "XEN_CHANNEL_LOG=bogus: a warning says it is ignored"
grep -q '^xen-channel-helper: warning: console-1: .*points at \.\./hvc2, not at \.\./hvc1: left alone$' <<<"$ERR"
ok $? "XEN_CHANNEL_LOG=bogus: the link's warning is still shown"
rm -f "$DEV/xen-channel/org.qemu.guest_agent.0"

XEN_CHANNEL_NAME=../../etc/passwd XEN_CHANNEL_TTY=hvc1 DEVPATH=/devices/console-1 \
    run_helper "$TB" -v link
is "$RC" 3 "link with a hostile XEN_CHANNEL_NAME: exit 3"
[ -z "$(ls -A "$DEV/xen-channel")" ]
ok $? "link with a hostile XEN_CHANNEL_NAME: nothing created"

XEN_CHANNEL_NAME=org.example.0 DEVPATH=/devices/console-1 run_helper "$TB" -v link
is "$RC" 5 "link without XEN_CHANNEL_TTY/DEVNAME: exit 5"
is "$(err_lines)" 1 "... one error line"

DEVPATH=/devices/console-2 run_helper "$TB" link
is "$RC" 0 "link of a console without XEN_CHANNEL_NAME: exit 0 (nothing to do)"

# An unsafe device folder: xen-channel is a symlink.
fresh_dirs
mkdir "$T/elsewhere"
ln -s "$T/elsewhere" "$DEV/xen-channel"
link_env bind -v link
is "$RC" 6 "link into a symlinked xen-channel folder: exit 6"
[ -z "$(ls -A "$T/elsewhere")" ]
ok $? "... nothing created behind the symlink"
is "$(xs_peer_count total)" 1 "no other xenstore request after all these link/unlink runs"

# --- faults ----------------------------------------------------------------
# Every fault: exit 4, one clear error line, nothing on stdout, 1 request.
# enoent is not among them: an ENOENT reply to the read is exactly what a
# console without a name gets, so it must be exit 0 and silence.
for fault in eacces garbage close-mid; do
    start_fake --fault "$fault"
    fresh_dirs
    run_helper "$TB" -v --timeout 2000 export console-1
    is "$RC" 4 "fault $fault: exit 4"
    is "$OUT" "" "fault $fault: nothing on stdout"
    is "$(err_lines)" 1 "fault $fault: one error line"
    grep -q '^xen-channel-helper: error: console-1: .*xenstore' <<<"$ERR"
    ok $? "fault $fault: the error names the console and xenstore"
    is "$(xs_peer_count XS_READ)" 1 "fault $fault: one request, no retry"
    diag "$(grep error: <<<"$ERR")"
done

start_fake --fault enoent
fresh_dirs
run_helper "$TB" export console-1
is "$RC" 0 "fault enoent (= no name): exit 0"
is "$OUT$ERR" "" "fault enoent (= no name): prints nothing"

# A fault limited to another path does not touch console-1.
start_fake --fault mute --fault-path /local/domain/0/device/console/2
fresh_dirs
run_helper "$TB" export console-1
is "$RC" 0 "mute on console-2 only: console-1 still exports"

# --- mute: the bound holds --------------------------------------------------
start_fake --fault mute
fresh_dirs
run_helper "$TB" -v --timeout 300 export console-1
is "$RC" 4 "mute server: exit 4"
is "$OUT" "" "mute server: nothing on stdout"
is "$(err_lines)" 1 "mute server: one error line"
grep -q 'did not answer within 300 ms' <<<"$ERR"
ok $? "mute server: the error says it timed out after 300 ms"
[ "$MS" -lt 2000 ]
ok $? "mute server, --timeout 300: returned in ${MS} ms (< 2000)"
[ "$MS" -ge 280 ]
ok $? "mute server, --timeout 300: waited for the bound (${MS} ms >= 280)"

# --- a hole with a mute xenstore: unlink does not wait for it --------------
# unlink of console-1 below console-2 frees hvc1, a hole, with the mark
# written earlier: unlink makes no request, so a xenstore that never answers
# costs it nothing.
start_fake --fault mute
fresh_dirs
link_env bind link
printf '1 1\n2 2\n' >"$RUN/state"
: >"$RUN/mark"
link_env remove -v --timeout 300 unlink
is "$RC" 0 "a hole, mute xenstore: unlink exits 0"
[ ! -L "$DEV/xen-channel/org.qemu.guest_agent.0" ]
ok $? "a hole, mute xenstore: the link is gone"
is "$(err_lines)" 0 "a hole, mute xenstore: no error line"
is "$(grep -c 'resume mark' <<<"$ERR")" 0 "a hole, mute xenstore: the mark is not asked for" "$ERR"
[ "$MS" -lt 250 ]
ok $? "a hole, mute xenstore, --timeout 300: returned in ${MS} ms (< 250: no wait)"
is "$(tr '\n' ' ' <"$RUN/state")" "2 2 " "a hole, mute xenstore: console-2 keeps hvc2"

# --- export while the saved state has a hole: one more read, the mark's ----
start_fake --set data/xen-channel/resume-mark=1
fresh_dirs
printf '2 2\n' >"$RUN/state" # console-1 went earlier: a hole at hvc1
run_helper "$TB" export console-1
is "$RC/$(sed -n 's/^XEN_CHANNEL_TTY=//p' <<<"$OUT")" 0/hvc1 "export into the hole: exit 0, hvc1"
is "$(xs_peer_count XS_READ)/$(xs_peer_count total)" 1/1 \
    "export with a hole, the mark never written in this boot: 1 request (cannot tell, not asked)"
start_fake --set data/xen-channel/resume-mark=1
fresh_dirs
printf '2 2\n' >"$RUN/state"
: >"$RUN/mark"
run_helper "$TB" export console-1
is "$RC/$(sed -n 's/^XEN_CHANNEL_TTY=//p' <<<"$OUT")" 0/hvc1 "export into the hole, mark written: exit 0, hvc1"
is "$(xs_peer_count XS_READ)/$(xs_peer_count total)" 2/2 \
    "export while a hole is saved: 2 requests, the name and the resume mark (no write)"

# --- sync: the names, then the mark (read, and written once per boot) -------
start_fake --set device/console/2/name=chan.2
fresh_dirs
run_helper "$TB" sync
is "$RC" 0 "sync: exit 0"
is "$(xs_peer_count XS_READ)/$(xs_peer_count XS_WRITE)" 2/1 \
    "the boot's sync: two names read, the mark written"
is "$(xs_peer_read data/xen-channel/resume-mark)" 1 "... the mark is in this domain's xenstore"
[ -f "$RUN/mark" ]
ok $? "... and the run folder records that it was written"
run_helper "$TB" sync
# (the test's own read of the mark above counts too: 2 + 1 + 3)
is "$(xs_peer_count XS_READ)/$(xs_peer_count XS_WRITE)" 6/1 \
    "the next sync: the names and the mark read, nothing written"

# --- no xenstore at all -----------------------------------------------------
xs_peer_stop >/dev/null 2>&1
fresh_dirs
XENSTORED_PATH=$T/no-such-socket run_helper "$TB" -v export console-1
is "$RC" 4 "no xenstore: exit 4"
is "$(err_lines)" 1 "no xenstore: one error line"
grep -q 'cannot connect to xenstore' <<<"$ERR"
ok $? "no xenstore: says it cannot connect (not 'no name')"


# --- libxenstore cannot be loaded -------------------------------------------
# The helper dlopen()s libxenstore by the soname its .note.dlopen names, and
# only when a name must be read: export fails in one clear line, link and
# unlink never load it.
soname=$(readelf -p .note.dlopen "$HELPER" | grep -o 'libxenstore\.so\.[0-9]*' | head -n 1)
mkdir -p "$T/badlib"
: > "$T/badlib/$soname"
fresh_dirs
LD_LIBRARY_PATH=$T/badlib run_helper "$TB" export console-1
is "$RC" 4 "$soname unloadable: export exits 4"
is "$OUT" "" "$soname unloadable: nothing on stdout"
is "$(err_lines)" 1 "$soname unloadable: one error line"
grep -q "console-1: cannot load $soname (package libxenstore): .*badlib" <<<"$ERR"
ok $? "$soname unloadable: the error names the library and why" "$ERR"
LD_LIBRARY_PATH=$T/badlib link_env add link
is "$RC" 0 "$soname unloadable: link does not need it (exit 0)"
LD_LIBRARY_PATH=$T/badlib link_env remove unlink
is "$RC" 0 "$soname unloadable: unlink does not need it (exit 0)"

done_testing
