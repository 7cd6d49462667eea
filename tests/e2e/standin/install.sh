#!/bin/sh
# install.sh DESTDIR [naive]: lay the stand-ins out as `meson install` would
# (prefix /usr). "naive" makes the helper map console-N to hvcN (a known-wrong
# rule) so that a run can show the suite catching it.
set -e
D=${1:?usage: install.sh DESTDIR [naive]}
H=$(cd "$(dirname "$0")" && pwd)
naive=0; [ "${2:-}" = naive ] && naive=1
helper=/usr/libexec/xen-channel-helper
mkdir -p "$D/usr/libexec" "$D/usr/bin" "$D/usr/lib/udev/rules.d"
sed "s/@NAIVE@/$naive/" "$H/xen-channel-helper" > "$D$helper"; chmod 755 "$D$helper"
install -m755 "$H/xen-channel" "$D/usr/bin/xen-channel"
sed "s#@HELPER@#$helper#g" "$H/80-xen-channel.rules" > "$D/usr/lib/udev/rules.d/80-xen-channel.rules"
