#!/bin/bash
# The broker's entrypoint: server.properties from the KAFKA_* environment
# (as apache/kafka reads it), storage formatted on first start (CLUSTER_ID,
# or a fixed demo id), then kafka.Kafka in the foreground as PID 1's exec.
set -euo pipefail
props=/opt/kafka/config/server.properties
: >"$props"
while IFS='=' read -r name value; do
    case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_LOG4J_OPTS | KAFKA_JVM_PERFORMANCE_OPTS) continue ;;
    KAFKA_*) ;;
    *) continue ;;
    esac
    key="${name#KAFKA_}"
    key="${key,,}"
    key="${key//___/-}"
    key="${key//__/@}"
    key="${key//_/.}"
    key="${key//@/_}"
    printf '%s=%s\n' "$key" "$value" >>"$props"
done < <(env)
grep -q '^log\.dirs=' "$props" || echo "log.dirs=/var/lib/kafka/data" >>"$props"
log_dir="$(sed -n 's/^log\.dirs=//p' "$props" | cut -d, -f1)"
java_opts=(${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true
    -Dlog4j2.configurationFile=/opt/kafka/bin/log4j2.properties -cp '/opt/kafka/libs/*')
# Static voters (controller.quorum.voters, as in the compose file) are
# formatted as they are; a dynamic quorum's first controller with --standalone.
standalone=(--standalone)
grep -q '^controller\.quorum\.voters=' "$props" && standalone=()
if [ ! -f "$log_dir/meta.properties" ]; then
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" \
        -c "$props" "${standalone[@]}" --ignore-formatted
fi
exec java "${java_opts[@]}" kafka.Kafka "$props"
