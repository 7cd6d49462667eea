#!/bin/bash
# mk-testbed, the console testbeds every test stands on: its umockdev
# description, the sysfs tree it writes and removes, and its refusals.
#   test-mk-testbed.sh MK-TESTBED   (TAP)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/tap.sh"
MK=$1
[ -x "$MK" ] || bail "no mk-testbed at $MK"
T=$(mktemp -d "${TMPDIR:-/tmp}/xc-mk-testbed.XXXXXX")
trap 'rm -rf "$T"' EXIT

is "$("$MK" 3)" "P: /devices/console-3
E: SUBSYSTEM=xen
E: DRIVER=xenconsole
E: MODALIAS=xen:console
A: nodename=device/console/3
A: devtype=console
A: modalias=xen:console
A: state=Connected
L: driver=../../bus/xen/drivers/xenconsole" "a bound console: what the kernel shows"
out=$("$MK" 4:unbound)
! grep -q DRIVER <<<"$out" && ! grep -q '^L: driver' <<<"$out"
ok $? "an unbound console: no DRIVER, no driver link"
like "$out" "*A: state=Initialising*" "an unbound console: state Initialising"
like "$("$MK" 2:state=6)" "*A: state=Closed*" "state=6 is written as the kernel names it: Closed"
like "$("$MK" 2:unbound:state=closing)" "*A: state=Closing*" "state names in any case"
is "$("$MK" 1 2 3:unbound | grep -c '^P: ')" 3 "one device per spec"
is "$("$MK" --hvc-ttys | grep -c '^E: MAJOR=229$')" 8 "--hvc-ttys: hvc0..hvc7, major 229"

for bad in x 1:bogus 1:state=9 1:state=Open -1 ""; do
        "$MK" "$bad" >"$T/out" 2>"$T/err"
        is "$?/$(wc -l <"$T/err")/$(wc -c <"$T/out")" "2/1/0" "spec '$bad': exit 2, one line, no output"
done

S=$T/sys
"$MK" --sysfs "$S" 1 2:unbound:state=Closed
is "$(cat "$S/devices/console-1/nodename" "$S/devices/console-1/devtype" \
        "$S/devices/console-1/modalias" "$S/devices/console-1/state")" \
        "device/console/1
console
xen:console
Connected" "--sysfs: the attributes of console-1"
is "$(readlink "$S/devices/console-1/driver") $(readlink "$S/bus/xen/drivers/xenconsole/console-1")" \
        "../../bus/xen/drivers/xenconsole ../../../../devices/console-1" "--sysfs: console-1 bound"
is "$(readlink "$S/bus/xen/devices/console-2") $(cat "$S/devices/console-2/state")" \
        "../../../devices/console-2 Closed" "--sysfs: console-2 on the bus, Closed"
[ ! -e "$S/devices/console-2/driver" ] && [ ! -L "$S/bus/xen/drivers/xenconsole/console-2" ]
ok $? "--sysfs: console-2 not bound"
"$MK" --sysfs "$S" 2
is "$(readlink "$S/devices/console-2/driver") $(cat "$S/devices/console-2/state")" \
        "../../bus/xen/drivers/xenconsole Connected" "--sysfs again: console-2 bound now"
"$MK" --sysfs "$S" --remove 1 2 7
is "$(cd "$S" && find . ! -type d | sort)" "" "--remove: nothing of the consoles left (7 was never there)"
chmod 555 "$S/devices"
if [ "$(id -u)" != 0 ]; then
        "$MK" --sysfs "$S" 5 2>"$T/err"
        is "$?/$(wc -l <"$T/err")" "1/1" "an unwritable tree: exit 1, one line"
fi
chmod 755 "$S/devices"

done_testing
