#!/usr/bin/env bash
# config_errors.sh - every command reports an invalid configuration the same
# way (issue 9: "one message prefix style", "run -c names the real
# problem"): for each tests/data/config/err_*.yaml, `check`, `run`, `tag`,
# `replay` and `eval` exit 2 and print exactly check's diagnostics, each a
# `file:line:col: message` line, and `run` never tries a connection first.
#
# usage: bash tests/cli/config_errors.sh NEWSRADAR-BINARY SOURCE-ROOT
set -u
nr=${1:?usage: config_errors.sh NEWSRADAR-BINARY SOURCE-ROOT}
src=${2:?usage: config_errors.sh NEWSRADAR-BINARY SOURCE-ROOT}
nr="$(cd "$(dirname "$nr")" && pwd)/$(basename "$nr")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
: >"$tmp/empty.jsonl"
cd "$src/tests/data/config" || exit 1
n=0
for cfg in err_*.yaml; do
    "$nr" check -c "$cfg" >/dev/null 2>"$tmp/want"
    rc=$?
    [ $rc -eq 2 ] || { fail "$cfg: check exited $rc, want 2"; continue; }
    [ -s "$tmp/want" ] || fail "$cfg: check printed nothing"
    grep -Ev '^[^:]+:[0-9]+:[0-9]+: .' "$tmp/want" >"$tmp/odd" &&
        fail "$cfg: check printed a line that is not file:line:col: message: $(head -3 "$tmp/odd")"
    for cmd in run tag replay eval; do
        case $cmd in
        run) args=() ;;
        *) args=("$tmp/empty.jsonl") ;;
        esac
        timeout 20 "$nr" "$cmd" -c "$cfg" "${args[@]}" >/dev/null 2>"$tmp/got"
        rc=$?
        [ $rc -eq 2 ] || fail "$cfg: $cmd exited $rc, want 2: $(head -c 300 "$tmp/got")"
        cmp -s "$tmp/want" "$tmp/got" ||
            fail "$cfg: $cmd reports otherwise than check: $(diff "$tmp/want" "$tmp/got" | head -6)"
    done
    n=$((n + 1))
done
[ $n -ge 20 ] || fail "only $n error cases found"
if [ "$failures" -ne 0 ]; then
    echo "config_errors.sh: $failures failure(s)" >&2
    exit 1
fi
echo "config_errors.sh: $n configurations, all commands agree"
