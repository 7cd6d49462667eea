#!/bin/bash
# Build the RPMs from packaging/rpm/xen-channel.spec and a tarball of the
# tree, and check with rpm -qlp that the files land where the spec says.
# Fedora's BuildRequires cannot be met on Debian: --nodeps, here only. The
# spec carries fallbacks for the %meson and systemd macros.
# TAP output.

. "$(dirname "$0")/pkg-lib.sh"

make_workdir
top=$WORK/rpmbuild
mkdir -p "$top"/{SOURCES,SPECS,BUILD,RPMS,SRPMS}
export_tree "$WORK/xen-channel-$PKG_VERSION"
tar -C "$WORK" -czf "$top/SOURCES/xen-channel-$PKG_VERSION.tar.gz" "xen-channel-$PKG_VERSION"
cp "$SRC_ROOT/packaging/rpm/xen-channel.spec" "$top/SPECS/"

glib=yes
opts=()
if ! tree_has_glib "$WORK/xen-channel-$PKG_VERSION"; then
        glib=no
        opts+=(--without glib)
fi
echo "# rpmbuild ${opts[*]}"

if rpmbuild -bb --nodeps --define "_topdir $top" --define "_smp_build_ncpus 2" \
    --define 'debug_package %{nil}' "${opts[@]}" "$top/SPECS/xen-channel.spec" \
    >"$WORK/build.log" 2>&1; then
        ok 0 "rpmbuild -bb ${opts[*]}"
else
        ok 1 "rpmbuild -bb ${opts[*]}"
        tail -n 60 "$WORK/build.log" | diag
        bail "the RPM build failed"
fi

arch=$(rpm --eval '%{_arch}')
libdir=$(rpm --eval '%{_libdir}')
rpmfile() { ls "$top/RPMS/$arch/$1-$PKG_VERSION-1"*".$arch.rpm" 2>/dev/null | head -n1; }
# contents NAME: rpm -qlp, one path a line.
contents() {
        rpm -qlp "$(rpmfile "$1")" >"$WORK/$1.list" 2>/dev/null
        echo "$WORK/$1.list"
}

names="xen-channel xen-channel-libs xen-channel-devel"
[ $glib = yes ] && names="$names xen-channel-glib xen-channel-glib-devel"
for n in $names; do
        check "$n RPM built" test -n "$(rpmfile "$n")"
done

helper=/usr/libexec/xen-channel-helper
xc_files=("$helper" /usr/lib/udev/rules.d/80-xen-channel.rules
          /usr/lib/systemd/system/xen-channel@.target
          /usr/lib/systemd/system/xen-channel-sync.service)
[ $glib = yes ] && xc_files+=(/usr/bin/xen-channel /usr/lib/systemd/system/xen-channel-qemu-ga.service
                              "/usr/lib/systemd/system/xen-channel@org.qemu.guest_agent.0.target.wants/xen-channel-qemu-ga.service")
check "xen-channel holds helper, udev rules, units" listed "$(contents xen-channel)" "${xc_files[@]}"
for n in $names; do contents "$n" >/dev/null; done
check "no other RPM holds the qemu-ga unit or its .wants link" bash -c "
        ! grep -F xen-channel-qemu-ga '$WORK'/*.list | grep -v '^$WORK/xen-channel.list:'"
if [ $glib = yes ]; then
        check "xen-channel suggests and enhances qemu-guest-agent" bash -c "
                rpm -qp --suggests '$(rpmfile xen-channel)' | grep -qx qemu-guest-agent &&
                rpm -qp --enhances '$(rpmfile xen-channel)' | grep -qx qemu-guest-agent"
        check "xen-channel restarts the qemu-ga unit when qemu-guest-agent comes or goes" bash -c "
                rpm -qp --triggers '$(rpmfile xen-channel)' >'$WORK/triggers'
                grep -q 'triggerin scriptlet.*-- qemu-guest-agent' '$WORK/triggers' &&
                grep -q 'triggerpostun scriptlet.*-- qemu-guest-agent' '$WORK/triggers' &&
                grep -q 'restart xen-channel-qemu-ga.service' '$WORK/triggers'"
        check "xen-channel stops the qemu-ga unit when erased, restarts it on upgrade" bash -c "
                rpm -qp --scripts '$(rpmfile xen-channel)' >'$WORK/scripts'
                sed -n '/^preuninstall/,/^postuninstall/p' '$WORK/scripts' | grep -q 'xen-channel-qemu-ga.service' &&
                sed -n '/^postuninstall/,\$p' '$WORK/scripts' | grep -q 'try-restart.*xen-channel-qemu-ga.service'"
fi
check "xen-channel holds man pages 7, 8" bash -c "
        grep -q '^/usr/share/man/man7/xen-channel\\.7' '$WORK/xen-channel.list' &&
        grep -q '^/usr/share/man/man8/xen-channel-helper\\.8' '$WORK/xen-channel.list'"
check "xen-channel-libs holds the shared library" \
        listed "$(contents xen-channel-libs)" "$libdir/libxenchannel.so.0" "$libdir/libxenchannel.so.0.2.0"
check "xen-channel-devel holds header, .so link, .pc, man page 3" bash -c "
        l='$(contents xen-channel-devel)'
        grep -qx /usr/include/libxenchannel.h \"\$l\" && grep -qx '$libdir/libxenchannel.so' \"\$l\" &&
        grep -qx '$libdir/pkgconfig/libxenchannel.pc' \"\$l\" &&
        grep -q '^/usr/share/man/man3/libxenchannel\\.3' \"\$l\""
check "xen-channel-libs provides libxenchannel.so.0(LIBXENCHANNEL_0.2)" bash -c "
        rpm -qp --provides '$(rpmfile xen-channel-libs)' | grep -q 'libxenchannel.so.0(LIBXENCHANNEL_0.2)'"
# The helper and the tool link the internal core statically (issue 8).
check "xen-channel does not require xen-channel-libs" bash -c "
        ! rpm -qp --requires '$(rpmfile xen-channel)' | grep -q '^xen-channel-libs'"
# The helper dlopen()s libxenstore (issue 13): the explicit Requires.
check "xen-channel requires libxenstore.so.4 (dlopen()ed)" bash -c "
        rpm -qp --requires '$(rpmfile xen-channel)' | grep -q '^libxenstore\.so\.4'"
check "xen-channel %post triggers udev" bash -c "
        rpm -qp --scripts '$(rpmfile xen-channel)' | grep -q 'udevadm trigger'"
# run_postun ARG: xen-channel's %postun with $1=ARG, in a private mount
# namespace over an empty /dev and /run (the real ones are not touched),
# where /dev/xen-channel and /run/xen-channel exist; prints what is left.
run_postun() {
        rpm -qp --qf '%{POSTUN}' "$(rpmfile xen-channel)" >"$WORK/postun"
        unshare -m --propagation private sh -c '
                mount -t tmpfs tmpfs /dev && mount -t tmpfs tmpfs /run || exit 1
                mkdir /dev/xen-channel /run/xen-channel
                sh "$1" "$2" >"$3/postun.out" 2>&1
                ls -d /dev/xen-channel /run/xen-channel 2>"$3/postun.ls" | tr "\n" " "
        ' - "$WORK/postun" "$1" "$WORK"
}
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
        is "$(run_postun 1)" "/dev/xen-channel /run/xen-channel " \
                "xen-channel %postun on upgrade (\$1=1) keeps the links and the run folder"
        is "$(run_postun 0)" "" "xen-channel %postun on erase (\$1=0) removes the links and the run folder"
else
        diag "xen-channel %postun not run: needs root for a private /dev and /run"
fi
if [ $glib = yes ]; then
        check "xen-channel-glib holds the shared library" bash -c "
                grep -q '^$libdir/libxenchannel-glib\\.so\\.0\$' '$(contents xen-channel-glib)'"
        check "xen-channel-glib-devel holds .so link and .pc" \
                listed "$(contents xen-channel-glib-devel)" "$libdir/libxenchannel-glib.so" \
                "$libdir/pkgconfig/libxenchannel-glib.pc"
fi

root=$WORK/root
mkdir -p "$root"
for n in xen-channel xen-channel-libs $([ $glib = yes ] && echo xen-channel-glib); do
        (cd "$root" && rpm2cpio "$(rpmfile "$n")" | cpio -idm --quiet)
done
check "packaged rules file runs $helper, no @...@ left" \
        check_rules_file "$root/usr/lib/udev/rules.d/80-xen-channel.rules" "$helper"
check "packaged helper runs --version" run_version "$root$helper" "$root$libdir"
if [ $glib = yes ]; then
        check "packaged xen-channel tool runs --version" run_version "$root/usr/bin/xen-channel" "$root$libdir"
        check "packaged qemu-ga unit runs /usr/bin/qemu-ga (Fedora's) through supervise, linked from the target" \
                check_agent_unit "$root" /usr/lib/systemd/system /usr/bin/qemu-ga
fi

done_testing
