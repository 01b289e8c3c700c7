# shellcheck shell=bash
# Sourced by the Kafka test scripts: where the broker jars live.
#
# The jars (~45 MB) are cached outside the work tree so that a clean clone,
# CI and every developer share one download. Override with NR_KAFKA_JARS
# (the jar directory itself) or NR_CACHE_DIR (its parent).
NR_CACHE_DIR="${NR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/newsradar}"
NR_KAFKA_JARS="${NR_KAFKA_JARS:-$NR_CACHE_DIR/kafka-jars}"
# Written last by fetch-jars.sh: its presence means the directory is complete.
NR_KAFKA_STAMP="$NR_KAFKA_JARS/.complete"

nr_kafka_jars_present() {
    [ -f "$NR_KAFKA_STAMP" ] && compgen -G "$NR_KAFKA_JARS/kafka_2.13-*.jar" >/dev/null
}
