#!/usr/bin/env bash
# Checks the mock_cluster helper as the Kafka tests will use it: start 3 mock
# brokers, produce with kcat and consume back, then take the leader of a
# partition down (producing to it must fail) and up again (it must succeed).
#   bash test_mock.sh PATH/TO/mock_cluster
# Exit 77 (ctest: skipped) when kcat is missing.
set -euo pipefail
mc_bin="${1:?usage: test_mock.sh PATH/TO/mock_cluster}"
command -v kcat >/dev/null || { echo "SKIP: kcat not installed"; exit 77; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# The helper talks over a pipe pair: one command line in, one reply line out.
work="$(mktemp -d "${TMPDIR:-/tmp}/nr-kafka-mock.XXXXXX")"
coproc MC { exec "$mc_bin" 3 nr-test:3 nr-fault:1; }
mc_pid=$MC_PID
cleanup() {
    local rc=$?
    rm -rf "$work"
    if kill -0 "$mc_pid" 2>/dev/null; then
        kill -TERM "$mc_pid" 2>/dev/null || true
        wait "$mc_pid" 2>/dev/null || true
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

mc() {
    local reply
    echo "$*" >&"${MC[1]}"
    read -r -t 10 reply <&"${MC[0]}" || fail "no reply to '$*'"
    echo "$reply"
}

read -r -t 10 bs <&"${MC[0]}" || fail "no bootstrap line"
read -r -t 10 ready <&"${MC[0]}" || fail "no ready line"
[ "$ready" = ready ] || fail "expected 'ready', got '$ready'"
[[ "$bs" =~ ^127\.0\.0\.1:[0-9]+(,127\.0\.0\.1:[0-9]+){2}$ ]] || fail "bad bootstrap list '$bs'"
echo "mock cluster at $bs"

# Round trip: 30 keyed messages over 3 partitions.
exp="$work/expected"
got="$work/got"
for i in $(seq 1 30); do printf 'k%02d\tv%d\n' "$i" "$i"; done >"$exp"
timeout 30 kcat -P -b "$bs" -t nr-test -K $'\t' <"$exp" || fail "produce"
timeout 30 kcat -C -b "$bs" -t nr-test -o beginning -e -q -f '%k\t%s\n' >"$got" || fail "consume"
diff <(sort "$exp") <(sort "$got") >/dev/null || fail "consumed messages differ: $(wc -l <"$got") of 30"
echo "ok: 30 messages round-tripped"

# Unknown commands and broker ids are refused, not ignored.
[[ "$(mc down 7)" == error:* ]] || fail "down 7 accepted on a 3-broker cluster"
[[ "$(mc frobnicate)" == error:* ]] || fail "unknown command accepted"

# Fault: pin nr-fault/0 on broker 2, take broker 2 down.
[ "$(mc leader nr-fault 0 2)" = ok ] || fail "leader"
[ "$(mc down 2)" = ok ] || fail "down 2"
if echo lost | timeout 30 kcat -P -b "$bs" -t nr-fault -p 0 -X message.timeout.ms=3000 2>/dev/null; then
    fail "produce to a partition whose leader is down succeeded"
fi
echo "ok: produce fails while the leader is down"

[ "$(mc up 2)" = ok ] || fail "up 2"
echo back | timeout 30 kcat -P -b "$bs" -t nr-fault -p 0 -X message.timeout.ms=10000 ||
    fail "produce after the leader came back"
n="$(timeout 30 kcat -C -b "$bs" -t nr-fault -p 0 -o beginning -e -q | grep -c '^back$' || true)"
[ "$n" = 1 ] || fail "message produced after recovery not found (got $n)"
echo "ok: produce succeeds after the leader is up again"

# Clean exit on quit.
echo quit >&"${MC[1]}"
wait "$mc_pid" || fail "mock_cluster exited with $? on quit"
echo "PASS: mock cluster round trip and broker down/up"
