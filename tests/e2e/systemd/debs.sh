#!/bin/bash
# The project's Debian packages for the systemd e2e suite, built the way a
# distribution builds them: an export of the tree, packaging/debian as
# ./debian, dpkg-buildpackage.
#
#   debs.sh SRC OUTDIR
#
#   OUTDIR/v1/        the .debs (and the source package + .changes) of the tree
#                     as it is: version V from debian/changelog
#   OUTDIR/v2/        the .debs of the same tree with a bumped Debian version
#                     (V+e2e1): what the guest upgrades to in scenario 2
#   OUTDIR/example/   the example agent (examples/), built with the packages,
#                     and its unit as meson configured it (no package ships it)
#   OUTDIR/tree/      the exported tree (autopkgtest runs its debian/tests)
#   OUTDIR/version    V and V+e2e1
set -euo pipefail
SRC=$(cd "${1:?usage: debs.sh SRC OUTDIR}" && pwd)
OUT=${2:?usage: debs.sh SRC OUTDIR}
log() { echo "debs: $*"; }
t0=$(date +%s)
rm -rf "$OUT"; mkdir -p "$OUT/v1" "$OUT/v2" "$OUT/example"
OUT=$(cd "$OUT" && pwd)

# the tree as the packaging suite exports it (tracked + untracked files)
XEN_CHANNEL_SOURCE_ROOT=$SRC
. "$SRC/tests/packaging/pkg-lib.sh"
T=$OUT/v1/xen-channel-$PKG_VERSION
export_tree "$T"
rm -rf "$T/debian"
tar -C "$OUT/v1" -czf "$OUT/v1/xen-channel_$PKG_VERSION.orig.tar.gz" "xen-channel-$PKG_VERSION"
cp -a "$T/packaging/debian" "$T/debian"
cp -a "$T" "$OUT/tree"
V=$(cd "$T" && dpkg-parsechangelog -S Version)
V2="$V+e2e1"

build() {       # build DIR LOG [dpkg-buildpackage options]
        local d=$1 l=$2; shift 2
        (cd "$d" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" DEB_BUILD_PROFILES=nocheck \
                timeout 900 dpkg-buildpackage -us -uc "$@") > "$l" 2>&1 ||
                { tail -n 40 "$l"; log "dpkg-buildpackage failed in $d (log: $l)"; exit 1; }
}
build "$T" "$OUT/v1/build.log"
cp "$T"/obj-*/examples/xen-channel-example-agent "$T"/obj-*/examples/xen-channel-example-agent.service "$OUT/example/"
log "$V built in $(( $(date +%s) - t0 ))s: $(cd "$OUT/v1" && ls *.deb | tr '\n' ' ')"

# the upgrade: the same tree, a newer Debian revision (binary packages only)
T2=$OUT/v2/xen-channel-$PKG_VERSION
cp -a "$OUT/tree" "$T2"
{ printf 'xen-channel (%s) unstable; urgency=medium\n\n' "$V2"
  printf '  * e2e: the same tree, a newer Debian version (in-place upgrade test).\n\n'
  printf ' -- %s  %s\n\n' "$(cd "$T" && dpkg-parsechangelog -S Maintainer)" "$(date -R)"
  cat "$T/debian/changelog"; } > "$T2/debian/changelog"
build "$T2" "$OUT/v2/build.log" -b
rm -rf "$T" "$T2"
printf '%s\n%s\n' "$V" "$V2" > "$OUT/version"
log "$V and $V2 built in $(( $(date +%s) - t0 ))s"
