#!/usr/bin/env bash
# exclude_alerts.sh - one big story must not blind a rule for a week.
# tests/data/replay/big_story.jsonl: a 24 h story (288 articles) on day 3, a
# 7-article story on day 6. With `exclude_alerts: true` (the default) the
# big story's buckets stay out of the baseline and both stories fire once
# each; with `exclude_alerts: false` the big story raises the baseline, the
# second story is missed and the big story itself splits into two episodes.
# The exact alerts with exclusion are in big_story.expect.jsonl
# (test_replay_data); this compares the two.
#
# usage: bash tests/cli/exclude_alerts.sh NEWSRADAR-BINARY SOURCE-ROOT
set -u
nr=${1:?usage: exclude_alerts.sh NEWSRADAR-BINARY SOURCE-ROOT}
src=${2:?usage: exclude_alerts.sh NEWSRADAR-BINARY SOURCE-ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
d=$(cd "$src/tests/data/replay" && pwd)
for x in true false; do
    mkdir -p "$tmp/$x"
    sed "s/exclude_alerts: true/exclude_alerts: $x/" "$d/big_story_rules.yaml" >"$tmp/$x/big_story_rules.yaml"
    grep -q "exclude_alerts: $x" "$tmp/$x/big_story_rules.yaml" || fail "no exclude_alerts in the rules"
    sed "s|config/watchlist.yaml|$d/config/watchlist.yaml|" "$d/big_story.yaml" >"$tmp/$x/main.yaml"
    "$nr" replay -q -c "$tmp/$x/main.yaml" "$d/big_story.jsonl" >"$tmp/$x.jsonl" 2>"$tmp/$x.err" ||
        fail "replay with exclude_alerts: $x: $(cat "$tmp/$x.err")"
    # firing alerts by day of month of the window start
    jq -r 'select(.state == "firing") | .window.start[8:10]' "$tmp/$x.jsonl" >"$tmp/$x.fire"
    big=$(grep -c '^0[34]$' "$tmp/$x.fire")
    second=$(grep -c '^06$' "$tmp/$x.fire")
    echo "exclude_alerts $x: $(wc -l <"$tmp/$x.fire") firing, $big for the big story, $second for the second story"
    eval "big_$x=$big second_$x=$second"
done
[ "$big_true" -eq 1 ] || fail "with exclusion the big story fired $big_true times, want one episode"
[ "$second_true" -eq 1 ] || fail "with exclusion the second story fired $second_true times, want 1"
[ "$second_false" -eq 0 ] || fail "without exclusion the second story fired $second_false times: the fixture no longer shows the blinding"
[ "$big_false" -ge 2 ] || fail "without exclusion the big story fired $big_false times, want it split (its own articles in its baseline)"
[ "$failures" -eq 0 ] || { echo "exclude_alerts.sh: $failures failure(s)" >&2; exit 1; }
echo "exclude_alerts.sh: ok"
