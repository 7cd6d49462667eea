#!/bin/bash
# Build the Debian packages from an export of the tree (packaging/debian copied
# to ./debian, as a distribution would) and check what each package holds.
# TAP output. XC_PKG_LINTIAN=0 skips lintian; XC_PKG_CHECK=1 builds with
# the test suite and runs its unit suite in dh_auto_test (slower).

. "$(dirname "$0")/pkg-lib.sh"

for tool in dh dpkg-deb pkg-config; do
        command -v $tool >/dev/null || skip_all "$tool not installed (debhelper, dpkg-dev)"
done

make_workdir
tree=$WORK/xen-channel-$PKG_VERSION
export_tree "$tree"
rm -rf "$tree/debian"
# The upstream tarball (3.0 (quilt)), so that the source package is built
# and checked too; then debian/ goes in, as a distribution adds it.
tar -C "$WORK" -czf "$WORK/xen-channel_$PKG_VERSION.orig.tar.gz" "xen-channel-$PKG_VERSION"
cp -a "$tree/packaging/debian" "$tree/debian"

profiles=nocheck
options="nocheck parallel=2"
if [ "${XC_PKG_CHECK:-0}" = 1 ]; then
        profiles=
        options="parallel=2"
fi
glib=yes
if ! tree_has_glib "$tree"; then
        profiles="${profiles:+$profiles }pkg.xen-channel.noglib"
        glib=no
fi
echo "# building in $tree, profiles: $profiles"

if (cd "$tree" && DEB_BUILD_OPTIONS="$options" DEB_BUILD_PROFILES="$profiles" \
    dpkg-buildpackage -us -uc) >"$WORK/build.log" 2>&1; then
        ok 0 "dpkg-buildpackage -us -uc (profiles: $profiles)"
else
        ok 1 "dpkg-buildpackage -us -uc (profiles: $profiles)"
        tail -n 60 "$WORK/build.log" | diag
        bail "the package build failed"
fi

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
udevdir=$(pkg-config --variable=udevdir udev)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
helper=/usr/libexec/xen-channel-helper
deb() { echo "$WORK/${1}_${PKG_VERSION}-1_$arch.deb"; }

# contents PACKAGE: the paths in the .deb, one a line, without "./".
contents() {
        dpkg-deb -c "$(deb "$1")" | awk '{print $6}' | sed 's,^\./,/,; s,/$,,' >"$WORK/$1.list"
        echo "$WORK/$1.list"
}

packages="libxenchannel0 libxenchannel-dev xen-channel"
[ $glib = yes ] && packages="$packages libxenchannel-glib0 libxenchannel-glib-dev"
for p in $packages; do
        check "$p .deb built" test -f "$(deb "$p")"
done
for p in $(cd "$WORK" && ls ./*.deb | sed 's,^\./,,; s,_.*,,'); do
        case " $packages " in
        *" $p "*) ;;
        *) case $p in
           *-dbgsym) ;;
           *) ok 1 "unexpected package $p" ;;
           esac ;;
        esac
done

lib=/usr/lib/$multiarch
check "libxenchannel0 holds the shared library" \
        listed "$(contents libxenchannel0)" "$lib/libxenchannel.so.0" "$lib/libxenchannel.so.0.2.0"
check "libxenchannel0 holds nothing for development" \
        bash -c "! grep -E '\\.(h|pc)\$|libxenchannel\\.so\$' '$WORK/libxenchannel0.list'"
# check_symbols PACKAGE SONAME VERSION_SCRIPT: the symbols file of PACKAGE
# lists exactly the symbols of the version script, under its version node.
check_symbols() {
        local p=$1 soname=$2 map=$3 node
        node=$(map_node "$map")
        dpkg-deb -I "$(deb "$p")" symbols >"$WORK/$p.symbols" 2>&1
        check "$p has a symbols file for $soname" grep -q "^$soname $p " "$WORK/$p.symbols"
        check "$p symbols file lists the version node $node" \
                grep -q "^ $node@$node " "$WORK/$p.symbols"
        sed -n "s/^ \([A-Za-z_][A-Za-z0-9_]*\)@$node .*/\1/p" "$WORK/$p.symbols" |
                grep -vx "$node" | sort -u >"$WORK/$p.symbols.deb"
        map_symbols "$map" >"$WORK/$p.symbols.map"
        check "$p symbols file = ${map#$SRC_ROOT/} (all @$node)" \
                diff -u "$WORK/$p.symbols.map" "$WORK/$p.symbols.deb"
}
check_symbols libxenchannel0 libxenchannel.so.0 "$SRC_ROOT/lib/libxenchannel.sym"
check "libxenchannel0 has shlibs and Multi-Arch: same" bash -c "
        dpkg-deb -I '$(deb libxenchannel0)' shlibs | grep -q '^libxenchannel 0 libxenchannel0' &&
        dpkg-deb -f '$(deb libxenchannel0)' Multi-Arch | grep -qx same"

check "libxenchannel-dev holds header, .so link and .pc" \
        listed "$(contents libxenchannel-dev)" /usr/include/libxenchannel.h \
        "$lib/libxenchannel.so" "$lib/pkgconfig/libxenchannel.pc" \
        /usr/share/man/man3/libxenchannel.3.gz
check "libxenchannel-dev depends on the exact libxenchannel0" \
        bash -c "dpkg-deb -f '$(deb libxenchannel-dev)' Depends | grep -q 'libxenchannel0 (= $PKG_VERSION-1)'"

xc_files=("$helper" "$udevdir/rules.d/80-xen-channel.rules"
          "$unitdir/xen-channel@.target" "$unitdir/xen-channel-sync.service"
          /usr/share/man/man7/xen-channel.7.gz /usr/share/man/man8/xen-channel-helper.8.gz)
agent_files=("$unitdir/xen-channel-qemu-ga.service"
             "$unitdir/xen-channel@org.qemu.guest_agent.0.target.wants/xen-channel-qemu-ga.service")
[ $glib = yes ] && xc_files+=(/usr/bin/xen-channel /usr/share/man/man1/xen-channel.1.gz
                              "${agent_files[@]}")
check "xen-channel holds helper, udev rules, units, man pages" \
        listed "$(contents xen-channel)" "${xc_files[@]}"
# The qemu-ga integration is in xen-channel (inert without qemu-ga), and
# only there; without the tool (noglib) it is not shipped at all.
for p in $packages; do contents "$p" >/dev/null; done
check "no other package holds the qemu-ga unit or its .wants link" bash -c "
        ! grep -F xen-channel-qemu-ga '$WORK'/*.list | grep -v '^$WORK/xen-channel.list:'"
if [ $glib = no ]; then
        check "without the tool, no qemu-ga unit" bash -c "! grep -F xen-channel-qemu-ga '$WORK/xen-channel.list'"
fi
check "xen-channel suggests and enhances qemu-guest-agent" bash -c "
        dpkg-deb -f '$(deb xen-channel)' Suggests | grep -qx qemu-guest-agent &&
        dpkg-deb -f '$(deb xen-channel)' Enhances | grep -qx qemu-guest-agent"
if [ $glib = yes ]; then
        check "xen-channel has a trigger on /usr/sbin/qemu-ga" bash -c "
                dpkg-deb -I '$(deb xen-channel)' triggers | grep -qx 'interest-noawait /usr/sbin/qemu-ga'"
        check "xen-channel stops the qemu-ga unit when removed, restarts it on upgrade" bash -c "
                dpkg-deb -I '$(deb xen-channel)' prerm | grep -q \"stop .*'xen-channel-qemu-ga.service'\" &&
                dpkg-deb -I '$(deb xen-channel)' postinst | grep -q \"_dh_action .*'xen-channel-qemu-ga.service'\""
fi
# The helper and the tool link the internal core statically (issue 8): shlibs
# finds no libxenchannel0 in them.
check "xen-channel does not depend on libxenchannel0" \
        bash -c "! dpkg-deb -f '$(deb xen-channel)' Depends | grep -q 'libxenchannel0'"
# The helper dlopen()s libxenstore (issue 13): shlibs cannot see it, the
# explicit Depends must land in the package.
check "xen-channel depends on libxenstore4 (dlopen()ed, not seen by shlibs)" \
        bash -c "dpkg-deb -f '$(deb xen-channel)' Depends | grep -Eq '(^|, )libxenstore4(,| |$)'"

if [ $glib = yes ]; then
        check "libxenchannel-glib0 holds the shared library" \
                bash -c "grep -qE '^$lib/libxenchannel-glib\\.so\\.0\$' '$(contents libxenchannel-glib0)'"
        check_symbols libxenchannel-glib0 libxenchannel-glib.so.0 "$SRC_ROOT/lib-glib/libxenchannel-glib.sym"
        check "libxenchannel-glib-dev holds header, .so link and .pc" \
                bash -c "l='$(contents libxenchannel-glib-dev)'; grep -q '^/usr/include/.*\\.h\$' \"\$l\" &&
                         grep -qx '$lib/libxenchannel-glib.so' \"\$l\" &&
                         grep -qx '$lib/pkgconfig/libxenchannel-glib.pc' \"\$l\""
fi

# Unpack the runtime packages and run what they ship.
root=$WORK/root
for p in libxenchannel0 xen-channel $([ $glib = yes ] && echo libxenchannel-glib0); do
        dpkg-deb -x "$(deb "$p")" "$root"
done
check "packaged rules file runs $helper, no @...@ left" \
        check_rules_file "$root$udevdir/rules.d/80-xen-channel.rules" "$helper"
check "packaged helper runs --version" run_version "$root$helper" "$root$lib"
if [ $glib = yes ]; then
        check "packaged xen-channel tool runs --version" run_version "$root/usr/bin/xen-channel" "$root$lib"
        check "packaged qemu-ga unit runs /usr/sbin/qemu-ga through supervise, linked from the target" \
                check_agent_unit "$root" "$unitdir" /usr/sbin/qemu-ga
fi
check "packaged man pages are valid roff" bash -c "
        for m in '$root'/usr/share/man/man*/*.gz; do
                zcat \"\$m\" | grep -q '^\\.TH' || { echo \"\$m: no .TH\"; exit 1; }
        done"

if [ "${XC_PKG_LINTIAN:-1}" = 1 ] && command -v lintian >/dev/null; then
        changes=$(ls "$WORK"/xen-channel_"$PKG_VERSION"-1_"$arch".changes)
        # TMPDIR: lintian leaves its mldbm-* files behind.
        TMPDIR=$WORK lintian --no-cfg --display-info --tag-display-limit 0 "$changes" 2>&1 |
                grep -v 'running with root privileges' >"$WORK/lintian.log"
        echo "# lintian:"
        diag <"$WORK/lintian.log"
        # Errors fail the test; warnings and below are reported above.
        check "lintian: no error tags" bash -c "! grep '^E: ' '$WORK/lintian.log'"
fi

done_testing
