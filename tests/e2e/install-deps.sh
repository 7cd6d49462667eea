#!/bin/sh
# Install the Debian packages the e2e suite needs (run as root; .ci/run calls it).
# The kernel, socat and libwrap0 are fetched by build.sh with `apt-get download`
# (no root needed), so apt's package lists must be current: hence the update.
set -e
PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xenstore-utils qemu-system-xen qemu-system-x86
      busybox-static cpio udev debootstrap autopkgtest lintian debhelper dpkg-dev"
missing=""
for p in $PKGS; do dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"; done
if [ "$(id -u)" != 0 ]; then
  [ -z "$missing" ] || echo "install-deps.sh: not root; missing:$missing" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ -z "$missing" ] || apt-get install -y -qq --no-install-recommends $missing
