#!/bin/bash
# Per-run images of the systemd e2e suite.
#
#   image.sh ENTRY DEBS BASE OUTDIR
#
#   ENTRY   a cache entry of root.sh (ENTRY/guest: the Debian root)
#   DEBS    the output of debs.sh (v1/, v2/, example/)
#   BASE    a folder with the e2e base (tests/e2e/build.sh --base): xen,
#           vmlinuz, kernel.txt, dom0-base.cpio.gz
#   OUTDIR  gets xen, vmlinuz, dom0.initrd (and the guest root's file list)
#
# The guest has no disk: its root is an initramfs, a cpio of the Debian root
# with the project installed from its .debs by dpkg -i, the example agent and
# its shipped unit enabled, and the e2e command server. No block backend means
# nothing to reconnect at restore (qemu's qdisk failed to in 2 of 4 restores in
# ../shared/slot-moves). The root is slimmed (docs, man pages, locales, apt
# lists, hwdb) to keep the guest's RAM, and so the save image, small.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ENTRY=${1:?usage: image.sh ENTRY DEBS BASE OUTDIR}; DEBS=${2:?}; BASE=${3:?}; OUT=${4:?}
log() { echo "image: $*"; }
t0=$(date +%s)
mkdir -p "$OUT"
R=$OUT/guest-root
rm -rf "$R"
exec 9>"$ENTRY.lock"
flock -s -w "${E2E_LOCK_WAIT:-900}" 9 || { log "cannot lock $ENTRY.lock"; exit 1; }
[ -f "$ENTRY/done" ] || { log "$ENTRY is gone or incomplete"; exit 1; }
cp -a "$ENTRY/guest" "$R"
exec 9>&-

# the project, as an admin installs it
pkgs="libxenchannel0 libxenchannel-glib0 xen-channel"
mkdir -p "$R/var/cache/e2e/v1" "$R/var/cache/e2e/v2"
for p in $pkgs; do
        cp "$DEBS"/v1/${p}_*.deb "$R/var/cache/e2e/v1/"
        cp "$DEBS"/v2/${p}_*.deb "$R/var/cache/e2e/v2/"
done
"$HERE/chroot.sh" "$R" sh -c 'dpkg -i /var/cache/e2e/v1/*.deb' > "$OUT/dpkg.log" 2>&1 ||
        { cat "$OUT/dpkg.log"; log "dpkg -i of the project's packages failed"; exit 1; }
# the example agent (no package ships it) with the unit meson configured
install -m755 "$DEBS/example/xen-channel-example-agent" "$R/usr/bin/"
install -m644 "$DEBS/example/xen-channel-example-agent.service" "$R/etc/systemd/system/"
# the e2e command server and the journal on hvc0
install -m755 "$HERE/guest/e2e-cmd" "$HERE/guest/e2e-state" "$HERE/guest/e2e-files" "$R/usr/local/sbin/"
install -m644 "$HERE/guest/e2e-cmd.service" "$R/etc/systemd/system/"
install -D -m644 "$HERE/guest/journald-e2e.conf" "$R/etc/systemd/journald.conf.d/e2e.conf"
# qemu-ga needs nothing: the package's unit hangs under the channel's target
"$HERE/chroot.sh" "$R" systemctl enable xen-channel-example-agent.service e2e-cmd.service >> "$OUT/dpkg.log" 2>&1
[ -e "$R/lib/systemd/system/xen-channel-qemu-ga.service" ] ||
        { log "the xen-channel package ships no xen-channel-qemu-ga.service"; exit 1; }
# no getty on hvc0 (its vhangup cuts journald's writes), no timers, no
# network: a guest that does only what the scenarios look at
"$HERE/chroot.sh" "$R" systemctl mask serial-getty@hvc0.service getty@tty1.service \
        getty-static.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
        e2scrub_all.timer fstrim.timer e2scrub_reap.service systemd-networkd.service \
        systemd-timesyncd.service >> "$OUT/dpkg.log" 2>&1
echo sysd > "$R/etc/hostname"
: > "$R/etc/fstab"
: > "$R/etc/machine-id"
"$HERE/chroot.sh" "$R" passwd -d root > /dev/null
# slim: what no scenario reads
rm -rf "$R"/usr/share/doc/* "$R"/usr/share/man "$R"/usr/share/info "$R"/usr/share/locale/* \
       "$R"/usr/share/i18n "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/debconf/*-old \
       "$R"/usr/lib/udev/hwdb.bin "$R"/usr/lib/udev/hwdb.d "$R"/var/log/*.log
find "$R/usr/share/zoneinfo" -mindepth 1 -maxdepth 1 ! -name UTC ! -name Etc -exec rm -rf {} + 2>/dev/null || true
(cd "$R" && find . -xdev | LC_ALL=C sort) > "$OUT/guest-files.txt"
mib=$(du -sm "$R" | cut -f1)
(cd "$R" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 > "$OUT/debian.cpio.gz"
rm -rf "$R"
log "guest root $mib MiB, initramfs $(du -m "$OUT/debian.cpio.gz" | cut -f1) MiB (gzip -1)"

# dom0: this suite's /init and guest config, the guest's initramfs, then the e2e base
O=$OUT/dom0-overlay
rm -rf "$O"; mkdir -p "$O/e2e"
install -m755 "$HERE/dom0-init.sh" "$O/init"
cp "$HERE/domU.cfg" "$O/e2e/"
mv "$OUT/debian.cpio.gz" "$O/e2e/"
for p in $pkgs; do dpkg-deb -f "$DEBS"/v1/${p}_*.deb Version; done | sort -u | head -n1 > "$O/e2e/v1"
for p in $pkgs; do dpkg-deb -f "$DEBS"/v2/${p}_*.deb Version; done | sort -u | head -n1 > "$O/e2e/v2"
{ (cd "$O" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet); cat "$BASE/dom0-base.cpio.gz"; } > "$OUT/dom0.initrd"
rm -rf "$O"
for f in xen vmlinuz kernel.txt; do
        rm -f "$OUT/$f"; ln "$BASE/$f" "$OUT/$f" 2>/dev/null || cp "$BASE/$f" "$OUT/$f"
done
log "dom0.initrd $(du -m "$OUT/dom0.initrd" | cut -f1) MiB; images in $(( $(date +%s) - t0 ))s"
