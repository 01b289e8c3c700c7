#!/usr/bin/env bash
# calibrate.sh - `newsradar replay --calibrate RATE [--calibrate-json FILE]`
# on the three-week feed (tests/data/replay/seasonal_daily.jsonl) with the
# flat baseline (past episodes kept in it): the JSON counts the episodes the
# replay wrote, and replaying with the suggested min_ratio gives about
# RATE x days episodes, as many as the calibration said it would.
#
# usage: bash tests/cli/calibrate.sh NEWSRADAR-BINARY SOURCE-ROOT
set -u
nr=${1:?usage: calibrate.sh NEWSRADAR-BINARY SOURCE-ROOT}
src=${2:?usage: calibrate.sh NEWSRADAR-BINARY SOURCE-ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
d=$(cd "$src/tests/data/replay" && pwd)
# exclude_alerts: false: with past episodes left out of the baseline, a
# higher min_ratio fires fewer episodes, so fewer are left out and the
# baselines (and ratios) differ from the calibrating run's (docs/alerts.md)
sed "s/seasonality: daily/seasonality: none\n    exclude_alerts: false/" "$d/seasonal_rules.yaml" >"$tmp/seasonal_rules.yaml"
sed "s|config/watchlist.yaml|$d/config/watchlist.yaml|" "$d/seasonal_daily.yaml" >"$tmp/main.yaml"

"$nr" replay -q -c "$tmp/main.yaml" --calibrate 0.1 --calibrate-json "$tmp/c.json" \
    "$d/seasonal_daily.jsonl" >"$tmp/alerts.jsonl" 2>"$tmp/err" || fail "replay --calibrate: $(cat "$tmp/err")"
grep -q '^attack_by_country ' "$tmp/err" || fail "no table row for the rule: $(cat "$tmp/err")"
jq -e . "$tmp/c.json" >/dev/null || fail "--calibrate-json is not JSON"
firing=$(jq -r 'select(.state == "firing")' "$tmp/alerts.jsonl" | grep -c '"alert_id"')
episodes=$(jq '.rules[0].episodes' "$tmp/c.json")
[ "$episodes" = "$firing" ] || fail "calibration counts $episodes episodes, the replay wrote $firing"
days=$(jq '.days' "$tmp/c.json")
awk -v d="$days" 'BEGIN { exit !(d > 20 && d < 22) }' || fail "days $days, want about 21"
s=$(jq '.rules[0].suggested_min_ratio' "$tmp/c.json")
would=$(jq '.rules[0].candidates_above' "$tmp/c.json")
awk -v s="$s" 'BEGIN { exit !(s > 3) }' || fail "suggested min_ratio $s is not above the current 3"

# replay with the suggestion
sed -i "s/min_ratio: 3/min_ratio: $s/" "$tmp/seasonal_rules.yaml"
"$nr" replay -q -c "$tmp/main.yaml" "$d/seasonal_daily.jsonl" >"$tmp/after.jsonl" 2>/dev/null
after=$(jq -r 'select(.state == "firing") | .alert_id' "$tmp/after.jsonl" | wc -l)
echo "calibrate: $firing episodes at min_ratio 3 over $days days; suggested $s for 0.1/day (would: $would); replayed: $after"
awk -v a="$after" -v d="$days" 'BEGIN { exit !(a >= 1 && a <= 0.1 * d + 1) }' ||
    fail "with min_ratio $s: $after episodes, target 0.1 x $days days"
[ "$after" -le $((would + 1)) ] || fail "with min_ratio $s: $after episodes, calibration said $would"

"$nr" replay -q -c "$tmp/main.yaml" --calibrate 0 "$d/seasonal_daily.jsonl" >/dev/null 2>&1
[ $? -eq 64 ] || fail "--calibrate 0 is not a usage error"
"$nr" replay -q -c "$tmp/main.yaml" --calibrate x "$d/seasonal_daily.jsonl" >/dev/null 2>&1
[ $? -eq 64 ] || fail "--calibrate x is not a usage error"

[ "$failures" -eq 0 ] || { echo "calibrate.sh: $failures failure(s)" >&2; exit 1; }
echo "calibrate.sh: ok"
