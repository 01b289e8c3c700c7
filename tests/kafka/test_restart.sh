#!/usr/bin/env bash
# Restarting one instance again and again, then stopping it, must end with
# exit 0 every time (issue #11). librdkafka 2.0.2 aborted in
# rd_kafka_sticky_assignor_state_destroy (Assertion 'assignor_state') when
# a cooperative-sticky consumer was closed after joining its group but
# before its first assignment: after a kill -9 the group waits for the dead
# member's session to expire, so a SIGTERM soon after the restart fell in
# that window. Rounds: kill -9, restart, SIGTERM at once (before the first
# assignment) and again after it was assigned; the last start runs to its
# assignment and stops. Every SIGTERM must give exit 0, no abort.
#   bash test_restart.sh NEWSRADAR SOURCE_ROOT
# Real Apache Kafka 4.x (broker.sh); exit 77 (skipped) without the jars.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 2 ] || { echo "usage: test_restart.sh NEWSRADAR SOURCE_ROOT" >&2; exit 2; }
if ! nr_kafka_jars_present; then
    echo "SKIP: no Kafka jars in $NR_KAFKA_JARS (run tests/kafka/fetch-jars.sh)"
    exit 77
fi
svc_need java kcat curl python3
svc_init svc-restart "$1" "$2"
rounds="${NR_RESTART_ROUNDS:-4}"

bdir="$SVC_WORK/broker"
mkdir -p "$bdir"
SVC_HOOKS+=("[ \$rc -eq 0 ] || tail -n 30 '$bdir/broker.log' >&2; '$here/broker.sh' stop '$bdir'")
bs="$(NR_KAFKA_OWNER_PID=$$ "$here/broker.sh" start "$bdir")" || svc_fail "broker did not start"
svc_log "broker at $bs"
for t in "r.articles 3" "r.counts 4" "r.windows 4 cleanup.policy=compact" "r.alerts 1" "r.dlq 1"; do
    set -- $t
    "$here/kafka-run-class.sh" topics --bootstrap-server "$bs" --create --topic "$1" \
        --partitions "$2" --replication-factor 1 ${3:+--config "$3"} >/dev/null 2>&1 ||
        svc_fail "cannot create topic $1"
done
svc_produce "$bs" r.articles "$SVC_SRC/config/demo/articles.jsonl"
port="$(svc_free_port)"
conf="$(svc_config "$SVC_WORK/conf" r "brokers=$bs" group=nr-restart "port=$port" commit=1s \
    partitions=4 input=r.articles alerts=r.alerts dlq=r.dlq counts=r.counts windows=r.windows \
    prop.session.timeout.ms=10000 prop.heartbeat.interval.ms=500)"
assigned() { svc_metric_cmp i newsradar_assigned_partitions -gt 0 'stage="counts"'; }
for ((k = 1; k <= rounds; k++)); do
    svc_start i "$conf" "$port"
    svc_wait 120 "round $k: i assigned" assigned
    kill -KILL "${SVC_PID[i]}"
    wait "${SVC_PID[i]}" 2>/dev/null || true
    unset "SVC_PID[i]"
    # the group now waits for the dead member: stop inside that wait
    svc_start i "$conf" "$port"
    svc_stop i 60
    svc_log "round $k: kill -9, restart, SIGTERM before the assignment: exit 0"
done
grep -q 'Assertion' "$SVC_WORK/i.log" && svc_fail "an assertion failed (see $SVC_WORK/i.log)"
n_early="$(grep -c 'stopping before the first assignment' "$SVC_WORK/i.log" || true)"
svc_log "$n_early of the $((rounds * 2)) consumer closes came before their first assignment"
[ "$n_early" -ge 1 ] || svc_fail "no SIGTERM fell before the first assignment: the case is not reached"
svc_start i "$conf" "$port"
svc_wait 120 "last start: i assigned" assigned
svc_stop i 60
echo "PASS: $rounds rounds of kill -9, restart and SIGTERM before the first assignment, then a" \
    "normal start and stop: every SIGTERM exited 0"
