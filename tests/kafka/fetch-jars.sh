#!/usr/bin/env bash
# Fetch the Apache Kafka broker jars listed in tests/kafka/pom.xml into the
# cache (see env.sh). Idempotent and offline once done: when the cache holds a
# complete copy made from the same pom, Maven is not started at all.
#
# The copy goes to a temporary sibling directory first and is renamed into
# place, so an interrupted download never leaves a half-filled cache that a
# later run would take for complete.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/env.sh"

pom="$here/pom.xml"
want="$(sha256sum "$pom" | cut -d' ' -f1)"

if nr_kafka_jars_present && [ "$(cat "$NR_KAFKA_STAMP")" = "$want" ]; then
    echo "kafka jars: cached in $NR_KAFKA_JARS" >&2
    exit 0
fi

command -v mvn >/dev/null || { echo "fetch-jars: mvn not found (apt-get install maven)" >&2; exit 2; }

mkdir -p "$(dirname "$NR_KAFKA_JARS")"
tmp="$(mktemp -d "$NR_KAFKA_JARS.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "kafka jars: fetching into $NR_KAFKA_JARS" >&2
# Maven 3.8 prints colour resets even in batch mode: strip them.
mvn_copy() {
    mvn -q -B "$@" -f "$pom" dependency:copy-dependencies -DoutputDirectory="$tmp" 2>&1 |
        sed 's/\x1b\[[0-9;]*m//g' >&2
}
# Offline first: a populated ~/.m2 (e.g. the cache dir was wiped) needs no network.
mvn_copy -o >/dev/null 2>&1 || mvn_copy
echo "$want" >"$tmp/.complete"

rm -rf "$NR_KAFKA_JARS"
mv "$tmp" "$NR_KAFKA_JARS"
trap - EXIT
echo "kafka jars: $(ls "$NR_KAFKA_JARS"/*.jar | wc -l) jars in $NR_KAFKA_JARS" >&2
