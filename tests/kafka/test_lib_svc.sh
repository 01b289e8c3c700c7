#!/usr/bin/env bash
# test_lib_svc.sh - the start-up wait of lib_svc.sh (svc_start) with stand-in
# binaries instead of `newsradar run`, no Kafka:
#   1. a service that exits during start-up fails svc_start at once, with its
#      exit status, however long NR_SVC_START_TIMEOUT is (not "timed out");
#   2. a service slow to answer /healthz is waited for (the default deadline
#      is generous: start-up under ASan or valgrind on a loaded machine).
#   bash test_lib_svc.sh SOURCE_ROOT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${1:?usage: test_lib_svc.sh SOURCE_ROOT}"
command -v curl >/dev/null && command -v python3 >/dev/null || { echo "SKIP: curl/python3"; exit 77; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# A stand-in for newsradar: `check` passes; `run` does what $FAKE_MODE says.
cat >"$tmp/fake-nr" <<'SH'
#!/usr/bin/env bash
[ "$1" = check ] && exit 0
case "$FAKE_MODE" in
die) echo "fake: bad configuration" >&2; exit 2 ;;
slow) sleep 2; exec python3 -m http.server --bind 127.0.0.1 --directory "$FAKE_WWW" "$FAKE_PORT" ;;
esac
SH
chmod +x "$tmp/fake-nr"
mkdir "$tmp/www" && echo ok >"$tmp/www/healthz"

# Each case runs lib_svc.sh in its own shell (svc_fail exits it).
run_case() { # MODE TIMEOUT -> stdout+stderr of the case in $tmp/MODE.out, its status
    local mode="$1" secs="$2" port
    port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
    FAKE_MODE="$mode" FAKE_PORT="$port" FAKE_WWW="$tmp/www" NR_SVC_START_TIMEOUT="$secs" bash -c '
        . "$1/lib_svc.sh"
        svc_init libsvc "$2" "$3"
        conf="$(svc_config "$SVC_WORK/conf" main port="$4")"
        svc_start s1 "$conf" "$4"
        echo "started"
        kill -TERM "${SVC_PID[s1]}"
    ' case "$here" "$tmp/fake-nr" "$src" "$port" >"$tmp/$mode.out" 2>&1
}

rc=0
run_case die 100000 || rc=$?
[ "$rc" -ne 0 ] || fail "a service that exits at start-up passed svc_start"
grep -q 'exited with status 2 while waiting for: s1: /healthz' "$tmp/die.out" ||
    fail "svc_start does not name the exit: $(cat "$tmp/die.out")"
grep -q 'timed out' "$tmp/die.out" && fail "svc_start waited for its deadline: $(cat "$tmp/die.out")"
grep -q 'fake: bad configuration' "$tmp/die.out" || fail "the service log is not shown: $(cat "$tmp/die.out")"

rc=0
run_case slow "" || rc=$?
[ "$rc" -eq 0 ] && grep -qx started "$tmp/slow.out" ||
    fail "a slow start-up was not waited for (status $rc): $(cat "$tmp/slow.out")"

[ "$failures" -eq 0 ] || exit 1
echo "lib_svc: svc_start fails at once on exit, waits for a slow start"
