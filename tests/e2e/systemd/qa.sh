#!/bin/bash
# What Debian's QA runs on the project's packages, for real:
#
#   qa.sh ENTRY DEBS OUTDIR
#
#   qa-lintian     lintian on the source and binary packages of DEBS/v1: no
#                  error and no warning (an override only with its reason)
#   qa-autopkgtest debian/tests/control, run by autopkgtest against the .debs
#                  in a throwaway root: autopkgtest-virt-unshare on ENTRY/qa.tar
#                  (the cached Debian root plus the tests' dependencies)
#   qa-cycle       install, upgrade (v1 -> v2) and purge in a throwaway copy of
#                  the cached guest root, the way piuparts checks it: the file
#                  list and the checksums of /etc before the install and after
#                  the purge must be the same, and every step must succeed
# Prints "PASS|FAIL qa-NAME ..." lines and the evidence before them.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ENTRY=${1:?usage: qa.sh ENTRY DEBS OUTDIR}; DEBS=${2:?}; OUT=${3:?}
rm -rf "$OUT"; mkdir -p "$OUT"
pkgs="libxenchannel0 libxenchannel-glib0 xen-channel"
say() { echo "$*"; }
t() { date +%s; }

# ------------------------------------------------------------------ lintian
t0=$(t)
changes=$(ls "$DEBS"/v1/xen-channel_*_amd64.changes 2>/dev/null | head -n1)
TMPDIR=$OUT lintian --no-cfg --display-info --tag-display-limit 0 "$changes" > "$OUT/lintian.log" 2>&1
grep -v 'running with root privileges' "$OUT/lintian.log" | sed 's/^/    lintian: /'
n=$(grep -c '^[EW]: ' "$OUT/lintian.log")
[ "$n" = 0 ] && say "PASS qa-lintian no error or warning on $(basename "$changes") ($(grep -c '^[IP]: ' "$OUT/lintian.log") info/pedantic tags, $(( $(t) - t0 ))s)" ||
        say "FAIL qa-lintian $n error/warning tags on $(basename "$changes")"

# ------------------------------------------------------------------ autopkgtest
# autopkgtest-virt-chroot on an overlay of the cached qa root, its /proc and
# /dev mounted by chroot.sh (virt-unshare would need subuids for root)
t0=$(t)
A=$OUT/autopkgtest-root
debs=$(for p in $pkgs libxenchannel-dev; do ls "$DEBS"/v1/${p}_*.deb; done)
exec 9>"$ENTRY.lock"; flock -s -w 900 9
timeout 900 "$HERE/chroot.sh" --around --lower "$ENTRY/qa" "$A" sh -c \
        'cp /etc/resolv.conf "$0/etc/resolv.conf" 2>/dev/null; exec "$@"' "$A" \
        autopkgtest --output-dir "$OUT/autopkgtest" "$DEBS/tree/" $debs -- chroot "$A" > "$OUT/autopkgtest.log" 2>&1
rc=$?
exec 9>&-
rm -rf "$A" "$A.upper" "$A.work"
grep -E '^(simulated-guest|build-against-library) ' "$OUT/autopkgtest/summary" 2>/dev/null | sed 's/^/    autopkgtest: /'
grep -h '^ok: \|^FAIL' "$OUT"/autopkgtest/*-stdout 2>/dev/null | sed 's/^/    autopkgtest: /'
[ $rc = 0 ] && say "PASS qa-autopkgtest debian/tests of the installed packages in a throwaway root (autopkgtest-virt-chroot on an overlay of the cached root, $(( $(t) - t0 ))s)" ||
        { tail -n 30 "$OUT/autopkgtest.log" | sed 's/^/    /'; say "FAIL qa-autopkgtest rc=$rc (log: $OUT/autopkgtest.log)"; }

# ------------------------------------------------------------------ install / upgrade / purge
t0=$(t)
R=$OUT/cycle-root
exec 9>"$ENTRY.lock"; flock -s -w 900 9
in_root() { "$HERE/chroot.sh" --lower "$ENTRY/guest" "$R" "$@"; }
# the debs go in through the upper layer (the overlay is mounted per command)
mkdir -p "$R.upper/tmp/v1" "$R.upper/tmp/v2"
for p in $pkgs; do cp "$DEBS"/v1/${p}_*.deb "$R.upper/tmp/v1/"; cp "$DEBS"/v2/${p}_*.deb "$R.upper/tmp/v2/"; done
# snapshot: every path but the debs and what dpkg and apt keep for
# themselves (piuparts ignores those too), with the checksum of each regular
# file under /etc (a changed config shows)
snapshot() {
        in_root sh -c 'find / -xdev \( -path /proc -o -path /dev -o -path /tmp \
                -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache/apt -o -path /var/cache/debconf \
                -o -path /var/log -o -path /var/cache/ldconfig \) -prune -o -print |
                LC_ALL=C sort; find /etc -xdev -type f -exec sha256sum {} + | LC_ALL=C sort -k2'
}
ok=1
snapshot > "$OUT/cycle-before.txt"
step() {        # step NAME COMMAND: run in the root, stop the cycle on failure
        in_root sh -c "$2" >> "$OUT/cycle.log" 2>&1 && say "    cycle: $1: ok" ||
                { ok=0; say "    cycle: $1: FAILED"; tail -n 15 "$OUT/cycle.log" | sed 's/^/    /'; }
}
step "dpkg -i $(cat "$DEBS/version" | head -n1)" 'dpkg -i /tmp/v1/*.deb'
step "installed: helper runs" '/usr/libexec/xen-channel-helper --version && xen-channel --version'
step "upgrade: dpkg -i $(sed -n 2p "$DEBS/version")" 'dpkg -i /tmp/v2/*.deb'
step "upgraded: all three at the new version" "[ \$(dpkg-query -W $pkgs | grep -c '$(sed -n 2p "$DEBS/version")\$') = 3 ]"
step "apt-get purge" "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $pkgs"
step "purged: dpkg knows none of them" "! dpkg-query -W -f '\${Status}\n' $pkgs 2>/dev/null | grep -v '^unknown ok not-installed\$' | grep -q ."
in_root rm -rf /tmp/v1 /tmp/v2
snapshot > "$OUT/cycle-after.txt"
diff "$OUT/cycle-before.txt" "$OUT/cycle-after.txt" > "$OUT/cycle.diff"
if [ -s "$OUT/cycle.diff" ]; then
        ok=0; say "    cycle: left behind or changed by install+upgrade+purge:"; grep '^[<>]' "$OUT/cycle.diff" | head -n 20 | sed 's/^/    /'
else
        say "    cycle: $(grep -c '^/' "$OUT/cycle-before.txt") paths and $(grep -c '^[0-9a-f]\{64\} ' "$OUT/cycle-before.txt") /etc checksums the same before the install and after the purge"
fi
exec 9>&-
rm -rf "$R" "$R.upper" "$R.work"
[ $ok = 1 ] && say "PASS qa-cycle install, upgrade, purge in a throwaway root leave nothing behind ($(( $(t) - t0 ))s)" ||
        say "FAIL qa-cycle install, upgrade, purge (log: $OUT/cycle.log)"
