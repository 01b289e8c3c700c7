#!/usr/bin/env bash
# kafka.guarantee: exactly_once, an abortable transaction error: the stage
# aborts and rewinds in process (issue #11), it does not exit. The mock
# cluster fails the next TxnOffsetCommit with ILLEGAL_GENERATION (22), the
# error a rebalance during an open transaction gives; this happens before
# each of four slices of the input, so transactions that carry work are
# aborted in both stages over the run. The service must stay up, count each
# rewind (newsradar_transaction_rewinds_total), log it, and end with every
# alert id of `newsradar replay`. The mock does not hide aborted records
# from read_committed readers (../shared limits), so what a rewind must not
# lose is checked on the real broker by test_eos.sh; this test covers the
# rewind itself: abort, seek back, state dropped and restored, go on.
#   bash test_svc_rewind.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 3 ] || { echo "usage: test_svc_rewind.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT" >&2; exit 2; }
svc_need kcat jq curl python3
svc_init svc-rewind "$1" "$3"

svc_mock "$2" 1 r.articles:2 r.counts:2 r.windows:2 r.alerts:1 r.dlq:1
bs="$SVC_BS"

input="$SVC_WORK/input.jsonl"
cp "$SVC_SRC/config/demo/articles.jsonl" "$input"
port="$(svc_free_port)"
conf="$(svc_config "$SVC_WORK/conf" rewind brokers="$bs" group=nr-rewind port="$port" \
    commit=1s partitions=2 input=r.articles alerts=r.alerts dlq=r.dlq counts=r.counts \
    windows=r.windows guarantee=exactly_once prop.session.timeout.ms=6000 \
    prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=10)"
svc_replay_ids "$conf" "$input" >"$SVC_WORK/expected.ids"
n_ids="$(wc -l <"$SVC_WORK/expected.ids")"
[ "$n_ids" -gt 0 ] || svc_fail "replay of the demo gave no alerts"
n_in="$(wc -l <"$input")"

svc_start r1 "$conf" "$port"
svc_wait 60 "r1: /readyz" svc_http_ok r1 /readyz
svc_wait_metric 60 r1 newsradar_assigned_partitions -eq 2 'stage="counts"'
# An idle stage commits nothing, so the first TxnOffsetCommit after a slice
# is one of a transaction with work, of either stage; slices 2 and 3 fail
# two in a row (the second often the other stage's, or the retry).
want=0
for s in 0 1 2 3; do
    awk -v a=$((n_in * s / 4)) -v b=$((n_in * (s + 1) / 4)) 'NR > a && NR <= b' "$input" \
        >"$SVC_WORK/slice$s.jsonl"
    svc_mc rerr 28 $((s < 2 ? 1 : 2)) 22
    svc_produce "$bs" r.articles "$SVC_WORK/slice$s.jsonl"
    want=$((want + (s < 2 ? 1 : 2)))
    svc_wait_metric 60 r1 newsradar_transaction_rewinds_total -ge "$want"
    svc_assert_alive r1
done
# On a timeout, say what differs: an id replay has not points to counting
# twice, held events to a watermark that never passed them.
deadline=$((SECONDS + 120))
until svc_has_ids "$bs" r.alerts "$SVC_WORK/expected.ids"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        svc_alert_ids "$bs" r.alerts >"$SVC_WORK/got.ids"
        echo "missing ids: $(comm -23 "$SVC_WORK/expected.ids" "$SVC_WORK/got.ids" | tr '\n' ' ')" >&2
        echo "ids replay has not: $(comm -13 "$SVC_WORK/expected.ids" "$SVC_WORK/got.ids" | tr '\n' ' ')" >&2
        for m in newsradar_held_events newsradar_paused_partitions newsradar_restoring_partitions \
            newsradar_repeated_events_total newsradar_watermark_forced_total; do
            echo "$m $(svc_metric r1 "$m" || echo '?')" >&2
        done
        svc_fail "timed out after 120s waiting for: all $n_ids replay alert ids in topic r.alerts"
    fi
    svc_assert_alive r1
    sleep 0.5
done
svc_alert_ids "$bs" r.alerts >"$SVC_WORK/got.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got.ids" ||
    svc_fail "after the rewinds the alert ids differ from replay's (< replay, > service)"
svc_assert_alive r1
n_rw="$(svc_metric r1 newsradar_transaction_rewinds_total)"
n_log="$(grep -c 'rewound .* to the last committed offsets' "${SVC_LOG[r1]}" || true)"
[ "$n_log" -eq "$n_rw" ] || svc_fail "$n_rw rewinds counted, $n_log logged"
! grep -q 'exiting so that it is restarted' "${SVC_LOG[r1]}" ||
    svc_fail "r1 wanted to exit: $(grep 'exiting so that' "${SVC_LOG[r1]}" | head -1)"
stages="$(grep -o '[a-z]*: rewound' "${SVC_LOG[r1]}" | sort | uniq -c | tr -s ' \n' ' ')"
svc_stop r1
echo quit >&"${MC[1]}"
echo "PASS: $n_rw aborted transactions rewound in process (${stages% }), no exit;" \
    "$n_ids alert ids = replay's"
