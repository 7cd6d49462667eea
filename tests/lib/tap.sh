# tests/lib/tap.sh: TAP output for every shell test (bash, sourced).
#
#   ok STATUS DESC          one test; it passes when STATUS is 0 (`ok $? "..."`)
#   is GOT EXPECTED DESC    passes when the two strings are equal; shows both if not
#   like GOT GLOB DESC      passes when GOT matches the glob pattern GLOB
#   check DESC CMD...       passes when CMD succeeds; its output goes to diag if not
#   diag [TEXT...]          TEXT (or stdin when there is no argument) as "# " lines
#   skip_all REASON         "1..0 # SKIP REASON" and exit 0 (before any test)
#   bail REASON             "Bail out! REASON" and exit 1: the rest cannot run
#   done_testing            the plan "1..N" and the exit status: 0 when all passed
#   output CMD...           CMD's stdout and stderr, for `is "$(output CMD)" ...`;
#                           a program is killed after 5 s (a shell function is not)
#
# meson runs these tests with protocol 'tap', which reports "1..0 # SKIP" as a
# skip but counts exit 77 (the exit-code protocol's skip) as an error: a TAP
# test must never exit 77.

_tap_n=0
_tap_failed=0

ok() {
        _tap_n=$((_tap_n + 1))
        if [ "$1" -eq 0 ] 2>/dev/null; then
                echo "ok $_tap_n - $2"
        else
                echo "not ok $_tap_n - $2"
                _tap_failed=$((_tap_failed + 1))
        fi
}

is() {
        if [ "$1" = "$2" ]; then
                ok 0 "$3"
        else
                ok 1 "$3"
                printf '#   got:      %q\n#   expected: %q\n' "$1" "$2"
        fi
}

like() {
        # shellcheck disable=SC2053
        if [[ $1 == $2 ]]; then
                ok 0 "$3"
        else
                ok 1 "$3"
                printf '#   got:      %q\n#   expected: a match of %s\n' "$1" "$2"
        fi
}

check() {
        local desc=$1 out
        shift
        if out=$("$@" 2>&1); then
                ok 0 "$desc"
        else
                ok 1 "$desc"
                [ -z "$out" ] || printf '%s\n' "$out" | tail -n 30 | diag
        fi
}

diag() {
        if [ $# -eq 0 ]; then
                sed 's/^/# /'
        else
                [ -z "$*" ] || printf '%s\n' "$@" | sed 's/^/# /'
        fi
}

skip_all() {
        echo "1..0 # SKIP $*"
        exit 0
}

bail() {
        echo "Bail out! $*"
        exit 1
}

done_testing() {
        echo "1..$_tap_n"
        [ "$_tap_failed" -eq 0 ]
}

output() {
        if declare -F "$1" >/dev/null; then
                "$@" 2>&1
        else
                timeout 5 "$@" 2>&1
        fi
}
