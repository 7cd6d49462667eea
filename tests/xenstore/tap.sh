# Sourced by the xenstore test scripts: TAP counters and is().
n=0 failed=0

# is DESC EXPECTED CMD...: CMD's output must be EXPECTED (programs: 5 s max).
is() {
    local desc=$1 want=$2 got
    shift 2
    if declare -F "$1" >/dev/null; then
        got=$("$@" 2>&1)
    else
        got=$(timeout 5 "$@" 2>&1)
    fi
    n=$((n + 1))
    if [ "$got" = "$want" ]; then
        echo "ok $n - $desc"
    else
        failed=$((failed + 1))
        echo "not ok $n - $desc"
        printf '#   want: %q\n#   got:  %q\n' "$want" "$got"
    fi
}
