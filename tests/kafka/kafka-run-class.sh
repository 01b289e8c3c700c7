#!/usr/bin/env bash
# Run one class from the cached Kafka jars, like Kafka's bin/kafka-run-class.sh:
#   kafka-run-class.sh org.apache.kafka.tools.TopicCommand --bootstrap-server B --list
# Short names for the tools tests use: topics, consumer-groups, get-offsets.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/env.sh"
nr_kafka_jars_present || { echo "no Kafka jars in $NR_KAFKA_JARS: run tests/kafka/fetch-jars.sh" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: kafka-run-class.sh CLASS|topics|consumer-groups|get-offsets [ARGS...]" >&2; exit 2; }
cls="$1"
shift
case "$cls" in
topics) cls=org.apache.kafka.tools.TopicCommand ;;
consumer-groups) cls=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
get-offsets) cls=org.apache.kafka.tools.GetOffsetShell ;;
esac
# C1 only: these tools run for a second or two, where full JIT only costs.
exec java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    "-Dlog4j2.configurationFile=$here/log4j2-tools.properties" \
    -cp "$NR_KAFKA_JARS/*" "$cls" "$@"
