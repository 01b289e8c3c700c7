#!/usr/bin/env bash
# seasonal.sh - the same three-week feed (tests/data/replay/seasonal_daily.jsonl:
# busy every morning 07-10 UTC, one night spike on day 18 at 02:00) with the
# flat baseline and with `seasonality: daily`. Flat: the mornings fire (false
# alarms); daily: no morning after the second day fires and the night spike
# still does, in both. The exact daily alerts are in seasonal_daily.expect.jsonl
# (test_replay_data); this compares the two models.
#
# usage: bash tests/cli/seasonal.sh NEWSRADAR-BINARY SOURCE-ROOT
set -u
nr=${1:?usage: seasonal.sh NEWSRADAR-BINARY SOURCE-ROOT}
src=${2:?usage: seasonal.sh NEWSRADAR-BINARY SOURCE-ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
d=$(cd "$src/tests/data/replay" && pwd)
for s in none daily weekly; do
    mkdir -p "$tmp/$s"
    sed "s/seasonality: daily/seasonality: $s/" "$d/seasonal_rules.yaml" >"$tmp/$s/seasonal_rules.yaml"
    sed "s|config/watchlist.yaml|$d/config/watchlist.yaml|" "$d/seasonal_daily.yaml" >"$tmp/$s/main.yaml"
    "$nr" replay -q -c "$tmp/$s/main.yaml" "$d/seasonal_daily.jsonl" >"$tmp/$s.jsonl" 2>"$tmp/$s.err" ||
        fail "replay with seasonality: $s: $(cat "$tmp/$s.err")"
    # firing alerts: day of month, hour of the window end
    jq -r 'select(.state == "firing") | .window.end[8:10] + " " + .window.end[11:13]' \
        "$tmp/$s.jsonl" >"$tmp/$s.fire"
    # morning = window ending 07:00-11:59 after the first two days (cold start)
    morning=$(awk '$1 > 2 && $2 >= 7 && $2 <= 11' "$tmp/$s.fire" | wc -l)
    spike=$(awk '$1 == 18 && $2 >= 2 && $2 <= 3' "$tmp/$s.fire" | wc -l)
    echo "seasonality $s: $(wc -l <"$tmp/$s.fire") firing, $morning at the daily peak after day 2, $spike at the night spike"
    eval "morning_$s=$morning spike_$s=$spike"
done
[ "$morning_none" -ge 15 ] || fail "flat baseline: $morning_none morning false alarms, expected the daily peak to fire most days"
[ "$morning_daily" -eq 0 ] || fail "seasonality daily: $morning_daily morning false alarms"
[ "$spike_none" -eq 1 ] || fail "flat baseline: the night spike fired $spike_none times"
[ "$spike_daily" -eq 1 ] || fail "seasonality daily: the night spike fired $spike_daily times"
[ "$spike_weekly" -eq 1 ] || fail "seasonality weekly: the night spike fired $spike_weekly times"

# score: negbin with max_p 0.001 instead of min_ratio: the flat Poisson test
# fires every morning; the negative binomial (dispersion of the baseline)
# does not; with the daily model both catch the night spike
for sc in poisson negbin; do
    for s in none daily; do
        t="$tmp/$sc-$s"
        mkdir -p "$t"
        sed "s/seasonality: daily/seasonality: $s\n    score: $sc/; s/min_ratio: 3/max_p: 0.001/" \
            "$d/seasonal_rules.yaml" >"$t/seasonal_rules.yaml"
        sed "s|config/watchlist.yaml|$d/config/watchlist.yaml|" "$d/seasonal_daily.yaml" >"$t/main.yaml"
        "$nr" replay -q -c "$t/main.yaml" "$d/seasonal_daily.jsonl" >"$t.jsonl" 2>"$t.err" ||
            fail "replay with score $sc, seasonality $s: $(cat "$t.err")"
        jq -r 'select(.state == "firing") | .window.end[8:10] + " " + .window.end[11:13]' \
            "$t.jsonl" >"$t.fire"
        m=$(awk '$1 > 2 && $2 >= 7 && $2 <= 11' "$t.fire" | wc -l)
        k=$(awk '$1 == 18 && $2 >= 2 && $2 <= 3' "$t.fire" | wc -l)
        echo "score $sc, seasonality $s (max_p 0.001): $(wc -l <"$t.fire") firing, $m at the daily peak after day 2, $k at the night spike"
        eval "m_${sc}_$s=$m k_${sc}_$s=$k"
    done
done
[ "$m_poisson_none" -ge 15 ] || fail "poisson flat: only $m_poisson_none morning false alarms"
# with the mornings that fired left out (exclude_alerts, the default) the
# flat Poisson baseline is calm enough at night for the spike to fire
[ "$k_poisson_none" -eq 1 ] || fail "poisson flat: the night spike fired $k_poisson_none times"
# the flat negative binomial counts the daily cycle as dispersion, so it
# stays quiet in the mornings, as long as the mornings that fired are not
# left out of the dispersion (exclude_alerts: false); with them left out
# (the default) the remaining baseline is calmer and the mornings fire
t="$tmp/negbin-none-keep"
mkdir -p "$t"
sed "s/seasonality: daily/seasonality: none\n    score: negbin\n    exclude_alerts: false/; s/min_ratio: 3/max_p: 0.001/" \
    "$d/seasonal_rules.yaml" >"$t/seasonal_rules.yaml"
sed "s|config/watchlist.yaml|$d/config/watchlist.yaml|" "$d/seasonal_daily.yaml" >"$t/main.yaml"
"$nr" replay -q -c "$t/main.yaml" "$d/seasonal_daily.jsonl" >"$t.jsonl" 2>"$t.err" ||
    fail "replay with score negbin, exclude_alerts false: $(cat "$t.err")"
m_keep=$(jq -r 'select(.state == "firing") | .window.end[8:10] + " " + .window.end[11:13]' "$t.jsonl" |
    awk '$1 > 2 && $2 >= 7 && $2 <= 11' | wc -l)
echo "score negbin, seasonality none, exclude_alerts false (max_p 0.001): $m_keep at the daily peak after day 2"
[ "$m_keep" -le 2 ] || fail "negbin flat without exclusion: $m_keep morning false alarms"
[ "$m_negbin_none" -ge "$m_keep" ] || fail "negbin flat: fewer morning alarms with exclusion than without"
[ "$k_poisson_daily" -eq 1 ] || fail "poisson daily: the night spike fired $k_poisson_daily times"
[ "$k_negbin_daily" -eq 1 ] || fail "negbin daily: the night spike fired $k_negbin_daily times"
[ "$m_negbin_daily" -le "$m_poisson_daily" ] || fail "negbin daily: more morning alarms than poisson"

# configuration errors name the file, line and column
printf 'topics: [{id: t, any: [x]}]\nalerts:\n  - id: r\n    topic: t\n    baseline: 12h\n    seasonality: daily\n  - id: r2\n    topic: t\n    baseline_bucket: 7h\n    baseline: 7d\n    seasonality: daily\n  - id: r3\n    topic: t\n    seasonality: hourly\n' >"$tmp/bad_rules.yaml"
printf 'watchlists: [%s]\nrules: [bad_rules.yaml]\n' "$d/config/watchlist.yaml" >"$tmp/bad.yaml"
"$nr" check -c "$tmp/bad.yaml" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] || fail "check of bad seasonality: exit not 2"
grep -q 'bad_rules.yaml:6:[0-9]*: .*needs a baseline of at least 1d' "$tmp/err" || fail "short baseline: $(cat "$tmp/err")"
grep -q 'bad_rules.yaml:11:[0-9]*: .*baseline_bucket that divides the day' "$tmp/err" || fail "7h bucket: $(cat "$tmp/err")"
grep -q 'bad_rules.yaml:14:[0-9]*: .*hourly' "$tmp/err" || fail "unknown value: $(cat "$tmp/err")"

[ "$failures" -eq 0 ] || { echo "seasonal.sh: $failures failure(s)" >&2; exit 1; }
echo "seasonal.sh: ok"
