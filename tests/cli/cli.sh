#!/usr/bin/env bash
# cli.sh - the newsradar program as a user sees it: --help, --version, usage
# errors (64), and `replay` end to end on
# a configuration and feed written here (exit 0 / 1 / 2 / 3, bad-line
# reports, the summary in text and JSON).
#
# usage: bash tests/cli/cli.sh NEWSRADAR-BINARY SOURCE-ROOT
set -u

nr=${1:?usage: cli.sh NEWSRADAR-BINARY SOURCE-ROOT}
[ -x "$nr" ] || { echo "cli.sh: $nr is not an executable" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run EXPECTED-EXIT DESCRIPTION -- ARGS...: stdout/stderr land in $tmp/out, $tmp/err
run() {
    local want=$1 what=$2
    shift 3
    "$nr" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit $got, want $want (newsradar $*)"
        sed 's/^/    stderr: /' "$tmp/err" | head -20 >&2
        return 1
    fi
    return 0
}

has() { # has FILE REGEX DESCRIPTION
    grep -Eq -- "$2" "$1" || fail "$3: no line matching /$2/ in $(basename "$1"): $(head -c 400 "$1")"
}

# ---- dispatch, help, version --------------------------------------------------
run 0 "--help" -- --help
for c in check tag replay run; do
    has "$tmp/out" "^  $c +[a-z]" "--help lists $c"
done
for code in 0 1 2 3 64; do
    has "$tmp/out" "^  $code +[a-z]" "--help documents exit code $code"
done

run 0 "--version" -- --version
has "$tmp/out" '^newsradar [0-9]+\.[0-9]+\.[0-9]+$' "--version first line"
# the version is set once, in CMakeLists.txt's project(newsradar VERSION x.y.z)
src=${2:?usage: cli.sh NEWSRADAR-BINARY SOURCE-ROOT}
want=$(sed -n 's/^project(newsradar VERSION \([0-9.]*\) .*/\1/p' "$src/CMakeLists.txt")
[ -n "$want" ] || fail "no project(newsradar VERSION ...) in $src/CMakeLists.txt"
has "$tmp/out" "^newsradar ${want//./\\.}\$" "--version is CMakeLists.txt's $want"
for lib in librdkafka jansson libyaml utf8proc; do
    has "$tmp/out" "^$lib [0-9]" "--version names $lib"
done

run 64 "no command" --
has "$tmp/err" "^usage: newsradar" "usage on stderr without a command"
[ -s "$tmp/out" ] && fail "no command: stdout should be empty"

run 64 "unknown command" -- frobnicate
has "$tmp/err" "unknown command 'frobnicate'" "unknown command named"
has "$tmp/err" "^usage: newsradar" "usage on stderr after an unknown command"

# ---- replay: arguments -----------------------------------------------------------
run 0 "replay --help" -- replay --help
has "$tmp/out" "^usage: newsradar replay" "replay --help"
run 64 "replay without -c" -- replay feed.jsonl
run 64 "replay without input" -- replay -c x.yaml
run 64 "replay with an unknown option" -- replay --bogus -c x.yaml feed.jsonl
run 1 "replay of a missing file" -- replay -c "$tmp/none.yaml" "$tmp/missing.jsonl"
has "$tmp/err" "missing.jsonl: No such file or directory" "replay names the missing file"

# ---- replay: end to end -------------------------------------------------------------
mkdir -p "$tmp/cfg"
cat >"$tmp/cfg/newsradar.yaml" <<'EOF'
watchlists: [countries.yaml]
rules: [rules.yaml]
article:
  max_bytes: 2000
EOF
cat >"$tmp/cfg/countries.yaml" <<'EOF'
entities:
  - id: PK
    kind: country
    name: Pakistan
    code: PK
  - id: AF
    kind: country
    name: Afghanistan
    code: AF
EOF
cat >"$tmp/cfg/rules.yaml" <<'EOF'
topics:
  - id: border_closure
    name: Border closure
    any: [closed the border, border closure]
alerts:
  - id: border_closure_by_country
    topic: border_closure
    by: [country]
    window: 1h
    bucket: 5m
    baseline: 7d
    baseline_bucket: 1h
    baseline_floor: 0.5
    min_count: 3
    min_ratio: 3.0
    cooldown: 2h
EOF

feed=$tmp/feed.jsonl
{
    for i in 1 2 3 4 5; do
        printf '{"id":"b%d","title":"Pakistan closed the border with Afghanistan","body":"Report %d.","published_at":"2024-03-01T12:%02d:00Z"}\n' "$i" "$i" $((i * 5))
    done
    echo ''                                        # line 6: blank, ignored
    echo '{"id":"x1","title":"broken" "body":"x"}' # line 7: invalid_json
    echo '{"title":"no id here"}'                  # line 8: missing_id
    printf '{"id":"big","title":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' a)" # line 9: too_large
    echo '{"id":"late","title":"Afghanistan closed the border"}' # line 10: no time, falls back
} >"$feed"

run 3 "replay with bad lines" -- replay -c "$tmp/cfg/newsradar.yaml" "$feed"
has "$tmp/err" "feed\.jsonl:7: invalid_json: invalid JSON at byte 28: expected ',' or '}'" "bad JSON reported with its line and offset"
has "$tmp/err" "feed\.jsonl:8: missing_id: " "missing id reported with its line"
has "$tmp/err" "feed\.jsonl:9: too_large: 3023 bytes, limit 2000 \(article\.max_bytes\)" "long line reported"
has "$tmp/err" '^newsradar replay: 9 articles, [0-9]+ tagged, 3 skipped, [0-9]+ alerts \([0-9]+ firing, [0-9]+ escalated, [0-9]+ resolved\), [0-9]+ duplicates, [0-9]+ late \([0-9]+ dropped\), [0-9]+ future, [0-9]+ undated held \([0-9]+ at arrival time\), [0-9]+ field errors, [0-9]+ UTF-8 repairs, [0-9]+ boilerplate, [0-9]+ keys \([0-9]+ evicted\), [0-9]+ spikes still open$' "summary line"
grep -q "feed.jsonl:6:" "$tmp/err" && fail "a blank line was reported"
if ! grep -q . "$tmp/out"; then
    fail "five border closures in 25 minutes raised no alert"
fi
while IFS= read -r line; do
    printf '%s' "$line" | jq -e 'has("alert_id") and has("state") and has("rule")' >/dev/null ||
        fail "alert line is not an alert object: $line"
done <"$tmp/out"

run 3 "replay --summary-json" -- replay --summary-json -c "$tmp/cfg/newsradar.yaml" "$feed"
summary=$(grep '^{' "$tmp/err" | tail -1)
printf '%s' "$summary" | jq -e '.articles == 9 and .skipped == 3 and .rejected.invalid_json == 1 and .rejected.too_large == 1 and .rejected.missing_id == 1 and (.alerts == .firing + .escalated + .resolved)' >/dev/null ||
    fail "--summary-json: unexpected summary: $summary"

# only good lines, from stdin: exit 0, same alerts as from the file
head -5 "$feed" >"$tmp/good.jsonl"
"$nr" replay -c "$tmp/cfg/newsradar.yaml" "$tmp/good.jsonl" >"$tmp/alerts1" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "replay of good lines: exit $rc, want 0: $(cat "$tmp/err")"
"$nr" replay -c "$tmp/cfg/newsradar.yaml" - <"$tmp/good.jsonl" >"$tmp/alerts2" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "replay from stdin: exit $rc, want 0: $(cat "$tmp/err")"
cmp -s "$tmp/alerts1" "$tmp/alerts2" || fail "replay from stdin differs from replay of the file"

# a last line without a newline is still read
printf '{"id":"n1","title":"t","published_at":"2024-03-01T13:00:00Z"}' >"$tmp/nonl.jsonl"
run 0 "last line without newline" -- replay -c "$tmp/cfg/newsradar.yaml" "$tmp/nonl.jsonl"
has "$tmp/err" "^newsradar replay: 1 articles" "the unterminated line counts"

# lines far longer than the read buffer stream past; the line after them is read
{
    printf '{"id":"huge","title":"%s"}\n' "$(head -c 200000 /dev/zero | tr '\0' a)"
    echo '{"id":"after","title":"t","published_at":"2024-03-01T13:00:00Z"}'
    head -c 150000 /dev/zero | tr '\0' b # last line, no newline, too long
} >"$tmp/huge.jsonl"
run 3 "replay of huge lines" -- replay -c "$tmp/cfg/newsradar.yaml" "$tmp/huge.jsonl"
has "$tmp/err" "huge\.jsonl:1: too_large: 200024 bytes, limit 2000" "huge line 1"
has "$tmp/err" "huge\.jsonl:3: too_large: 150000 bytes, limit 2000" "huge last line"
has "$tmp/err" "^newsradar replay: 3 articles, [0-9]+ tagged, 2 skipped" "huge lines summary"

# an invalid configuration: exit 2 with file:line:col diagnostics
printf 'watchlists: [countries.yaml]\nbogus_key: 1\n' >"$tmp/cfg/bad.yaml"
run 2 "replay with a bad config" -- replay -c "$tmp/cfg/bad.yaml" "$feed"
has "$tmp/err" "bad\.yaml:[0-9]+:[0-9]+: " "config diagnostics as file:line:col"

if [ "$failures" -ne 0 ]; then
    echo "cli.sh: $failures failure(s)" >&2
    exit 1
fi
echo "cli.sh: all passed"
