#!/usr/bin/env bash
# End-to-end check of the real-broker test harness: start Apache Kafka 4.x
# (KRaft) via broker.sh in a temp dir, create a 3-partition topic, produce 100
# keyed messages with kcat, consume them back and compare them one by one.
# Exit 77 (ctest: skipped) when the Kafka jars are not cached; CI runs
# tests/kafka/ci-setup.sh first, so there it runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/env.sh"

if ! nr_kafka_jars_present; then
    echo "SKIP: no Kafka jars in $NR_KAFKA_JARS (run tests/kafka/fetch-jars.sh)"
    exit 77
fi
for t in java kcat python3; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

dir="$(mktemp -d "${TMPDIR:-/tmp}/nr-kafka-real.XXXXXX")"
# Stop the broker however we leave (failure, ctest timeout's TERM, ^C);
# keep its logs for a post-mortem when the test failed.
cleanup() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ -f "$dir/broker.log" ]; then
        echo "--- broker.log (tail) ---" >&2
        tail -n 40 "$dir/broker.log" >&2 || true
    fi
    "$here/broker.sh" stop "$dir" --rm || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

fail() { echo "FAIL: $*" >&2; exit 1; }

bs="$(NR_KAFKA_OWNER_PID=$$ "$here/broker.sh" start "$dir")"
[[ "$bs" =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "bad bootstrap address '$bs'"
echo "broker at $bs"

topic=nr-test-articles
"$here/kafka-run-class.sh" topics --bootstrap-server "$bs" --create --topic "$topic" \
    --partitions 3 --replication-factor 1 ||
    fail "topic creation"

# Auto-creation is off, as in production: producing to an unknown topic must fail.
echo x | timeout 30 kcat -P -b "$bs" -t nr-no-such-topic -X message.timeout.ms=2000 2>/dev/null || true
if timeout 30 kcat -L -b "$bs" -t nr-no-such-topic 2>/dev/null | grep -q 'partition 0'; then
    fail "producing to an unknown topic auto-created it"
fi

expected="$dir/expected.txt"
got="$dir/got.txt"
for i in $(seq 1 100); do printf 'key-%03d\tmsg %d\n' "$i" "$i"; done >"$expected"

# acks=all + idempotence: kcat exits non-zero if any delivery report fails.
timeout 60 kcat -P -b "$bs" -t "$topic" -K $'\t' -X enable.idempotence=true <"$expected" ||
    fail "produce"

timeout 60 kcat -C -b "$bs" -t "$topic" -o beginning -e -q -f '%k\t%s\n' >"$got" ||
    fail "consume"

n="$(wc -l <"$got")"
[ "$n" -eq 100 ] || fail "consumed $n messages, expected 100"
diff <(sort "$expected") <(sort "$got") >/dev/null || fail "consumed messages differ from produced ones"

# Keys spread over all 3 partitions (the default partitioner hashes the key).
parts="$(timeout 60 kcat -C -b "$bs" -t "$topic" -o beginning -e -q -f '%p\n' | sort -u | wc -l)"
[ "$parts" -eq 3 ] || fail "messages landed in $parts partitions, expected 3"

echo "PASS: 100 messages produced and consumed back through $bs"
