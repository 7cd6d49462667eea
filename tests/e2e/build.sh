#!/bin/bash
# Build the boot images of the xen-channel end-to-end suite.
#
#   build.sh DESTDIR OUTDIR
#   build.sh --base OUTDIR    only the cached base: xen, vmlinuz, kernel.txt and
#                             dom0-base.cpio.gz in OUTDIR (the systemd suite)
#
# DESTDIR  the project's install tree (meson install --destdir DESTDIR, prefix /usr)
# OUTDIR   where the per-run images go: xen, vmlinuz, dom0.initrd
#
# Two layers:
#  * a base, cached in $E2E_CACHE/base-<key> (default cache:
#    ${XDG_CACHE_HOME:-$HOME/.cache}/xen-channel-e2e). The key covers the versions
#    of the Debian packages used and this script, so a package upgrade rebuilds it.
#      xen               Xen 4.17 (xen-hypervisor-4.17-amd64), uncompressed for
#                        QEMU's multiboot loader
#      vmlinuz           the Debian kernel that linux-image-amd64 depends on
#                        (apt-get download), for dom0 and the domU
#      dom0-base.cpio.gz busybox, xl/xenstored/xenconsoled, qemu-xen (the channel
#                        backend), socat, the xen control modules, the domU kernel
#      domU-root/        busybox, udevadm/systemd-udevd, xenstore-* and the
#                        libraries they need; a few stock udev rules
#  * per run (cheap): the domU initramfs = domU-root + DESTDIR + the libraries of
#    the project's binaries + domU-init.sh, and a small dom0 overlay (dom0-init.sh,
#    the domU configs, the domU initramfs) concatenated in front of the dom0 base.
#    The kernel unpacks concatenated cpio archives in order.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DESTDIR=${1:?usage: build.sh DESTDIR|--base OUTDIR}
OUTDIR=${2:?usage: build.sh DESTDIR|--base OUTDIR}
[ "$DESTDIR" = --base ] || DESTDIR=$(cd "$DESTDIR" && pwd)
CACHE=${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xen-channel-e2e}
XENBIN=$(ls -d /usr/lib/xen-4.*/bin | sort -V | tail -1)
XENVER=$(basename "$(dirname "$XENBIN")"); XENVER=${XENVER#xen-}
mkdir -p "$CACHE/dl" "$OUTDIR"
t0=$(date +%s.%N)
log() { echo "build: $*"; }
die() { echo "build: $*" >&2; exit 1; }

# ------------------------------------------------------------------ cache safety
# Several runs may share the cache (CI jobs, two build dirs) and any run may be
# killed at any point. So:
#  * a base is built in a private temp dir and published with one rename(2),
#    its "done" marker written just before: a base dir is absent or complete,
#    and one without the marker or a file is never used (it is rebuilt);
#  * builders of one key are serialized (flock on base-KEY.build.lock; the
#    second waits, bounded, and then uses the first one's base);
#  * a run holds a shared flock on base-KEY.lock while it reads the base; other
#    keys' bases are pruned only under a non-blocking exclusive lock, so a base
#    in use or being built is left alone;
#  * downloads go to a temp dir and are renamed into dl/ once their SHA256 is
#    one apt knows, so a cut download is never taken for a package;
#  * the per-run images hold no link into the cache (hard links or copies):
#    pruning cannot pull a file from under a running QEMU.
LOCKWAIT=${E2E_LOCK_WAIT:-900}
TMPS=()
cleanup() { local d; for d in "${TMPS[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT
trap 'exit 143' TERM; trap 'exit 130' INT; trap 'exit 129' HUP
# base_ok DIR: a complete, published base
base_ok() {
  [ -f "$1/done" ] && [ -s "$1/xen" ] && [ -s "$1/vmlinuz" ] && [ -s "$1/kernel.txt" ] \
    && [ -s "$1/dom0-base.cpio.gz" ] && [ -x "$1/domU-root/usr/bin/udevadm" ]
}
# deb_ok FILE PKG: FILE is a complete download of a version apt knows of PKG
# (apt-cache's output is read whole first: with pipefail, "| grep -q" that
# stops at the match can end apt-cache by SIGPIPE and fail a good download)
deb_ok() {
  local sum show
  sum=$(sha256sum < "$1" | cut -d' ' -f1)
  show=$(apt-cache show "$2" 2>/dev/null)
  grep -qx "SHA256: $sum" <<<"$show"
}
# fetch_deb PKG: make sure $CACHE/dl holds a complete PKG_*.deb
fetch_deb() {
  local f t
  for f in "$CACHE/dl/$1"_*.deb; do
    [ -f "$f" ] || continue
    deb_ok "$f" "$1" && return 0
    log "dropping $f: not a download apt knows (cut short?)"; rm -f "$f"
  done
  # apt downloads as its _apt user where that user may write
  t=$(mktemp -d "$CACHE/dl/.tmp.XXXXXX"); TMPS+=("$t"); chmod 755 "$t"
  chown _apt "$t" 2>/dev/null || true
  ( cd "$t" && timeout 600 apt-get download "$1" >/dev/null ) || die "apt-get download $1 failed"
  for f in "$t"/*.deb; do
    deb_ok "$f" "$1" || die "downloaded $f does not match apt's SHA256"
    mv -f "$f" "$CACHE/dl/"
  done
  rm -rf "$t"
}

# ------------------------------------------------------------------ helpers
# add_file ROOT SRC [DST]  copy a file (following symlinks) into ROOT
add_file() {
  local root=$1 src=$2 dst=${3:-$2}
  mkdir -p "$root$(dirname "$dst")"
  cp -L "$src" "$root$dst"
}
# libs_of FILE...  the shared libraries ldd resolves for FILEs (one a line)
libs_of() {
  ldd "$@" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\/[^ ]+ \(0x/{print $1}' | sort -u
}
# add_bin ROOT SRC [DST]   copy an ELF binary and every library ldd reports
add_bin() {
  local root=$1 src=$2 dst=${3:-$2} lib
  add_file "$root" "$src" "$dst"
  for lib in $(libs_of "$src"); do
    [ -e "$root$lib" ] || add_file "$root" "$lib"
  done
}
# skeleton ROOT  merged-/usr layout + busybox applets (real binaries win)
skeleton() {
  local root=$1 a
  rm -rf "$root"
  mkdir -p "$root"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64,libexec} \
           "$root"/{proc,sys,dev,run,tmp,etc,root,var/log,var/lib}
  ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
  ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"
  ln -s ../run "$root/var/run"; ln -s ../run/lock "$root/var/lock"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/usr/bin/busybox"
  for a in $(/bin/busybox --list); do
    [ -e "$root/usr/bin/$a" ] || ln -s busybox "$root/usr/bin/$a"
  done
}
# mkcpio DIR  write a newc archive of DIR (owned by root) to stdout
mkcpio() { ( cd "$1" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet ); }

# ------------------------------------------------------------------ base key
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$kpkg" ] || { echo "build: cannot resolve the kernel that linux-image-amd64 depends on (apt-get update?)" >&2; exit 3; }
pkgs="xen-hypervisor-$XENVER-amd64 xen-utils-$XENVER xenstore-utils qemu-system-xen busybox-static udev libxenstore4"
key=$( { dpkg-query -W $pkgs 2>/dev/null; echo "$kpkg"; sed -n '/^# ---- base ----/,/^# ---- end of base ----/p' "$0"; } | sha256sum | cut -c1-16)
BASE=$CACHE/base-$key

# ---- base ----
build_base() {
  local B=$1 R m f b
  mkdir -p "$B"
  fetch_deb "$kpkg"; fetch_deb socat; fetch_deb libwrap0
  dpkg -x "$CACHE/dl/${kpkg}"_*.deb "$B/kpkg"
  dpkg -x "$CACHE/dl"/socat_*.deb "$B/socat"; dpkg -x "$CACHE/dl"/libwrap0_*.deb "$B/socat"
  local KVER; KVER=$(ls "$B/kpkg/lib/modules/")
  cp "$B/kpkg/boot/vmlinuz-$KVER" "$B/vmlinuz"
  zcat "/boot/xen-$XENVER-amd64.gz" > "$B/xen"
  echo "$kpkg $KVER" > "$B/kernel.txt"

  # ---------------- domU root: what a distribution guest has for this job
  R=$B/domU-root
  skeleton "$R"
  add_bin "$R" /usr/bin/udevadm
  mkdir -p "$R/usr/lib/systemd"; ln -s ../../bin/udevadm "$R/usr/lib/systemd/systemd-udevd"
  for b in xenstore xenstore-ls xenstore-read xenstore-list xenstore-write xenstore-watch; do
    add_bin "$R" "/usr/bin/$b"
  done
  mkdir -p "$R/usr/lib/udev/rules.d" "$R/etc/udev/rules.d" "$R/run/udev"
  for f in 50-udev-default.rules 99-systemd.rules; do
    cp "/usr/lib/udev/rules.d/$f" "$R/usr/lib/udev/rules.d/"
  done
  printf 'udev_log=info\n' > "$R/etc/udev/udev.conf"
  cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  { echo root:x:0:; n=5; for g in tty disk lp kmem dialout cdrom tape audio video input kvm render sgx; do
      echo "$g:x:$n:"; n=$((n+1)); done; echo nogroup:x:65534:; } > "$R/etc/group"
  mkdir -p "$R/etc"; : > "$R/etc/machine-id"

  # ---------------- dom0: minimal toolstack + qemu-xen (channel backend)
  R=$B/dom0-root
  skeleton "$R"
  for b in xl xenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper; do
    add_bin "$R" "$XENBIN/$b"
  done
  for b in xenstore xenstore-ls xenstore-read xenstore-list xenstore-write xenstore-chmod xenstore-rm; do
    add_bin "$R" "/usr/bin/$b"
  done
  add_bin "$R" /usr/libexec/xen-qemu-system-i386
  LD_LIBRARY_PATH=$B/socat/usr/lib/x86_64-linux-gnu add_bin "$R" "$B/socat/usr/bin/socat" /usr/bin/socat
  add_file "$R" "$B/socat/usr/lib/x86_64-linux-gnu/libwrap.so.0" /usr/lib/x86_64-linux-gnu/libwrap.so.0
  mkdir -p "$R/etc/xen" "$R/usr/share/qemu"
  cp -a /etc/xen/scripts "$R/etc/xen/"
  cp /etc/xen/xl.conf "$R/etc/xen/"
  [ -d /usr/share/qemu/keymaps ] && cp -a /usr/share/qemu/keymaps "$R/usr/share/qemu/"
  m=$R/usr/lib/modules/$KVER; mkdir -p "$m"
  for b in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do
    f=$(find "$B/kpkg/lib/modules/$KVER" -name "$b.ko*" | head -1)
    [ -n "$f" ] || { echo "build: module $b not in $kpkg" >&2; return 1; }
    cp "$f" "$m/"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
  echo 'root:x:0:' > "$R/etc/group"
  mkdir -p "$R/e2e"
  cp "$B/vmlinuz" "$R/e2e/vmlinuz"
  echo "$KVER" > "$R/e2e/kver"
  mkcpio "$R" | gzip -1 > "$B/dom0-base.cpio.gz"
  rm -rf "$R" "$B/kpkg" "$B/socat"
}
# ---- end of base ----

# shared: this run reads the base (pruning leaves it alone); bounded wait
exec 8>"$CACHE/base-$key.lock"
flock -s -w "$LOCKWAIT" 8 || die "could not lock $CACHE/base-$key.lock within ${LOCKWAIT}s"
if base_ok "$BASE"; then
  log "base images cached in $BASE"
else
  exec 7>"$CACHE/base-$key.build.lock"
  flock -x -w "$LOCKWAIT" 7 || die "another run kept building $BASE for more than ${LOCKWAIT}s"
  if base_ok "$BASE"; then
    log "base images built meanwhile by another run: $BASE"
  else
    log "building base images in $BASE (kernel $kpkg, Xen $XENVER)"
    # we hold this key's build lock: temp dirs of this key are leftovers of
    # killed builders, and a base dir that is not complete is not in use
    rm -rf "$CACHE/.base-$key".* "$BASE.tmp"
    if [ -e "$BASE" ]; then
      log "dropping incomplete $BASE"
      mv -T "$BASE" "$CACHE/.base-$key.trash.$$" && rm -rf "$CACHE/.base-$key.trash.$$"
    fi
    tmp=$(mktemp -d "$CACHE/.base-$key.XXXXXX"); TMPS+=("$tmp")
    build_base "$tmp"
    chmod 755 "$tmp"
    date -u '+%F %T UTC' > "$tmp/done"
    base_ok "$tmp" || die "base build in $tmp is incomplete"
    mv -T "$tmp" "$BASE" || die "could not publish $BASE"   # one rename(2)
  fi
  flock -u 7; exec 7>&-
fi
# keep the cache small: drop other keys' bases nobody uses or builds right now
for d in "$CACHE"/base-*; do
  [ -d "$d" ] && [ "$d" != "$BASE" ] || continue
  k=${d##*/base-}
  exec 6>"$CACHE/base-$k.lock"
  if flock -n -x 6; then
    mv -T "$d" "$CACHE/.base-$k.trash.$$" 2>/dev/null && rm -rf "$CACHE/.base-$k.trash.$$"
    rm -rf "$CACHE/.base-$k".*
    log "pruned the unused base $d"
  fi
  exec 6>&-
done

# hard links (or copies): the caller keeps its files even if the base is pruned
link_base() {
  local f
  for f in "$@"; do
    rm -f "$OUTDIR/$f"
    ln "$BASE/$f" "$OUTDIR/$f" 2>/dev/null || cp "$BASE/$f" "$OUTDIR/$f"
  done
}
if [ "$DESTDIR" = --base ]; then
  link_base xen vmlinuz kernel.txt dom0-base.cpio.gz
  log "base in $OUTDIR (from $BASE)"
  exit 0
fi

# ------------------------------------------------------------------ per run: domU
S=$OUTDIR/domU-root
rm -rf "$S"; cp -a "$BASE/domU-root" "$S"
# the project's install tree; keep the merged-/usr symlinks of the image
tar -C "$DESTDIR" -cf - . | tar -C "$S" -xf - --keep-directory-symlink --no-same-owner
# libraries of the project's ELF files, resolved against DESTDIR first
projlibs=$(find "$DESTDIR" -type d \( -name 'lib' -o -name 'x86_64-linux-gnu' -o -name 'lib64' \) | tr '\n' ':')
elfs=$(find "$DESTDIR" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c4 "$1" | grep -q ELF && echo "$1"' _ {} \;)
for e in $elfs; do
  LD_LIBRARY_PATH=$projlibs ldd "$e" 2>/dev/null | grep -q 'not found' && {
    echo "build: $e: unresolved libraries:" >&2; LD_LIBRARY_PATH=$projlibs ldd "$e" | grep 'not found' >&2; exit 1; }
  for lib in $(LD_LIBRARY_PATH=$projlibs libs_of "$e"); do
    case $lib in "$DESTDIR"/*) continue;; esac
    [ -e "$S$lib" ] || add_file "$S" "$lib"
  done
done
install -m755 "$HERE/domU-init.sh" "$S/init"
mkdir -p "$S/e2e"
# the baseline of s8's latency figure, what distro scripts do
install -m755 "$HERE/../../bench/reference-shell.sh" "$S/e2e/reference-shell.sh"
rules=$(cd "$S" && ls -d usr/lib/udev/rules.d/*xen-channel*.rules etc/udev/rules.d/*xen-channel*.rules 2>/dev/null | head -1 || true)
[ -n "$rules" ] || { echo "build: no *xen-channel*.rules in $DESTDIR (usr/lib/udev/rules.d or etc/udev/rules.d)" >&2; exit 1; }
[ -x "$S/usr/bin/xen-channel" ] || { echo "build: no usr/bin/xen-channel in $DESTDIR" >&2; exit 1; }
helpers=$(grep -o '/[^" ]*xen-channel-helper' "$S/$rules" | sort -u)
for h in $helpers; do
  [ -x "$S$h" ] || { echo "build: $rules runs $h, which is not in $DESTDIR" >&2; exit 1; }
done
# sourced by the guest's /init: every value quoted (an unquoted list would
# run its second word as a command)
{ echo "rules='/$rules'"; echo "helpers='$(echo $helpers)'"; echo "elfs='$(echo $elfs | sed "s#$DESTDIR##g")'"; } > "$S/e2e/project.txt"
mkcpio "$S" | gzip -1 > "$OUTDIR/domU.cpio.gz"

# ------------------------------------------------------------------ per run: dom0
O=$OUTDIR/dom0-overlay
rm -rf "$O"; mkdir -p "$O/e2e"
install -m755 "$HERE/dom0-init.sh" "$O/init"
cp "$HERE"/domU-*.cfg "$O/e2e/"
cp "$OUTDIR/domU.cpio.gz" "$O/e2e/domU.cpio.gz"
# overlay first (plain cpio), then the gzip'd base: /init only in the overlay
{ mkcpio "$O"; cat "$BASE/dom0-base.cpio.gz"; } > "$OUTDIR/dom0.initrd"
link_base xen vmlinuz kernel.txt
rm -rf "$S" "$O"
log "project: rules /$rules, helper(s) $helpers"
log "domU initramfs $(du -k "$OUTDIR/domU.cpio.gz" | cut -f1) KiB, dom0 initrd $(du -k "$OUTDIR/dom0.initrd" | cut -f1) KiB"
log "done in $(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1-$2}') s"
