# Sourced by the packaging tests: TAP output (tests/lib/tap.sh), a scratch
# folder, and an export of the source tree (never build products, never the
# .git folder).
#
# Environment:
#   XEN_CHANNEL_SOURCE_ROOT  source tree (set by meson; default: ../.. of this file)
#   XC_PKG_EXPORT=head       package the last commit (git archive HEAD) instead of
#                            the working tree (tracked + untracked, minus .gitignore)
#   XC_PKG_KEEP=1            keep the scratch folder and say where it is
#   XC_PKG_HOOK=SCRIPT       run SCRIPT EXPORTED_TREE after the export (to try
#                            the packaging on a modified tree)

set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

SRC_ROOT=${XEN_CHANNEL_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PKG_VERSION=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$SRC_ROOT/meson.build" | head -n1)

make_workdir() {
        WORK=$(mktemp -d "${TMPDIR:-/tmp}/xen-channel-pkg.XXXXXX")
        if [ "${XC_PKG_KEEP:-0}" = 1 ]; then
                echo "# scratch folder kept: $WORK"
        else
                trap 'rm -rf "$WORK"' EXIT
        fi
}

# export_tree DEST: copy the source tree to DEST (created).
export_tree() {
        local dest=$1
        mkdir -p "$dest"
        if git -C "$SRC_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
                if [ "${XC_PKG_EXPORT:-tree}" = head ]; then
                        git -C "$SRC_ROOT" archive --format=tar HEAD | tar -xf - -C "$dest"
                else
                # Tracked and untracked files, without what .gitignore names
                # (build dirs); files deleted from the working tree are skipped.
                (cd "$SRC_ROOT" &&
                 git ls-files -z --cached --others --exclude-standard |
                 while IFS= read -r -d '' f; do
                         [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
                 done | tar --null --no-recursion -T - -cf -) | tar -xf - -C "$dest"
                fi
        else
                tar -C "$SRC_ROOT" --exclude='./build*' --exclude=./_build \
                    --exclude=./.git --exclude='./obj-*' -cf - . | tar -xf - -C "$dest"
        fi
        if [ -n "${XC_PKG_HOOK:-}" ]; then
                bash "$XC_PKG_HOOK" "$dest"
        fi
}

# Does this tree build the GLib parts (libxenchannel-glib and the tool)? If
# not, the packages are built without them (noglib profile, --without glib).
tree_has_glib() {
        [ -f "$1/lib-glib/meson.build" ] && [ -f "$1/tools/meson.build" ] &&
                pkg-config --exists 'glib-2.0 >= 2.66' 'gio-2.0 >= 2.66'
}

# The channel helper must be templated in: no @VAR@ left, real path present.
# check_agent_unit ROOT UNITDIR QEMU_GA: the unpacked qemu-ga unit runs
# qemu-ga at QEMU_GA through the packaged tool, and the target instance's
# .wants folder links it (relative, so it holds in any root).
check_agent_unit() {
        local units=$1$2 qemu_ga=$3 unit=xen-channel-qemu-ga.service link
        link=$units/xen-channel@org.qemu.guest_agent.0.target.wants/$unit
        [ -f "$units/$unit" ] || { echo "no $units/$unit"; return 1; }
        [ "$(readlink "$link")" = "../$unit" ] || { echo "$link: not a link to ../$unit"; return 1; }
        grep -qxF "ExecStart=/usr/bin/xen-channel supervise org.qemu.guest_agent.0 -- $qemu_ga -m isa-serial -p /dev/xen-channel/org.qemu.guest_agent.0" "$units/$unit" ||
                { grep -n ExecStart "$units/$unit"; return 1; }
        grep -qxF "ConditionPathExists=$qemu_ga" "$units/$unit" || { echo "no ConditionPathExists=$qemu_ga"; return 1; }
}

check_rules_file() {
        local rules=$1 helper=$2
        if [ ! -f "$rules" ]; then
                echo "no rules file at $rules"
                return 1
        fi
        if grep -n '@[A-Za-z_]*@' "$rules"; then
                echo "unsubstituted @...@ in $rules"
                return 1
        fi
        if ! grep -q -- "$helper" "$rules"; then
                echo "$rules does not name the helper $helper"
                return 1
        fi
}

# run_version PROGRAM LIBDIR: PROGRAM --version, with the packaged library.
run_version() {
        local prog=$1 libdir=$2 out
        out=$(LD_LIBRARY_PATH=$libdir "$prog" --version 2>&1) || {
                echo "$prog --version failed: $out"
                return 1
        }
        echo "$out"
        case $out in
        *"$PKG_VERSION"*) ;;
        *) echo "no version $PKG_VERSION in the output"; return 1 ;;
        esac
        # The library must come from the package, not from the system.
        LD_LIBRARY_PATH=$libdir ldd "$prog" | grep 'libxenchannel' | grep -v -- "$libdir" && {
                echo "$prog uses a libxenchannel from outside the package"
                return 1
        }
        return 0
}

# listed LIST PATH...: every PATH is a line of LIST (a file).
listed() {
        local list=$1 p rc=0
        shift
        for p in "$@"; do
                grep -qxF -- "$p" "$list" || { echo "missing: $p"; rc=1; }
        done
        [ $rc -eq 0 ] || { echo "package contents:"; cat "$list"; }
        return $rc
}

# The exported symbols the version script promises, sorted.
map_symbols() {
        sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' "$1" | sort -u
}

# The first version node of a version script.
map_node() {
        sed -n 's/^\([A-Z0-9_.]*\) *{.*/\1/p' "$1" | head -n1
}
