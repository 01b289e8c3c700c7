#!/usr/bin/env bash
# calibrate.sh - `newsradar replay --calibrate RATE [--calibrate-json FILE]`
# on the three-week feed (tests/data/replay/seasonal_daily.jsonl) with the
# flat baseline (past episodes kept in it): the JSON counts the episodes the
# replay wrote, and replaying with the suggested min_ratio gives about
# RATE x days episodes, as many as the calibration said it would. A rule
# with no candidate threshold prints - (table) and null (JSON).
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

# no candidate threshold: `-` in the table, null in the JSON. A burst of 12
# articles in 11 minutes of stream time (one key): attack_never (min_count 1000) has no
# candidate episode; attack_burst (min_count 10, no baseline: expected at the
# 1e-3 floor) has one at ratio >= 10^4, more than 0.1 x 0.008 days even at
# the top of the scale; attack_low (floor 0.5) has one at ratio 24, so a
# threshold above it (would: 0).
# the feed's first 12 articles (distinct bodies: no near duplicates) re-dated
head -n 12 "$d/seasonal_daily.jsonl" >"$tmp/twelve.jsonl"
jq -c -s 'to_entries[] | .key as $i | .value | .id = "burst\($i)"
    | .url = "https://news.example.org/burst\($i)"
    | .published_at = "2024-04-01T00:\(10 + $i):00Z"' "$tmp/twelve.jsonl" >"$tmp/burst.jsonl"
awk '/^alerts:/ { exit } { print }' "$d/seasonal_rules.yaml" >"$tmp/burst_rules.yaml"
cat >>"$tmp/burst_rules.yaml" <<'YAML'
alerts:
  - { id: attack_never, topic: attack, by: [country], window: 1h, bucket: 5m, baseline: 7d,
      baseline_bucket: 1h, min_count: 1000 }
  - { id: attack_burst, topic: attack, by: [country], window: 1h, bucket: 5m, baseline: 7d,
      baseline_bucket: 1h, min_count: 10, baseline_floor: 0.0001 }
  - { id: attack_low, topic: attack, by: [country], window: 1h, bucket: 5m, baseline: 7d,
      baseline_bucket: 1h, min_count: 3, baseline_floor: 0.5 }
YAML
sed "s|seasonal_rules.yaml|$tmp/burst_rules.yaml|" "$tmp/main.yaml" >"$tmp/burst.yaml"
"$nr" replay -q -c "$tmp/burst.yaml" --calibrate 0.1 --calibrate-json "$tmp/b.json" "$tmp/burst.jsonl" \
    >/dev/null 2>"$tmp/berr" || fail "replay --calibrate of the burst: $(cat "$tmp/berr")"
for r in attack_never attack_burst; do
    row=$(grep "^$r " "$tmp/berr")
    echo "$row" | awk '{ exit !($7 == "-" && $8 == "-" && NF == 8) }' ||
        fail "$r: table row '$row', want - for suggested and would"
    jq -e --arg r "$r" '.rules[] | select(.rule == $r)
        | .suggested_min_ratio == null and .candidates_above == null' "$tmp/b.json" >/dev/null ||
        fail "$r: JSON $(jq -c --arg r "$r" '.rules[] | select(.rule == $r)' "$tmp/b.json"), want null"
done
jq -e '.rules[] | select(.rule == "attack_never") | .candidates == 0' "$tmp/b.json" >/dev/null ||
    fail "attack_never has candidates"
jq -e '.rules[] | select(.rule == "attack_burst") | .candidates == 1' "$tmp/b.json" >/dev/null ||
    fail "attack_burst: want one candidate"
row=$(grep '^attack_low ' "$tmp/berr")
echo "$row" | awk '{ exit !($7 > 24 && $7 < 25 && $8 == 0) }' ||
    fail "attack_low: table row '$row', want a threshold just above 24, would 0"
jq -e '.rules[] | select(.rule == "attack_low")
    | .suggested_min_ratio > 24 and .suggested_min_ratio < 25 and .candidates_above == 0' \
    "$tmp/b.json" >/dev/null || fail "attack_low: JSON $(jq -c '.rules[2]' "$tmp/b.json")"
echo "calibrate: burst: $(grep -E '^attack_(never|burst|low) ' "$tmp/berr" | awk '{ printf "%s %s/%s; ", $1, $7, $8 }')"

"$nr" replay -q -c "$tmp/main.yaml" --calibrate 0 "$d/seasonal_daily.jsonl" >/dev/null 2>&1
[ $? -eq 64 ] || fail "--calibrate 0 is not a usage error"
"$nr" replay -q -c "$tmp/main.yaml" --calibrate x "$d/seasonal_daily.jsonl" >/dev/null 2>&1
[ $? -eq 64 ] || fail "--calibrate x is not a usage error"

[ "$failures" -eq 0 ] || { echo "calibrate.sh: $failures failure(s)" >&2; exit 1; }
echo "calibrate.sh: ok"
