#!/bin/bash
# The cached Debian 12 roots of the systemd e2e suite.
#
#   root.sh CACHE      prints the path of a complete cache entry:
#     ENTRY/guest/     debootstrap --variant=minbase + what the guest runs:
#                      systemd-sysv, udev, qemu-guest-agent, the libraries of
#                      the project's packages, xenstore-utils (the e2e
#                      command server). The project is NOT in it.
#     ENTRY/qa/        the guest root plus what the packages' autopkgtests
#                      need (gcc, libxen-dev, umockdev, python3)
#     ENTRY/versions   the package versions the key was made from
#
# The key covers the candidate versions of those packages (apt's lists), the
# debootstrap version and this script: an archive update or an edit rebuilds.
# An entry is built in a private temp dir and published with one rename(2)
# (its "done" marker written just before); builders of one key are serialized
# with flock; an entry without its marker is never used. Exit 77 when
# debootstrap or the Debian archive cannot be had.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:?usage: root.sh CACHE}
mkdir -p "$CACHE"
log() { echo "root: $*" >&2; }
skip() { echo "root: SKIP: $*" >&2; exit 77; }

# ---- key ----
GUEST_PKGS="systemd-sysv udev qemu-guest-agent libxenstore4 libudev1 libglib2.0-0 xenstore-utils"
QA_PKGS="gcc libc6-dev libxen-dev pkg-config umockdev python3 procps"
MIRROR=${E2E_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || skip "debootstrap is not installed (tests/e2e/install-deps.sh)"
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
versions=$( { debootstrap --version
              for p in $GUEST_PKGS $QA_PKGS; do
                      printf '%s %s\n' "$p" "$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/{print $2}')"
              done; } )
echo "$versions" | grep -q ' (none)$\| $' && skip "apt knows no candidate for: $(echo "$versions" | awk 'NF<2||$2=="(none)"{print $1}' | tr '\n' ' ')(apt-get update?)"
key=$( { echo "$versions"; echo "$MIRROR"; sed -n '/^# ---- key ----/,$p' "$0"; } | sha256sum | cut -c1-16)
ENTRY=$CACHE/debian-$key
LOCKWAIT=${E2E_LOCK_WAIT:-900}

entry_ok() { [ -f "$1/done" ] && [ -x "$1/guest/usr/sbin/qemu-ga" ] && [ -x "$1/qa/usr/bin/umockdev-run" ]; }

build() {
        local T=$1 G=$1/guest Q=$1/qa t0
        t0=$(date +%s)
        log "debootstrap bookworm from $MIRROR into $G"
        timeout 1200 debootstrap --variant=minbase --include="${GUEST_PKGS// /,}" \
                bookworm "$G" "$MIRROR" > "$T/debootstrap.log" 2>&1 ||
                { tail -n 20 "$T/debootstrap.log" >&2
                  grep -q 'Failure trying to run\|Couldn.t download\|Failed getting release' "$T/debootstrap.log" &&
                          skip "debootstrap could not fetch from $MIRROR"
                  return 1; }
        rm -rf "$G"/var/cache/apt/archives/*.deb
        log "guest root: $(du -sm "$G" | cut -f1) MiB in $(( $(date +%s) - t0 ))s"
        # the QA root: the same plus the autopkgtests' dependencies
        cp -a "$G" "$Q"
        cp /etc/resolv.conf "$Q/etc/resolv.conf" 2>/dev/null || true
        DEBIAN_FRONTEND=noninteractive timeout 900 "$HERE/chroot.sh" "$Q" sh -c \
                "apt-get update -qq && apt-get install -y -qq --no-install-recommends $QA_PKGS" \
                > "$T/qa-apt.log" 2>&1 || { tail -n 20 "$T/qa-apt.log" >&2; return 1; }
        rm -rf "$Q"/var/cache/apt/archives/*.deb
        echo "$versions" > "$T/versions"
        log "qa root: $(du -sm "$Q" | cut -f1) MiB; cache entry built in $(( $(date +%s) - t0 ))s"
}

exec 8>"$CACHE/debian-$key.build.lock"
flock -x -w "$LOCKWAIT" 8 || { log "another run kept building $ENTRY for more than ${LOCKWAIT}s"; exit 1; }
if ! entry_ok "$ENTRY"; then
        # we hold the build lock: temp dirs of this key are leftovers of killed builders
        rm -rf "$CACHE/.debian-$key".*
        [ -e "$ENTRY" ] && { log "dropping incomplete $ENTRY"; rm -rf "$ENTRY"; }
        tmp=$(mktemp -d "$CACHE/.debian-$key.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        build "$tmp"
        date -u '+%F %T UTC' > "$tmp/done"
        entry_ok "$tmp" || { log "entry in $tmp is incomplete"; exit 1; }
        chmod 755 "$tmp"
        mv -T "$tmp" "$ENTRY"
        trap - EXIT
else
        log "cached: $ENTRY"
fi
flock -u 8
# other keys' entries: dropped when nobody builds them
for d in "$CACHE"/debian-*; do
        [ -d "$d" ] && [ "$d" != "$ENTRY" ] || continue
        # a run holds a shared lock on ENTRY.lock while it copies from it
        exec 6>"$d.lock"
        flock -n -x 6 && rm -rf "$d" && log "pruned the unused $d"
        exec 6>&-
done
echo "$ENTRY"
