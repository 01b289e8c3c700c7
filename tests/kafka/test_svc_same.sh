#!/usr/bin/env bash
# One pipeline (issue #10): the same input through `newsradar replay` and
# through `newsradar run` on librdkafka's mock cluster gives the same alerts,
# compared alert by alert on everything the detector decides: alert_id,
# rule, state, severity, count, window, baseline, score and the articles
# listed (ids), not just the sorted ids. The input is the demo (exact
# duplicates, malformed messages) followed by a generated 2-day feed with 8
# bursts (tests/kafka/gen_feed.py: firing, escalated and resolved alerts).
#   1. one input partition (replay's order);
#   2. three input partitions, round robin, each in event-time order, all
#      produced before the service starts (the watermarks synchronise them).
# Each alert is expected exactly once: no alert missing, none extra, none twice.
#   bash test_svc_same.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT
# Exit 77 (ctest: skipped) when kcat, jq, curl or python3 are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 3 ] || { echo "usage: test_svc_same.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT" >&2; exit 2; }
svc_need kcat jq curl python3
svc_init svc-same "$1" "$3"
mc_bin="$2"

svc_mock "$mc_bin" 1 a.articles:1 a.counts:4 a.windows:4 a.alerts:2 a.dlq:1 \
    b.articles:3 b.counts:4 b.windows:4 b.alerts:2 b.dlq:1
bs="$SVC_BS"
svc_log "mock cluster at $bs"

# ---- input and replay's answer ---------------------------------------------------------
input="$SVC_WORK/input.jsonl"
cp "$SVC_SRC/config/demo/articles.jsonl" "$input"
svc_malformed "$input" >/dev/null
python3 "$here/gen_feed.py" --days 2 --bursts 8 >>"$input" 2>/dev/null
n_in="$(wc -l <"$input")"
props=(prop.session.timeout.ms=6000 prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=10
    prop.topic.metadata.refresh.interval.ms=2000)
conf_for() { # P PORT
    svc_config "$SVC_WORK/conf" "$1" brokers="$bs" group="nr-same-$1" port="$2" commit=1s \
        partitions=4 input="$1.articles" alerts="$1.alerts" dlq="$1.dlq" counts="$1.counts" \
        windows="$1.windows" "${props[@]}"
}
pa="$(svc_free_port)"
conf_a="$(conf_for a "$pa")"
svc_replay_ids "$conf_a" "$input" >/dev/null
n_dl="$(grep -cE '^.*:[0-9]+: [a-z0-9_]+: ' "$SVC_WORK/replay.err" || true)"

# One line per alert: what the detector decided, in a canonical form.
alert_rows() {
    jq -c '{alert_id, rule, state, severity, count, window, baseline, score,
            articles: [.articles[].id]}' | sort
}
alert_rows <"$SVC_WORK/replay.jsonl" >"$SVC_WORK/expected.txt"
n_want="$(wc -l <"$SVC_WORK/expected.txt")"
for s in firing escalated resolved; do
    grep -q "\"state\":\"$s\"" "$SVC_WORK/expected.txt" || svc_fail "replay gave no $s alert"
done
svc_log "input: $n_in messages ($n_dl malformed); replay: $n_want alerts"

# Done when no count event is held and the alert topic stops growing over
# three looks a few seconds apart (a bounded wait, not a timing assertion);
# then the comparison says what is missing or extra.
settled() { # TOPIC ID
    local a b
    svc_metric_cmp "$2" newsradar_held_events -eq 0 || return 1
    a="$(svc_count "$bs" "$1")"
    sleep 3
    b="$(svc_count "$bs" "$1")"
    [ "$a" -gt 0 ] && [ "$a" -eq "$b" ] || return 1
    sleep 3
    [ "$(svc_count "$bs" "$1")" -eq "$b" ]
}
compare() { # CASE TOPIC
    local c="$1" t="$2" missing extra dups n_got
    svc_consume "$bs" "$t" '%s\n' | alert_rows >"$SVC_WORK/got-$t.txt"
    n_got="$(wc -l <"$SVC_WORK/got-$t.txt")"
    dups="$(uniq -d "$SVC_WORK/got-$t.txt" | wc -l)"
    missing="$(comm -23 "$SVC_WORK/expected.txt" <(sort -u "$SVC_WORK/got-$t.txt") | wc -l)"
    extra="$(comm -13 "$SVC_WORK/expected.txt" <(sort -u "$SVC_WORK/got-$t.txt") | wc -l)"
    svc_log "$c: $n_got alerts vs replay's $n_want: $missing missing, $extra not in replay," \
        "$dups repeated"
    if [ "$missing" -ne 0 ] || [ "$extra" -ne 0 ] || [ "$dups" -ne 0 ]; then
        diff "$SVC_WORK/expected.txt" "$SVC_WORK/got-$t.txt" | head -40 >&2 || true
        svc_fail "$c: the service's alerts differ from replay's (< replay, > service)"
    fi
}
run_case() { # CASE P PORT CONF
    local c="$1" p="$2" port="$3" conf="$4"
    svc_start "$p" "$conf" "$port"
    svc_wait 60 "$p: /readyz" svc_http_ok "$p" /readyz
    svc_wait_metric 60 "$p" newsradar_assigned_partitions -eq 4 'stage="counts"'
    svc_wait_metric 60 "$p" newsradar_restoring_partitions -eq 0
    shift 4
    "$@"
    svc_wait_metric 120 "$p" newsradar_articles_in_total -eq "$n_in"
    svc_wait_metric 60 "$p" newsradar_dead_letters_total -eq "$n_dl"
    svc_wait 180 "$p: no event held and $p.alerts settled" settled "$p.alerts" "$p"
    svc_stop "$p"
    compare "$c" "$p.alerts"
}

# ---- 1. one input partition ----------------------------------------------------------------
run_case "case 1 (one input partition)" a "$pa" "$conf_a" svc_produce "$bs" a.articles "$input"

# ---- 2. three input partitions, round robin ------------------------------------------------
produce_parts() {
    local i
    for i in 0 1 2; do
        awk -v p="$i" '(NR - 1) % 3 == p' "$input" >"$SVC_WORK/part$i.jsonl"
        svc_produce "$bs" b.articles "$SVC_WORK/part$i.jsonl" -p "$i"
    done
}
# Produced before the service starts, as a backlog after an outage: produced
# one partition after the other while the service reads, a partition still
# without data for 2 s (WM_IDLE_S) rightly counts as idle and does not hold
# the others back, so its articles would come late.
produce_parts
pb="$(svc_free_port)"
run_case "case 2 (three input partitions)" b "$pb" "$(conf_for b "$pb")" :

echo quit >&"${MC[1]}"
echo "PASS: replay and newsradar run on the mock cluster give the same $n_want alerts" \
    "(alert_id, rule, state, severity, count, window, baseline, score, articles)"
