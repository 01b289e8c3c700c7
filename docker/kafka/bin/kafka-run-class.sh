#!/bin/bash
# kafka-run-class.sh CLASS ARGS...: one class from /opt/kafka/libs.
set -eu
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile=/opt/kafka/bin/log4j2-tools.properties \
    -cp '/opt/kafka/libs/*' "$@"
