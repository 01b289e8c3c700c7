#!/usr/bin/env bash
# `newsradar run` end to end against a real Apache Kafka 4.x broker (KRaft,
# broker.sh), topics created with Kafka's own tool, kcat as the independent
# client:
#   1. one instance: the demo articles plus malformed messages give alerts
#      valid against docs/alert.schema.json with the alert ids of `newsradar
#      replay`, and dead letters with their reasons;
#   2. two instances in one group: the union of their alerts has the same ids;
#   3. SIGTERM while processing, restart, the rest of the input: no alert id
#      is missing (repeats allowed, always with the same id);
#   4. SIGHUP with a broken watchlist: rejected, still serving and processing;
#      fixed and SIGHUP again: reloaded.
#   bash test_svc_e2e.sh NEWSRADAR SOURCE_ROOT
# Exit 77 (ctest: skipped) when the Kafka jars are not cached (run
# tests/kafka/fetch-jars.sh) or a tool is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 2 ] || { echo "usage: test_svc_e2e.sh NEWSRADAR SOURCE_ROOT" >&2; exit 2; }
if ! nr_kafka_jars_present; then
    echo "SKIP: no Kafka jars in $NR_KAFKA_JARS (run tests/kafka/fetch-jars.sh)"
    exit 77
fi
svc_need java kcat jq curl python3
if ! python3 -c 'import jsonschema' 2>/dev/null; then
    python3 -m pip install --quiet --user jsonschema 2>/dev/null ||
        python3 -m pip install --quiet --user --break-system-packages jsonschema 2>/dev/null ||
        true
    python3 -c 'import jsonschema' 2>/dev/null ||
        svc_fail "python3 jsonschema is missing and could not be installed (apt-get install python3-jsonschema)"
fi
svc_init svc-e2e "$1" "$2"
schema="$SVC_SRC/docs/alert.schema.json"

# ---- broker and topics -------------------------------------------------------------
bdir="$SVC_WORK/broker"
mkdir -p "$bdir"
SVC_HOOKS+=("[ \$rc -eq 0 ] || tail -n 30 '$bdir/broker.log' >&2; '$here/broker.sh' stop '$bdir'")
bs="$(NR_KAFKA_OWNER_PID=$$ "$here/broker.sh" start "$bdir")" || svc_fail "broker did not start"
svc_log "broker at $bs"

# One topic set per case: S.articles (1 partition: a deterministic order),
# S.counts and S.windows (4, windows compacted), S.alerts (2), S.dlq (1).
mk_topic() { # NAME PARTITIONS [CONFIG]
    "$here/kafka-run-class.sh" topics --bootstrap-server "$bs" --create --topic "$1" \
        --partitions "$2" --replication-factor 1 ${3:+--config "$3"} >/dev/null 2>&1
}
specs=()
for s in s1 s2 s3; do
    specs+=("$s.articles 1" "$s.counts 4" "$s.windows 4 cleanup.policy=compact" "$s.alerts 2"
        "$s.dlq 1")
done
# Two at a time: each is a short-lived JVM.
pids=()
for i in "${!specs[@]}"; do
    # shellcheck disable=SC2086
    mk_topic ${specs[$i]} &
    pids+=($!)
    if [ $((i % 2)) -eq 1 ]; then
        for p in "${pids[@]}"; do wait "$p" || svc_fail "topic creation failed"; done
        pids=()
    fi
done
for p in "${pids[@]}"; do wait "$p" || svc_fail "topic creation failed"; done
"$here/kafka-run-class.sh" topics --bootstrap-server "$bs" --describe --topic s1.windows \
    2>/dev/null | grep -q 'cleanup.policy=compact' || svc_fail "s1.windows is not compacted"
svc_log "created ${#specs[@]} topics"

# ---- input and the offline answer ----------------------------------------------------
input="$SVC_WORK/input.jsonl"
cp "$SVC_SRC/config/demo/articles.jsonl" "$input"
svc_malformed "$input" >/dev/null
n_in="$(wc -l <"$input")"
props=(prop.session.timeout.ms=6000 prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=100)
conf_for() { # SET GROUP PORT [DIR]
    svc_config "${4:-$SVC_WORK/conf-$1}" "$1-$3" brokers="$bs" group="$2" port="$3" commit=1s \
        partitions=4 input="$1.articles" alerts="$1.alerts" dlq="$1.dlq" counts="$1.counts" \
        windows="$1.windows" "${props[@]}"
}
p1="$(svc_free_port)"
conf1="$(conf_for s1 nr-e2e-1 "$p1")"
svc_replay_ids "$conf1" "$input" >"$SVC_WORK/expected.ids"
n_ids="$(wc -l <"$SVC_WORK/expected.ids")"
[ "$n_ids" -gt 0 ] || svc_fail "replay of the demo gave no alerts"
mapfile -t dl_want < <(sed -nE 's/^.*:([0-9]+): ([a-z0-9_]+): .*/\1:\2/p' "$SVC_WORK/replay.err")
n_dl="${#dl_want[@]}"
[ "$n_dl" -ge 6 ] || svc_fail "replay rejected only $n_dl lines"
svc_log "input: $n_in messages, $n_dl malformed; replay: $n_ids alert ids"

# ---- 1. one instance ------------------------------------------------------------------
svc_start i1 "$conf1" "$p1"
svc_wait 60 "i1: /readyz" svc_http_ok i1 /readyz
svc_wait_metric 60 i1 newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_produce "$bs" s1.articles "$input"
svc_wait_metric 60 i1 newsradar_articles_in_total -eq "$n_in"
svc_wait_metric 60 i1 newsradar_dead_letters_total -eq "$n_dl"
svc_wait 60 "all $n_ids replay alert ids in s1.alerts" svc_has_ids "$bs" s1.alerts "$SVC_WORK/expected.ids"
svc_alert_ids "$bs" s1.alerts >"$SVC_WORK/got1.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got1.ids" ||
    svc_fail "case 1: alert ids differ from replay's (< replay, > service)"
svc_check_alerts "$bs" s1.alerts "$schema"
svc_check_dead_letters "$bs" s1.dlq "$input" s1.articles 0 "${dl_want[@]}"
svc_log "case 1 ok: one instance: $n_ids alert ids as replay, schema-valid, $n_dl dead letters"

# ---- 4. SIGHUP (on the instance of case 1) ----------------------------------------------
wl="$SVC_WORK/conf-s1/watchlists/afpak.yaml"
cp "$wl" "$SVC_WORK/afpak.good"
# New articles that are tagged (so they make count events): demo lines about
# Torkham under fresh ids.
fresh() { awk '/Torkham/ && n < 3 { print; n++ }' "$input" | jq -c --arg p "$1" '.id = $p + .id'; }
events0="$(svc_metric i1 newsradar_count_events_total)"
printf 'entities:\n  - id: [this is not closed\n    kind: group\n' >"$wl"
kill -HUP "${SVC_PID[i1]}"
svc_wait_metric 30 i1 newsradar_reload_failures_total -eq 1
svc_http_ok i1 /healthz || svc_fail "case 4: /healthz not 200 after a rejected reload"
svc_http_ok i1 /readyz || svc_fail "case 4: /readyz not 200 after a rejected reload"
grep -q 'reload.*failed\|reload rejected' "${SVC_LOG[i1]}" || svc_fail "case 4: rejected reload not logged"
fresh hup1- >"$SVC_WORK/hup1.jsonl"
svc_produce "$bs" s1.articles "$SVC_WORK/hup1.jsonl"
svc_wait_metric 60 i1 newsradar_articles_in_total -eq "$((n_in + 3))"
svc_wait_metric 60 i1 newsradar_count_events_total -gt "$events0"
[ "$(svc_metric i1 newsradar_reloads_total)" -eq 0 ] || svc_fail "case 4: broken config counted as reloaded"
cp "$SVC_WORK/afpak.good" "$wl"
kill -HUP "${SVC_PID[i1]}"
svc_wait_metric 30 i1 newsradar_reloads_total -eq 1
events1="$(svc_metric i1 newsradar_count_events_total)"
fresh hup2- >"$SVC_WORK/hup2.jsonl"
svc_produce "$bs" s1.articles "$SVC_WORK/hup2.jsonl"
svc_wait_metric 60 i1 newsradar_articles_in_total -eq "$((n_in + 6))"
svc_wait_metric 60 i1 newsradar_count_events_total -gt "$events1"
[ "$(svc_metric i1 newsradar_reload_failures_total)" -eq 1 ] || svc_fail "case 4: good reload counted as failed"
svc_stop i1
svc_log "case 4 ok: broken watchlist rejected on SIGHUP (kept running, kept processing), fixed one reloaded"

# ---- 2. two instances in one group ---------------------------------------------------------
pa="$(svc_free_port)"
pb="$(svc_free_port)"
conf2a="$(conf_for s2 nr-e2e-2 "$pa")"
conf2b="$(conf_for s2 nr-e2e-2 "$pb")"
svc_start i2a "$conf2a" "$pa"
svc_start i2b "$conf2b" "$pb"
spread() { # the counts partitions split over both, the article partition taken
    local a b x y
    a="$(svc_metric i2a newsradar_assigned_partitions 'stage="counts"')" || return 1
    b="$(svc_metric i2b newsradar_assigned_partitions 'stage="counts"')" || return 1
    x="$(svc_metric i2a newsradar_assigned_partitions 'stage="articles"')" || return 1
    y="$(svc_metric i2b newsradar_assigned_partitions 'stage="articles"')" || return 1
    [ "$a" -ge 1 ] && [ "$b" -ge 1 ] && [ $((a + b)) -eq 4 ] && [ $((x + y)) -eq 1 ]
}
svc_wait 90 "counts partitions spread over both instances of nr-e2e-2" spread
# /readyz means "has its share of partitions and no fatal error": both are
# ready, also the one that owns no article partition.
for id in i2a i2b; do
    svc_http_ok "$id" /readyz || svc_fail "case 2: $id not ready after the group settled"
done
svc_produce "$bs" s2.articles "$input"
in_sum() { [ $(($(svc_metric i2a newsradar_articles_in_total) + $(svc_metric i2b newsradar_articles_in_total))) -eq "$n_in" ]; }
svc_wait 60 "$n_in articles read by i2a + i2b" in_sum
svc_wait 60 "all $n_ids replay alert ids in s2.alerts" svc_has_ids "$bs" s2.alerts "$SVC_WORK/expected.ids"
svc_alert_ids "$bs" s2.alerts >"$SVC_WORK/got2.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got2.ids" ||
    svc_fail "case 2: alert ids of two instances differ from replay's (< replay, > service)"
na="$(svc_metric i2a newsradar_alerts_total)"
nb="$(svc_metric i2b newsradar_alerts_total)"
svc_check_dead_letters "$bs" s2.dlq "$input" s2.articles 0 "${dl_want[@]}"
# Scale down: i2b takes over i2a's partitions and restores their window
# state from the changelog (i2a checkpointed it when they were revoked).
svc_stop i2a
svc_wait_metric 60 i2b newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_wait_metric 60 i2b newsradar_assigned_partitions -eq 1 'stage="articles"'
svc_wait_metric 60 i2b newsradar_restored_keys_total -gt 0
restored="$(svc_metric i2b newsradar_restored_keys_total)"
svc_stop i2b
svc_log "case 2 ok: two instances: $n_ids alert ids as replay (alerts by instance: $na + $nb);" \
    "after scale-down the survivor restored $restored keys"

# ---- 3. SIGTERM while processing, restart ------------------------------------------------
p3="$(svc_free_port)"
conf3="$(conf_for s3 nr-e2e-3 "$p3")"
half=$((n_in / 2))
head -n "$half" "$input" >"$SVC_WORK/first.jsonl"
tail -n +"$((half + 1))" "$input" >"$SVC_WORK/second.jsonl"
svc_start i3 "$conf3" "$p3"
svc_wait 60 "i3: /readyz" svc_http_ok i3 /readyz
svc_wait_metric 60 i3 newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_produce "$bs" s3.articles "$SVC_WORK/first.jsonl"
svc_wait_metric 60 i3 newsradar_articles_in_total -ge 1
read1="$(svc_metric i3 newsradar_articles_in_total)"
svc_stop i3
svc_start i3 "$conf3" "$p3"
svc_wait 60 "i3 (restarted): /readyz" svc_http_ok i3 /readyz
svc_wait_metric 60 i3 newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_produce "$bs" s3.articles "$SVC_WORK/second.jsonl"
svc_wait_metric 60 i3 newsradar_articles_in_total -ge "$((n_in - half))"
svc_wait 60 "all $n_ids replay alert ids in s3.alerts" svc_has_ids "$bs" s3.alerts "$SVC_WORK/expected.ids"
svc_alert_ids "$bs" s3.alerts >"$SVC_WORK/got3.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got3.ids" ||
    svc_fail "case 3: alert ids after a restart differ from replay's (< replay, > service)"
SVC_DL_DUPS_OK=1 svc_check_dead_letters "$bs" s3.dlq "$input" s3.articles 0 "${dl_want[@]}"
read2="$(svc_metric i3 newsradar_articles_in_total)"
n3="$(svc_count "$bs" s3.alerts)"
svc_stop i3
svc_log "case 3 ok: SIGTERM after $read1 of $half read, restart read $read2 more; no alert id" \
    "missing ($n3 alert messages for $n_ids ids)"

echo "PASS: newsradar run on Apache Kafka (alerts = replay, schema, dead letters, two instances," \
    "SIGTERM restart, SIGHUP reload)"
