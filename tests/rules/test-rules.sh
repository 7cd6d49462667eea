#!/bin/bash
# Runs the built udev rules through the real `udevadm test` (systemd 252)
# against a umockdev testbed, in a private mount namespace where only our
# rules are visible and /run and /dev are private tmpfs (udevadm test writes
# its database to /run/udev, where the tests also put "stored" properties,
# and /dev/char links to /dev). udevadm test runs IMPORT{program} but never
# RUN: the rules under test call stub-helper.sh instead of the helper, and
# RUN shows up as "run: '...'" lines. Its exit status says nothing, so the
# output is grepped. TAP output (tests/lib/tap.sh), one test per check.
#
# Usage: test-rules.sh CASE RULES-FILE SERVICE-FILE HELPER-PATH UNIT-DIR
#
# Testbed (tests/lib/mk-testbed, plus not-ours.umockdev): console-1 bound,
# named org.qemu.guest_agent.0; console-2 bound, no name; console-3 bound,
# named org.example-agent.0; console-4 not bound; hvc0..hvc7 ttys; vif-0 a
# Xen non-console and ttyS0 a tty that are not ours.
# Cases "configured" and "units" (systemd-analyze verify of every unit in
# the install tree, meson install --destdir) need no umockdev.

set -u

test_case=$1
rules_file=$2
service_file=$3
helper=$4
unitdir=${5:-}

here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/tap.sh"
stub=$here/stub-helper.sh
our_rules=/etc/udev/rules.d/80-xen-channel.rules
out=
what=$test_case

# expect STATUS DESC: one test; on failure the udevadm test output as diag.
expect() {
        ok "$1" "$what: $2"
        if [ "$1" -ne 0 ] && [ -n "$out" ] && [ -f "$out" ]; then
                echo "# --- udevadm test output ($out):"
                grep -v '^  ' "$out" | diag
        fi
}

# The configured file: the real helper path, no template key left.
check_configured() {
        local f
        for f in "$rules_file" "$service_file"; do
                [ -s "$f" ]
                ok $? "$f exists and is not empty"
                ! grep -nE '@[A-Za-z_]+@' "$f"
                ok $? "$f: no template key left unreplaced"
        done
        grep -qF "IMPORT{program}=\"$helper export\"" "$rules_file"
        ok $? "rules: IMPORT{program}=\"$helper export\""
        grep -qF "RUN+=\"$helper link\"" "$rules_file"
        ok $? "rules: RUN+=\"$helper link\""
        grep -qF "RUN+=\"$helper unlink\"" "$rules_file"
        ok $? "rules: RUN+=\"$helper unlink\""
        grep -qxF "ExecStart=$helper sync" "$service_file"
        ok $? "service: ExecStart=$helper sync"
}

# install_tree: the build installed into $root (meson install --destdir) as
# a package lays it out, with the machine's stock units beside it (never a
# copy of ours from the machine), for systemd-analyze verify --root. Sets
# root, units (our unit folder in it) and ours (the files installed there).
install_tree() {
        local stock log
        command -v systemd-analyze >/dev/null || skip_all "no systemd-analyze"
        stock=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null) || stock=/lib/systemd/system
        [ -f "$stock/multi-user.target" ] || skip_all "no stock systemd units in $stock"
        [ -n "$unitdir" ] || skip_all "built without a systemd unit folder"
        # Global: the EXIT trap runs after this function returned.
        root=$(mktemp -d "${XEN_CHANNEL_BUILD_ROOT:-/tmp}/units-test.XXXXXX") || bail "mktemp"
        trap 'rm -rf "$root" "${work:-}"' EXIT
        log=$(meson install -C "$XEN_CHANNEL_BUILD_ROOT" --no-rebuild --quiet \
                --destdir "$root" 2>&1) || { diag "$log"; bail "meson install --destdir failed"; }
        units=$root$unitdir
        ours=$(cd "$units" && ls)
        mkdir -p "$root/usr/lib/systemd/system" "$root/etc/systemd/system"
        (cd "$stock" && tar --exclude='xen-channel*' -cf - .) |
                tar -C "$root/usr/lib/systemd/system" --skip-old-files -xf - ||
                bail "cannot copy the stock units"
}

# Our units as systemd-analyze names them: a template as two instances.
shipped_units() {
        local f
        for f in $ours; do
                case $f in
                *@.target) echo "${f%.target}org.qemu.guest_agent.0.target"
                           echo "${f%.target}org.example\\x2dagent.0.target" ;;
                *.service|*.target) echo "$f" ;;
                esac
        done
}

# systemd-analyze verify [UNITS...] (default: every shipped unit) in $root.
# It exits 0 on unknown keys, so any output at all is a failure.
verify_units() {
        local out_v
        # shellcheck disable=SC2046
        [ $# -gt 0 ] || set -- $(shipped_units)
        out_v=$(systemd-analyze verify --man=no --root="$root" "$@" 2>&1) ||
                { echo "$out_v"; return 1; }
        [ -z "$out_v" ] || { echo "$out_v"; return 1; }
}

check_units() {
        local f tool
        install_tree
        ! grep -n '@[A-Za-z_]*@' "$units"/*.service "$units"/*.target
        ok $? "units: no template key left in the installed units"
        # shellcheck disable=SC2046
        check "units: systemd-analyze verify of $(echo $(shipped_units)) says nothing" \
                verify_units $(shipped_units)
        # The check must be able to fail: a bad key in any shipped file is
        # noticed, and so is an ExecStart= program missing from the tree.
        for f in $ours; do
                [ -f "$units/$f" ] || continue
                cp "$units/$f" "$root/saved"
                echo 'NoSuchKey=1' >>"$units/$f"
                ! verify_units >/dev/null
                ok $? "units: a bad key in $f is noticed"
                mv "$root/saved" "$units/$f"
        done
        for f in $ours; do
                [ -f "$units/$f" ] || continue
                tool=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$units/$f")
                [ -n "$tool" ] || continue
                mv "$root$tool" "$root/saved"
                ! verify_units "$f" >/dev/null
                ok $? "units: $f without its ExecStart program $tool is noticed"
                mv "$root/saved" "$root$tool"
        done
}

# pulls_in TARGET UNIT: does systemd load UNIT as a dependency of TARGET in
# $root? UNIT gets a bad key; verify (recursive by default) reports it only
# when it follows a dependency from TARGET to it, here the .wants link.
pulls_in() {
        local out_v
        cp "$units/$2" "$root/saved"
        echo 'NoSuchKey=1' >>"$units/$2"
        out_v=$(verify_units "$1")
        mv "$root/saved" "$units/$2"
        grep -qF "$2" <<<"$out_v"
}

if [ "$test_case" = configured ]; then
        check_configured
        done_testing
        exit
fi
if [ "$test_case" = units ]; then
        check_units
        done_testing
        exit
fi

command -v udevadm >/dev/null || skip_all "no udevadm"
command -v umockdev-run >/dev/null || skip_all "no umockdev-run (package umockdev)"
command -v unshare >/dev/null || skip_all "no unshare"
unshare --mount true 2>/dev/null || skip_all "cannot make a mount namespace (needs root)"
[ -d /etc/udev/rules.d ] || skip_all "no /etc/udev/rules.d to mount over"
[ -x "${XC_MK_TESTBED:-}" ] || bail "XC_MK_TESTBED must name the built tests/lib/mk-testbed"

# Not under /run: the namespace mounts a tmpfs there.
work=$(mktemp -d "${XEN_CHANNEL_BUILD_ROOT:-/tmp}/rules-test.XXXXXX") || bail "mktemp"
trap 'rm -rf "$work"' EXIT
mkdir "$work/rules" "$work/dev"
testbed=$work/testbed.umockdev
{ "$XC_MK_TESTBED" --hvc-ttys 1 2 3 4:unbound && cat "$here/not-ours.umockdev"; } >"$testbed" ||
        bail "cannot write the testbed"

# The rules as built, pointed at the stub. The stub's path must not
# contain the helper's.
sed "s|$helper|$stub|g" "$rules_file" >"$work/rules/80-xen-channel.rules"
grep -qF "$stub export" "$work/rules/80-xen-channel.rules" || bail "helper path not found in $rules_file"

# udev_run ACTION SYSPATH [DB-NAME]: run udevadm test; with DB-NAME,
# $work/db is installed first as /run/udev/data/DB-NAME (the properties
# udev stored for the device at its last event).
udev_run() {
        local action=$1 syspath=$2 dbname=${3:-}
        out=$work/out.$action.${syspath##*/}
        what="$action ${syspath#/sys}"
        unshare --mount --propagation private -- /bin/bash -c '
                set -e
                work=$1 action=$2 syspath=$3 testbed=$4 dbname=$5
                mount -t tmpfs tmpfs /run
                # udevadm test makes /dev/char/M:N links for a device with
                # a node, in the real /dev (umockdev does not redirect
                # symlink()): give it a private /dev.
                mount -t tmpfs tmpfs "$work/dev"
                for n in null zero full random urandom tty; do
                        touch "$work/dev/$n"
                        mount --bind "/dev/$n" "$work/dev/$n"
                done
                # umockdev backs tty nodes with ptys
                mkdir "$work/dev/pts"
                mount --bind /dev/pts "$work/dev/pts"
                ln -s pts/ptmx "$work/dev/ptmx"
                ln -s /proc/self/fd "$work/dev/fd"
                mount --rbind "$work/dev" /dev
                mkdir -p /run/udev/data
                if [ -n "$dbname" ]; then cp "$work/db" "/run/udev/data/$dbname"; fi
                mount --bind "$work/rules" /etc/udev/rules.d
                for d in /lib/udev/rules.d /usr/lib/udev/rules.d /usr/local/lib/udev/rules.d; do
                        if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi
                done
                exec umockdev-run -d "$testbed" -- udevadm test --action="$action" "$syspath"
        ' udev-test "$work" "$action" "$syspath" "$testbed" "$dbname" >"$out" 2>&1 ||
                bail "$what: could not run udevadm test"
}

# udev_test ACTION SYSPATH [DB-NAME]: udev_run, then check_sane.
udev_test() {
        udev_run "$@"
        check_sane
}

has() { grep -qF -- "$1" "$out"; expect $? "has '$1'"; }
hasnt() { ! grep -qF -- "$1" "$out"; expect $? "no '$1'"; }
# Lines of the final property dump are KEY=VALUE at the start of a line.
prop() { grep -qxF -- "$1" "$out"; expect $? "property $1"; }
noprop() { ! grep -qE "^$1=" "$out"; expect $? "no property $1"; }

# What is wrong with the last run, one line per fault (nothing: all is well):
# our file read, only ours, no parse complaint, the dump there.
sane_problems() {
        grep -qF "Reading rules file: $our_rules" "$out" || echo "$our_rules not read"
        grep 'Reading rules file' "$out" | grep -vF "$our_rules" | sed 's/^/stock rules not masked: /'
        # Parse errors are "FILE:LINE message" at the start of a line;
        # matches are prefixed with the device name.
        grep -E "^$our_rules:[0-9]+" "$out" | sed 's/^/rules file complaint: /'
        grep -i 'invalid' "$out" | sed 's/^/"invalid" in the output: /'
        grep -F "stub-helper: unexpected" "$out"
        grep -q '^DEVPATH=' "$out" || echo "no property dump, udevadm test did not finish"
}
check_sane() {
        local problems
        problems=$(sane_problems)
        [ -z "$problems" ]
        expect $? "udevadm test read our rules and only ours, without a complaint"
        diag "$problems"
}

imported() { has "Importing properties from results of '$stub export'"; }
not_imported() { hasnt "$stub export"; }
runs() { has "run: '$stub $1'"; }
no_run() { hasnt "run: '"; }
tagged() { grep -qE '^CURRENT_TAGS=.*:systemd:' "$out"; expect $? "tagged systemd"; }
not_tagged() { ! grep -qE '^CURRENT_TAGS=.*:systemd:' "$out"; expect $? "not tagged systemd"; }
nothing_of_ours() {
        not_imported
        no_run
        noprop 'XEN_CHANNEL_[A-Z_]*'
        noprop 'SYSTEMD_[A-Z_]*'
        noprop ID_MM_DEVICE_IGNORE
        not_tagged
}

# The channel console-1, once its export ran (link) or its properties came
# back from the database (relink: the tty is checked again).
channel1_present() {
        local verb=${1:-link}
        prop XEN_CHANNEL_NAME=org.qemu.guest_agent.0
        prop XEN_CHANNEL_TTY=hvc1
        prop XEN_CHANNEL_DEVNAME=/dev/hvc1
        prop SYSTEMD_ALIAS=/dev/xen-channel/org.qemu.guest_agent.0
        prop SYSTEMD_WANTS=xen-channel@org.qemu.guest_agent.0.target
        tagged
        runs $verb
        if [ $verb = link ]; then hasnt "run: '$stub relink'"; else hasnt "run: '$stub link'"; fi
        hasnt "run: '$stub unlink'"
}

# $work/db: what udev stored for a named console-1 at its bind event.
store_channel1() {
        cat >"$work/db" <<'EOF'
I:1000000
E:XEN_CHANNEL_NAME=org.qemu.guest_agent.0
E:XEN_CHANNEL_DEVID=1
E:XEN_CHANNEL_TTY=hvc1
E:XEN_CHANNEL_DEVNAME=/dev/hvc1
E:XEN_CHANNEL_LINK=/dev/xen-channel/org.qemu.guest_agent.0
E:XEN_CHANNEL_SYSTEMD_INSTANCE=org.qemu.guest_agent.0
E:SYSTEMD_ALIAS=/dev/xen-channel/org.qemu.guest_agent.0
E:SYSTEMD_WANTS=xen-channel@org.qemu.guest_agent.0.target
G:systemd
Q:systemd
V:1
EOF
}

# replayed ACTION: ACTION replayed for console-1. With properties stored,
# a known channel keeps them, its tag and alias from the database, with no
# export (no xenstore request), and relink checks the stored tty. With none
# (a first add, or an export that failed before), export runs.
replayed() {
        store_channel1
        udev_test $1 /sys/devices/console-1 +xen:console-1
        not_imported
        channel1_present relink
        udev_test $1 /sys/devices/console-1
        imported
        channel1_present
}

case $test_case in
syntax)
        udev_test add /sys/devices/console-1
        # The check above must be able to fail: a broken line is caught.
        echo 'SUBSYSTEM=="xen", NO_SUCH_KEY="1"' >>"$work/rules/80-xen-channel.rules"
        udev_run add /sys/devices/console-1
        [ -n "$(sane_problems)" ]
        expect $? "a broken rules line is noticed"
        ;;
add-bound)
        # Coldplug: "add" replayed for a console bound before udevd ran.
        udev_test add /sys/devices/console-1
        imported
        has "'$stub export'(out) 'XEN_CHANNEL_NAME=org.qemu.guest_agent.0'"
        channel1_present
        ;;
add-known)
        # udevadm trigger --action=add, or a udev restart
        replayed add
        ;;
bind)
        # Runtime: the probe done, DRIVER=xenconsole.
        udev_test bind /sys/devices/console-1
        imported
        channel1_present
        ;;
add-unbound)
        # Runtime "add" before the probe: no DRIVER, nothing to do yet.
        udev_test add /sys/devices/console-4
        nothing_of_ours
        ;;
unnamed)
        # A plain secondary console: export prints nothing.
        for action in add bind; do
                udev_test $action /sys/devices/console-2
                imported
                noprop 'XEN_CHANNEL_[A-Z_]*'
                noprop 'SYSTEMD_[A-Z_]*'
                not_tagged
                no_run
        done
        ;;
escaped)
        # The instance comes escaped from the helper and must reach
        # SYSTEMD_WANTS untouched; the alias is the plain path.
        udev_test bind /sys/devices/console-3
        imported
        prop 'XEN_CHANNEL_SYSTEMD_INSTANCE=org.example\x2dagent.0'
        prop 'SYSTEMD_WANTS=xen-channel@org.example\x2dagent.0.target'
        prop SYSTEMD_ALIAS=/dev/xen-channel/org.example-agent.0
        runs link
        ;;
unbind)
        # After unbind the console has no driver; the properties come
        # back from the database (IMPORT{db}) for unlink, and are stored
        # again for the remove event. No tag: systemd sees it go.
        store_channel1
        udev_test unbind /sys/devices/console-4 +xen:console-4
        not_imported
        runs unlink
        hasnt "run: '$stub link'"
        prop XEN_CHANNEL_NAME=org.qemu.guest_agent.0
        prop XEN_CHANNEL_TTY=hvc1
        noprop SYSTEMD_ALIAS
        noprop SYSTEMD_WANTS
        not_tagged
        # Nothing stored: nothing to remove.
        udev_test unbind /sys/devices/console-2
        nothing_of_ours
        ;;
remove)
        # On remove udev hands over the stored properties by itself.
        store_channel1
        udev_test remove /sys/devices/console-4 +xen:console-4
        not_imported
        runs unlink
        hasnt "run: '$stub link'"
        udev_test remove /sys/devices/console-2
        nothing_of_ours
        ;;
change)
        # udevadm trigger --action=change
        replayed change
        # An unbound console is left alone even with stored properties.
        udev_test change /sys/devices/console-4 +xen:console-4
        not_imported
        no_run
        not_tagged
        ;;
tty-channels)
        for n in 1 2 3 4 5 6 7; do
                for action in add change; do
                        udev_test $action /sys/devices/virtual/tty/hvc$n
                        prop ID_MM_DEVICE_IGNORE=1
                        not_imported
                        no_run
                done
        done
        ;;
agent-wants)
        # The device of org.qemu.guest_agent.0 wants the qemu-ga unit
        # (through its target and the .wants link in the install tree);
        # the device of any other channel does not, an unnamed one wants
        # nothing.
        install_tree
        agent=xen-channel-qemu-ga.service
        [ -f "$units/$agent" ] || skip_all "$agent not installed (built without the tool)"
        for dev in console-1 console-3; do
                udev_test bind /sys/devices/$dev
                target=$(sed -n 's/^SYSTEMD_WANTS=//p' "$out")
                what="bind /devices/$dev"
                if [ $dev = console-1 ]; then
                        is "$target" 'xen-channel@org.qemu.guest_agent.0.target' "$what: SYSTEMD_WANTS"
                        pulls_in "$target" "$agent"
                        expect $? "$target pulls in $agent"
                else
                        is "$target" 'xen-channel@org.example\x2dagent.0.target' "$what: SYSTEMD_WANTS"
                        ! pulls_in "$target" "$agent"
                        expect $? "$target does not pull in $agent"
                fi
        done
        udev_test bind /sys/devices/console-2
        noprop SYSTEMD_WANTS
        # The one activation: a static link in the instance's .wants folder;
        # nothing for the template (every channel) and no [Install] section
        # that could enable the unit anywhere else.
        is "$(cd "$root" && find . -path '*.wants/*' -name "$agent" -printf '%p -> %l\n')" \
           ".$unitdir/xen-channel@org.qemu.guest_agent.0.target.wants/$agent -> ../$agent" \
           "$agent: only one .wants link, the instance's"
        ! grep -q '^\[Install\]' "$units/$agent"
        ok $? "$agent: no [Install] section"
        ;;
not-ours)
        udev_test add /sys/devices/virtual/tty/hvc0
        nothing_of_ours
        udev_test add /sys/devices/virtual/tty/ttyS0
        nothing_of_ours
        for action in add bind change; do
                udev_test $action /sys/devices/vif-0
                nothing_of_ours
        done
        ;;
*)
        bail "unknown case $test_case"
        ;;
esac
done_testing
