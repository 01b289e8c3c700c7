#!/usr/bin/env bash
# kafka.properties are passed to librdkafka as they are: a property it
# rejects must be a configuration error with file:line:col, in `check` and
# in `run` (before any connection is tried).
set -euo pipefail
nr="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
src="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cp -r "$src/tests/data/config/common" "$tmp/common"
cat >"$tmp/bad.yaml" <<'YAML'
watchlists: [common/countries.yaml]
kafka:
  properties:
    no.such.property: "1"
    acks: "sometimes"
    linger.ms: "5"
YAML
cd "$tmp"
status=0
"$nr" check -c bad.yaml >out 2>err || status=$?
[ "$status" -eq 2 ] || fail "check exited $status, expected 2"
grep -q '^bad.yaml:4:5: kafka.properties.no.such.property: ' err || fail "unknown property not reported at 4:5: $(cat err)"
grep -q '^bad.yaml:5:5: kafka.properties.acks: ' err || fail "invalid value not reported at 5:5: $(cat err)"
[ "$(wc -l <err)" -eq 2 ] || fail "expected exactly 2 diagnostics: $(cat err)"

status=0
timeout 20 "$nr" run -c bad.yaml >out 2>err || status=$?
[ "$status" -eq 2 ] || fail "run exited $status, expected 2"
grep -q '^bad.yaml:4:5: kafka.properties.no.such.property: ' err || fail "run did not report the property: $(cat err)"

sed -i '/no.such.property/d; /acks/d' bad.yaml
"$nr" check -c bad.yaml >out 2>err || fail "valid properties rejected: $(cat err)"
echo "kafka_props: ok"
