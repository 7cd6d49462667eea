#!/bin/bash
# Install the Debian 12 packages that building, the demo and the test suite
# need. Idempotent and quiet when everything is already there; must run as
# root (CI does) or through sudo.
set -euo pipefail

BUILD_PKGS=(meson ninja-build pkg-config gcc libc6-dev libxen-dev libudev-dev
            libglib2.0-dev perl udev systemd)
TEST_PKGS=(libcmocka-dev umockdev xenstore-utils xen-utils-4.17 valgrind
           python3 util-linux procps g++ qemu-guest-agent clang-format)
PACKAGING_PKGS=(debhelper dpkg-dev fakeroot rpm lintian)
BENCH_PKGS=(hyperfine)
E2E_PKGS=(xen-hypervisor-4.17-amd64 qemu-system-xen qemu-system-x86
          busybox-static cpio debootstrap autopkgtest)

case "${1:-all}" in
build) want=("${BUILD_PKGS[@]}") ;;
demo)  want=("${BUILD_PKGS[@]}" libcmocka-dev umockdev xenstore-utils) ;;
all)   want=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${PACKAGING_PKGS[@]}"
             "${BENCH_PKGS[@]}" "${E2E_PKGS[@]}") ;;
*) echo "usage: $0 [build|demo|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
                missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then exec sudo "$0" "$@"; fi
        echo "install-deps: need root to install: ${missing[*]}" >&2
        exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
