#!/usr/bin/env bash
# CI / developer setup for the Kafka tests (called by .ci/run via tests/run.sh).
# Idempotent: installs a Java 17+ runtime, Maven, kcat and python3 when
# missing (Debian packages), then fills the Kafka jar cache (fetch-jars.sh;
# no network when the cache is already complete). Exits non-zero when the
# jars cannot be had, so CI does not silently skip the real-broker test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

java_major() {
    # "openjdk version "17.0.15" ..." -> 17 ; "1.8.0_x" -> 1
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

missing=()
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ]; then
    missing+=(openjdk-17-jre-headless) # Kafka 4.x brokers need Java 17+
fi
command -v mvn >/dev/null || missing+=(maven)
command -v kcat >/dev/null || missing+=(kcat)
command -v python3 >/dev/null || missing+=(python3)

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "kafka ci-setup: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

bash "$here/fetch-jars.sh"
