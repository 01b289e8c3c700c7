#!/usr/bin/env bash
# A backlog on several input partitions gives the alerts of `replay`
# (issue #11): a generated 4-day feed with 24 distinct bursts
# (tests/kafka/gen_feed.py) is spread over 6 input partitions, each
# partition in event-time order, and produced BEFORE the service starts, as
# after an outage. `newsradar run` must then produce exactly the (alert_id,
# state) pairs that `newsradar replay` gives for the same file: none
# missing, none extra, none twice. Case 2: the same with two instances in
# one group, the second joining while the first reads.
#   bash test_backlog.sh NEWSRADAR SOURCE_ROOT
# Real Apache Kafka 4.x (broker.sh); exit 77 (skipped) without the jars.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 2 ] || { echo "usage: test_backlog.sh NEWSRADAR SOURCE_ROOT" >&2; exit 2; }
if ! nr_kafka_jars_present; then
    echo "SKIP: no Kafka jars in $NR_KAFKA_JARS (run tests/kafka/fetch-jars.sh)"
    exit 77
fi
svc_need java kcat jq curl python3
svc_init svc-backlog "$1" "$2"

bdir="$SVC_WORK/broker"
mkdir -p "$bdir"
SVC_HOOKS+=("[ \$rc -eq 0 ] || tail -n 30 '$bdir/broker.log' >&2; '$here/broker.sh' stop '$bdir'")
bs="$(NR_KAFKA_OWNER_PID=$$ "$here/broker.sh" start "$bdir")" || svc_fail "broker did not start"
svc_log "broker at $bs"

n_parts=6
mk_topic() { # NAME PARTITIONS [CONFIG]
    "$here/kafka-run-class.sh" topics --bootstrap-server "$bs" --create --topic "$1" \
        --partitions "$2" --replication-factor 1 ${3:+--config "$3"} >/dev/null 2>&1 ||
        svc_fail "cannot create topic $1"
}
mk_topic b.articles "$n_parts" &
mk_topic b.counts 4
wait
mk_topic b.windows 4 cleanup.policy=compact &
mk_topic b.alerts 2
wait
mk_topic b.dlq 1

# ---- the feed and the offline answer ------------------------------------------------
feed="$SVC_WORK/feed.jsonl"
python3 "$here/gen_feed.py" --days 4 --bursts 24 >"$feed"
n_in="$(wc -l <"$feed")"
p1="$(svc_free_port)"
conf="$(svc_config "$SVC_WORK/conf" b "brokers=$bs" group=nr-backlog "port=$p1" commit=1s \
    partitions=4 input=b.articles alerts=b.alerts dlq=b.dlq counts=b.counts windows=b.windows \
    prop.session.timeout.ms=6000 prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=100)"
"$SVC_NR" replay -c "$conf" "$feed" >"$SVC_WORK/replay.jsonl" 2>"$SVC_WORK/replay.err" ||
    svc_fail "replay failed: $(cat "$SVC_WORK/replay.err")"
jq -r '[.alert_id, .state] | @tsv' "$SVC_WORK/replay.jsonl" | sort >"$SVC_WORK/expected.txt"
n_want="$(wc -l <"$SVC_WORK/expected.txt")"
n_fire="$(grep -c 'firing$' "$SVC_WORK/expected.txt" || true)"
[ "$n_fire" -ge 20 ] || svc_fail "replay of the generated feed fired only $n_fire episodes"
svc_log "feed: $n_in articles; replay: $n_want alerts, $n_fire firing episodes"

# Round-robin over the partitions in event-time order: every partition holds
# the whole period, each in order (as a keyed feed would be).
for ((p = 0; p < n_parts; p++)); do
    awk -v n="$n_parts" -v p="$p" '(NR - 1) % n == p' "$feed" >"$SVC_WORK/part$p.jsonl"
    svc_produce "$bs" b.articles "$SVC_WORK/part$p.jsonl" -p "$p"
done
svc_log "backlog of $n_in articles on $n_parts partitions produced before the start"

# ---- the service reads the backlog ---------------------------------------------------------
alerts_now() { svc_count "$bs" "$1"; }
# Done when no count event is held and the alert topic stops growing over
# three looks a few seconds apart (a bounded wait, not a timing assertion).
settled() { # ALERT-TOPIC ID...
    local t="$1" a b id
    shift
    for id in "$@"; do
        svc_metric_cmp "$id" newsradar_held_events -eq 0 || return 1
    done
    a="$(alerts_now "$t")"
    sleep 3
    b="$(alerts_now "$t")"
    [ "$a" -eq "$b" ] || return 1
    sleep 3
    [ "$(alerts_now "$t")" -eq "$b" ]
}
# compare CASE ALERT-TOPIC: the (alert_id, state) pairs must be replay's
compare() {
    local c="$1" t="$2" n_got dups missing extra fired_got
    svc_consume "$bs" "$t" '%s\n' | jq -r '[.alert_id, .state] | @tsv' | sort >"$SVC_WORK/got-$c.txt"
    n_got="$(wc -l <"$SVC_WORK/got-$c.txt")"
    # Multisets, as test_eos.sh: replay itself gives a pair twice when an
    # episode escalates twice, so a pair is repeated only past replay's own
    # count of it (comm pairs equal lines one to one).
    comm -13 "$SVC_WORK/expected.txt" "$SVC_WORK/got-$c.txt" >"$SVC_WORK/over-$c.txt"
    missing="$(comm -23 "$SVC_WORK/expected.txt" "$SVC_WORK/got-$c.txt" | wc -l)"
    dups="$(grep -cxFf "$SVC_WORK/expected.txt" "$SVC_WORK/over-$c.txt" || true)"
    extra=$(($(wc -l <"$SVC_WORK/over-$c.txt") - dups))
    fired_got="$(sort -u "$SVC_WORK/got-$c.txt" | grep -c 'firing$' || true)"
    svc_log "$c: $n_got alert messages ($fired_got firing) vs replay $n_want ($n_fire firing):" \
        "$missing missing, $extra not in replay, $dups repeated"
    if [ "$missing" -ne 0 ] || [ "$extra" -ne 0 ] || [ "$dups" -ne 0 ]; then
        diff "$SVC_WORK/expected.txt" "$SVC_WORK/got-$c.txt" | head -40 >&2 || true
        svc_fail "$c: the service's alerts differ from replay's (< replay, > service)"
    fi
}

# ---- 1. one instance, the whole feed waiting before it starts -------------------------------
svc_start i1 "$conf" "$p1"
svc_wait_metric 120 i1 newsradar_articles_in_total -eq "$n_in"
svc_wait 180 "no event held and the alert topic settled" settled b.alerts i1
svc_stop i1
compare "case 1 (one instance)" b.alerts

# ---- 2. two instances sharing the backlog (a rebalance while it is read) ---------------------
pa="$(svc_free_port)"
pb="$(svc_free_port)"
conf2() {
    svc_config "$SVC_WORK/conf2" "b2-$1" "brokers=$bs" group=nr-backlog-2 "port=$1" commit=1s \
        partitions=4 input=c.articles alerts=c.alerts dlq=c.dlq counts=c.counts windows=c.windows \
        prop.session.timeout.ms=6000 prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=100
}
mk_topic c.articles "$n_parts" &
mk_topic c.counts 4
wait
mk_topic c.windows 4 cleanup.policy=compact &
mk_topic c.alerts 2
wait
mk_topic c.dlq 1
for ((p = 0; p < n_parts; p++)); do
    svc_produce "$bs" c.articles "$SVC_WORK/part$p.jsonl" -p "$p"
done
svc_start i2a "$(conf2 "$pa")" "$pa"
svc_start i2b "$(conf2 "$pb")" "$pb"
in_sum() { [ $(($(svc_metric i2a newsradar_articles_in_total) + $(svc_metric i2b newsradar_articles_in_total))) -eq "$n_in" ]; }
svc_wait 180 "$n_in articles read by i2a + i2b" in_sum
svc_wait 180 "no event held and c.alerts settled" settled c.alerts i2a i2b
a1="$(svc_metric i2a newsradar_assigned_partitions 'stage="articles"')"
b1="$(svc_metric i2b newsradar_assigned_partitions 'stage="articles"')"
svc_stop i2a
svc_stop i2b
svc_log "case 2: input partitions owned at the end: $a1 + $b1"
compare "case 2 (two instances)" c.alerts
echo "PASS: a backlog of $n_in articles on $n_parts partitions gives replay's $n_want alerts" \
    "(one instance, and two instances)"
