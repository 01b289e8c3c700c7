#!/usr/bin/env bash
# check.sh - `newsradar check` as a user runs it: exit codes (0 valid,
# 2 invalid, 64 usage), the summary line, diagnostics on stderr matching
# tests/data/config/*.expect, the shipped config, and docs/configuration.md
# holding exactly what `check --print-options` prints.
# usage: bash check.sh NEWSRADAR_BINARY SOURCE_ROOT
set -u
bin=$1
src=$2
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_rc() { # want_rc description command...
    local want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "$what: exit $rc, want $want ($(head -c 300 "$tmp/err"))"
}

# usage errors
expect_rc 64 "no -c" "$bin" check
expect_rc 64 "-c without FILE" "$bin" check -c
expect_rc 64 "unknown option" "$bin" check --bogus
expect_rc 0 "--help" "$bin" check --help
grep -q 'usage: newsradar check' "$tmp/out" || fail "--help prints no usage"

# every data case, through the binary, from the data directory
cd "$src/tests/data/config" || exit 1
export NR_TEST_SECRET=s3cret
unset NR_TEST_UNSET_VARIABLE
n=0
for yaml in *.yaml; do
    expect=${yaml%.yaml}.expect
    [ -f "$expect" ] || continue
    n=$((n + 1))
    "$bin" check -c "$yaml" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    case $(head -c 3 "$expect") in
    ok:)
        [ "$rc" -eq 0 ] || fail "$yaml: exit $rc, want 0"
        cmp -s "$tmp/out" "$expect" || fail "$yaml: stdout differs: $(cat "$tmp/out")"
        [ -s "$tmp/err" ] && fail "$yaml: unexpected stderr: $(cat "$tmp/err")"
        ;;
    *)
        [ "$rc" -eq 2 ] || fail "$yaml: exit $rc, want 2"
        cmp -s "$tmp/err" "$expect" || fail "$yaml: stderr differs:
$(diff "$expect" "$tmp/err")"
        [ -s "$tmp/out" ] && fail "$yaml: unexpected stdout: $(cat "$tmp/out")"
        ;;
    esac
done
[ "$n" -ge 20 ] || fail "only $n data cases"

# the long option spellings
expect_rc 0 "--config FILE" "$bin" check --config valid_minimal.yaml
expect_rc 0 "--config=FILE" "$bin" check --config=valid_minimal.yaml
# paths are reported as reached from the given path
expect_rc 2 "path prefix" "$bin" check -c ../config/err_duplicate_entity.yaml
grep -q '^\.\./config/err_duplicate_entity/more\.yaml:5:9: duplicate entity id "PK"' "$tmp/err" ||
    fail "included path not relative to the main file: $(cat "$tmp/err")"
expect_rc 2 "missing main file" "$bin" check -c does-not-exist.yaml
grep -q '^does-not-exist.yaml:1:1: cannot read config file' "$tmp/err" || fail "missing main file message"

# the shipped configuration loads (once it exists)
cd "$src" || exit 1
if [ -f config/newsradar.yaml ]; then
    expect_rc 0 "config/newsradar.yaml" "$bin" check -c config/newsradar.yaml
    grep -q '^ok: ' "$tmp/out" || fail "shipped config: no summary"
fi

# docs/configuration.md carries the generated option tables verbatim
expect_rc 0 "--print-options" "$bin" check --print-options
sed -n '/^<!-- BEGIN OPTIONS -->$/,/^<!-- END OPTIONS -->$/p' docs/configuration.md |
    sed '1d;$d' >"$tmp/doc"
[ -s "$tmp/doc" ] || fail "docs/configuration.md has no OPTIONS markers"
cmp -s "$tmp/doc" "$tmp/out" || fail "docs/configuration.md is out of date (newsradar check --print-options):
$(diff "$tmp/doc" "$tmp/out" | head -20)"

[ "$fails" -eq 0 ] && echo "check.sh: all passed ($n data cases)"
exit $((fails > 0))
