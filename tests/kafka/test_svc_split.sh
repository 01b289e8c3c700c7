#!/usr/bin/env bash
# One input message whose count events go out in two or more repartition
# batches (a batch is sent before it would pass 512 KiB, EVB_MAX_BYTES in
# src/svc_int.h): a generated 2-day feed (gen_feed.py) and 150 articles
# naming 24 countries each (gen_wide.py) as one JSON array message of
# ~570 KB, one repartition partition. Each record of a batch carries its position
# (src/srcpos.c: the input message and the record's index among that
# message's records for the partition, counted across batches), and stage 2
# drops a record at or before the highest position it has seen.
#   1. exactly_once, two TxnOffsetCommits refused (ILLEGAL_GENERATION): the
#      stages abort and rewind in process, stage 1 reads the message again
#      and sends all its batches again; the mock hands the aborted batches
#      to stage 2 too (../shared limits), so they are repeats: counted
#      once, and none of the second batch is taken for a repeat of the
#      first (its indices go on after the first batch's);
#   2. restart: nothing is read or counted again.
# Checked: the service's alerts equal replay's field by field (rule, state,
# count, window, baseline, score, articles: a lost or a doubled batch
# changes the counts; the mock shows aborted alerts too, so an alert may
# appear twice, identical), repeats were dropped, a batch was filled to
# the 512 KiB cap and the message made >= 2 batches.
#   bash test_svc_split.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT
# Exit 77 (ctest: skipped) when kcat, jq, curl or python3 are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 3 ] || { echo "usage: test_svc_split.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT" >&2; exit 2; }
svc_need kcat jq curl python3
svc_init svc-split "$1" "$3"

svc_mock "$2" 1 s.articles:1 s.counts:1 s.windows:1 s.alerts:1 s.dlq:1
bs="$SVC_BS"

# ---- input: one message, and replay's answer ---------------------------------------
feed="$SVC_WORK/feed.jsonl"
python3 "$here/gen_feed.py" --days 2 --bursts 8 >"$feed" 2>/dev/null
# then articles naming 24 countries each: ~50 count events an article. 150 of
# them make ~1.2 MB of count events a pass (3 batches); the mock keeps only
# the last 5 MiB of a partition (librdkafka's mock: max_size), so the passes a
# rewind adds must stay under it: with 400 articles the first batches were
# dropped from s.counts while stage 2 had yet to commit past them, and its
# rewind fell back to the log start (offset out of range) and counted less.
# The two refused commits (rerr below) make at most three passes (~3.6 MB);
# log_start_kept fails by name should that ever grow past the limit.
last="$(jq -r .published_at "$feed" | sort | tail -1)"
python3 "$here/gen_wide.py" 150 "$(date -u -d "$last + 10 minutes" +%Y-%m-%dT%H:%M:%SZ)" >>"$feed"
n_art="$(wc -l <"$feed")"
jq -s -c . "$feed" >"$SVC_WORK/message.json"
port="$(svc_free_port)"
conf="$(svc_config "$SVC_WORK/conf" split brokers="$bs" group=nr-split port="$port" \
    commit=1s partitions=1 input=s.articles alerts=s.alerts dlq=s.dlq counts=s.counts \
    windows=s.windows guarantee=exactly_once prop.session.timeout.ms=6000 \
    prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=10)"
svc_replay_ids "$conf" "$feed" >/dev/null
alert_rows() {
    jq -c '{alert_id, rule, state, severity, count, window, baseline, score,
            articles: [.articles[].id]}' | sort
}
alert_rows <"$SVC_WORK/replay.jsonl" >"$SVC_WORK/expected.txt"
n_want="$(wc -l <"$SVC_WORK/expected.txt")"
[ "$n_want" -gt 0 ] || svc_fail "replay of the feed gave no alerts"
svc_log "input: one message of $n_art articles ($(wc -c <"$SVC_WORK/message.json") bytes);" \
    "replay: $n_want alerts"

settled() { # no count event held, and the alert topic stops growing
    local a b
    svc_metric_cmp r1 newsradar_held_events -eq 0 || return 1
    a="$(svc_count "$bs" s.alerts)"
    sleep 3
    b="$(svc_count "$bs" s.alerts)"
    [ "$a" -gt 0 ] && [ "$a" -eq "$b" ]
}
log_start_kept() { # s.counts still starts at offset 0: the mock dropped nothing
    local first
    first="$(svc_consume "$bs" s.counts '%o\n' | head -1)"
    [ "$first" = 0 ] ||
        svc_fail "s.counts starts at offset $first: the mock dropped the start of the log (its 5 MiB a partition), the test's input is too large"
}
compare() { # CASE
    local missing extra
    # identical copies are the aborted transactions' alerts, which the mock
    # does not hide, so repeats cannot be told from them here: one row per
    # alert state, and a lost or doubled batch shows as missing or extra
    # rows (wrong counts)
    svc_consume "$bs" s.alerts '%s\n' | alert_rows | uniq >"$SVC_WORK/got.txt"
    missing="$(comm -23 "$SVC_WORK/expected.txt" <(sort -u "$SVC_WORK/got.txt") | wc -l)"
    extra="$(comm -13 "$SVC_WORK/expected.txt" <(sort -u "$SVC_WORK/got.txt") | wc -l)"
    svc_log "$1: $(wc -l <"$SVC_WORK/got.txt") alerts vs replay's $n_want: $missing missing," \
        "$extra not in replay"
    if [ "$missing" -ne 0 ] || [ "$extra" -ne 0 ]; then
        diff "$SVC_WORK/expected.txt" "$SVC_WORK/got.txt" | head -20 >&2 || true
        svc_fail "$1: the service's alerts differ from replay's (< replay, > service)"
    fi
}

# ---- 1. rewinds while the message's batches are in flight ----------------------------
svc_start r1 "$conf" "$port"
svc_wait 60 "r1: /readyz" svc_http_ok r1 /readyz
svc_wait_metric 60 r1 newsradar_assigned_partitions -eq 1 'stage="counts"'
svc_mc rerr 28 2 22
svc_produce "$bs" s.articles "$SVC_WORK/message.json" -X message.max.bytes=2000000
svc_wait_metric 120 r1 newsradar_transaction_rewinds_total -ge 1
svc_wait_metric 120 r1 newsradar_articles_in_total -ge 2 # messages: read twice
svc_wait 180 "r1: no event held and s.alerts settled" settled
svc_assert_alive r1
log_start_kept
n_batches="$(svc_count "$bs" s.counts)"
n_ev="$(svc_metric r1 newsradar_count_events_total)"
n_rep="$(svc_metric r1 newsradar_repeated_events_total)"
svc_log "case 1: $n_batches repartition messages (largest $(svc_consume "$bs" s.counts '%S\n' | sort -n | tail -1) bytes), $n_ev count events sent, $n_rep repeats dropped;" \
    "rewound: $(grep -o '[a-z]*: rewound' "${SVC_LOG[r1]}" | sort | uniq -c | tr -s ' \n' ' ')"
# one pass of the message is at least two batches; a rewind of stage 1 sends them again
[ "$n_batches" -ge 2 ] || svc_fail "the message's events went out in $n_batches batch(es), want >= 2"
max_batch="$(svc_consume "$bs" s.counts '%S\n' | sort -n | tail -1)"
[ "$max_batch" -gt $((400 * 1024)) ] ||
    svc_fail "the largest repartition batch is $max_batch bytes: the 512 KiB cap was not reached"
[ "$n_rep" -gt 0 ] || svc_fail "no repeat dropped: the rewinds re-sent nothing"
compare "case 1 (rewinds)"

# ---- 2. restart: nothing counted again -------------------------------------------------
svc_stop r1
svc_start r1 "$conf" "$port"
svc_wait 60 "r1 (restarted): /readyz" svc_http_ok r1 /readyz
svc_wait_metric 60 r1 newsradar_restoring_partitions -eq 0
sleep 5
svc_wait 60 "r1 (restarted): s.alerts settled" settled
log_start_kept
compare "case 2 (restart)"
svc_stop r1
echo quit >&"${MC[1]}"
echo "PASS: one message in $n_batches repartition batches through rewinds and a restart:" \
    "$n_want alerts = replay's, field by field ($n_rep repeats dropped)"
