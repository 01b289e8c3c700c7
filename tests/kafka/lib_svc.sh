# shellcheck shell=bash
# lib_svc.sh - helpers shared by the `newsradar run` tests (test_svc_mock.sh,
# test_svc_e2e.sh). Sourced, never run.
#
#   . lib_svc.sh
#   svc_init NAME NEWSRADAR_BIN SOURCE_ROOT   # temp dir, traps
#   conf=$(svc_config DIR NAME brokers=B group=G port=P ...)
#   svc_start ID "$conf" PORT                 # background `newsradar run`
#   svc_wait 30 "what" CMD...                 # bounded wait, clear failure
#   svc_metric PORT NAME [LABEL-SUBSTRING]    # sum of matching samples
#   svc_stop ID                               # SIGTERM, must exit 0
#
# Everything runs on 127.0.0.1. Every process a test starts is registered
# here by PID and stopped from the EXIT trap, also when the test fails or
# ctest's timeout sends TERM. Waits are bounded and name what they waited
# for; nothing asserts on how long something took.

SVC_WORK=""
SVC_NR=""
SVC_SRC=""
declare -gA SVC_PID=()  # id -> pid of a `newsradar run`
declare -gA SVC_LOG=()  # id -> log file
declare -gA SVC_PORT=() # id -> http port
SVC_HOOKS=()            # commands run at exit (stop brokers, ...)
SVC_PRINT_LOGS=1        # tail the service logs on failure

svc_log() { echo "[$(date +%H:%M:%S)] $*"; }

SVC_FAIL_MSG=""
svc_fail() {
    SVC_FAIL_MSG="$*"
    echo "FAIL: $*" >&2
    exit 1
}

svc_cleanup() {
    local rc=$? id pid i
    for id in "${!SVC_PID[@]}"; do
        pid="${SVC_PID[$id]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for i in $(seq 1 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ] && [ "$SVC_PRINT_LOGS" = 1 ]; then
        for id in "${!SVC_LOG[@]}"; do
            [ -f "${SVC_LOG[$id]}" ] || continue
            echo "--- ${id}: ${SVC_LOG[$id]} (tail) ---" >&2
            tail -n 30 "${SVC_LOG[$id]}" >&2 || true
        done
    fi
    for i in "${!SVC_HOOKS[@]}"; do
        eval "${SVC_HOOKS[$i]}" || true
    done
    # Repeated last, below the log tails; a bare `set -e` exit names its command.
    if [ "$rc" -ne 0 ]; then
        echo "FAIL: ${SVC_FAIL_MSG:-exit status $rc at ${SVC_ERR:-?}}" >&2
    fi
    if [ -n "$SVC_WORK" ] && [ -d "$SVC_WORK" ]; then
        if [ "${NR_TEST_KEEP:-0}" = 1 ]; then
            echo "kept $SVC_WORK" >&2
        else
            rm -rf "$SVC_WORK"
        fi
    fi
    exit "$rc"
}

# svc_init NAME NEWSRADAR_BIN SOURCE_ROOT
svc_init() {
    local name="$1"
    SVC_NR="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
    SVC_SRC="$(cd "$3" && pwd)"
    [ -x "$SVC_NR" ] || svc_fail "newsradar binary '$2' not found"
    [ -f "$SVC_SRC/config/newsradar.yaml" ] || svc_fail "no config/newsradar.yaml under '$3'"
    SVC_WORK="$(mktemp -d "${TMPDIR:-/tmp}/nr-$name.XXXXXX")"
    set -E
    trap 'SVC_ERR="line $LINENO: $BASH_COMMAND"' ERR
    trap svc_cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
}

svc_need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || {
            echo "SKIP: $t not installed"
            exit 77
        }
    done
}

# svc_mock MOCK_CLUSTER BROKERS TOPIC[:PARTITIONS]...: librdkafka's mock
# cluster (mock_cluster.c) as a coprocess, stopped at exit; sets SVC_BS to
# its bootstrap list once it is ready. svc_mc CMD...: one command to it
# (down, up, perr, rerr, topic, ...), failing the test unless it answers ok.
svc_mock() {
    local bin="$1" ready
    shift
    coproc MC { exec "$bin" "$@"; }
    # shellcheck disable=SC2153 # MC_PID is set by coproc
    SVC_HOOKS+=("kill -TERM $MC_PID 2>/dev/null; wait $MC_PID 2>/dev/null")
    read -r -t 10 SVC_BS <&"${MC[0]}" || svc_fail "mock_cluster: no bootstrap line"
    read -r -t 10 ready <&"${MC[0]}" || svc_fail "mock_cluster: no ready line"
    [ "$ready" = ready ] || svc_fail "mock_cluster: expected 'ready', got '$ready'"
}
svc_mc() {
    local reply
    echo "$*" >&"${MC[1]}"
    read -r -t 10 reply <&"${MC[0]}" || svc_fail "mock_cluster: no reply to '$*'"
    [ "$reply" = ok ] || svc_fail "mock_cluster: '$*' -> $reply"
}

# A free TCP port on 127.0.0.1 (the kernel may reuse it before we bind, but
# on loopback within a test that window is tiny).
svc_free_port() {
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# svc_wait SECONDS DESCRIPTION CMD... : retry CMD every 0.2 s. Fails at once,
# with the log, when a registered service died meanwhile.
svc_wait() {
    local secs="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + secs)) id rc=0
    while ! "$@"; do
        for id in "${!SVC_PID[@]}"; do
            kill -0 "${SVC_PID[$id]}" 2>/dev/null || {
                wait "${SVC_PID[$id]}" 2>/dev/null || rc=$?
                svc_fail "$id (pid ${SVC_PID[$id]}) exited with status $rc while waiting for: $what"
            }
        done
        [ "$SECONDS" -lt "$deadline" ] || svc_fail "timed out after ${secs}s waiting for: $what"
        sleep 0.2
    done
}

# ---- configuration ------------------------------------------------------------

# svc_config DIR NAME KEY=VALUE... -> prints the path of DIR/NAME.yaml: a copy
# of config/newsradar.yaml with the given values. DIR receives a copy of the
# watchlists/, rules/ and lexicon/ directories (once), so the relative paths of the copy
# keep working and a test may break its own watchlist copy (SIGHUP test).
# Keys: brokers group input alerts dlq counts windows enriched partitions port commit
# flush level; prop.NAME=VALUE adds a kafka.properties entry (quoted as a string).
svc_config() {
    local dir="$1" name="$2"
    shift 2
    mkdir -p "$dir"
    [ -d "$dir/watchlists" ] || cp -r "$SVC_SRC/config/watchlists" "$dir/watchlists"
    [ -d "$dir/rules" ] || cp -r "$SVC_SRC/config/rules" "$dir/rules"
    [ -d "$dir/lexicon" ] || cp -r "$SVC_SRC/config/lexicon" "$dir/lexicon"
    local out="$dir/$name.yaml" kv k v props="" pat val
    cp "$SVC_SRC/config/newsradar.yaml" "$out"
    # key -> (line pattern, replacement prefix); each pattern must match once
    # so that a reshaped shipped config fails loudly instead of silently.
    for kv in "$@"; do
        k="${kv%%=*}"
        v="${kv#*=}"
        case "$k" in
        brokers) pat='^  brokers: ' val="  brokers: $v" ;;
        group) pat='^  group_id: ' val="  group_id: $v" ;;
        input) pat='^  input_topics: ' val="  input_topics: [$v]" ;;
        alerts) pat='^  alert_topic: ' val="  alert_topic: $v" ;;
        dlq) pat='^  dead_letter_topic: ' val="  dead_letter_topic: $v" ;;
        counts) pat='^  repartition_topic: ' val="  repartition_topic: $v" ;;
        windows) pat='^  changelog_topic: ' val="  changelog_topic: $v" ;;
        enriched) pat='^  enriched_topic: ' val="  enriched_topic: $v" ;;
        partitions) pat='^  repartition_partitions: ' val="  repartition_partitions: $v" ;;
        commit) pat='^  commit_interval: ' val="  commit_interval: $v" ;;
        flush) pat='^  flush_timeout: ' val="  flush_timeout: $v" ;;
        idle) pat='^  partition_idle: ' val="  partition_idle: $v" ;;
        port) pat='^  port: ' val="  port: $v" ;;
        level) pat='^  level: ' val="  level: $v" ;;
        guarantee) pat='^  guarantee: ' val="  guarantee: $v" ;;
        instance) pat='^  instance_id: ' val="  instance_id: $v" ;;
        prop.*)
            props+="    ${k#prop.}: \"$v\""$'\n'
            continue
            ;;
        *) svc_fail "svc_config: unknown key '$k'" ;;
        esac
        [ "$(grep -c -E "$pat" "$out")" = 1 ] ||
            svc_fail "svc_config: '$pat' does not match exactly one line of config/newsradar.yaml"
        VAL="$val" awk -v pat="$pat" '$0 ~ pat { print ENVIRON["VAL"]; next } { print }' \
            "$out" >"$out.tmp"
        mv "$out.tmp" "$out"
    done
    # The shipped properties block holds only `client.id` (and comments).
    pat='^    client\.id: '
    [ "$(grep -c -E "$pat" "$out")" = 1 ] ||
        svc_fail "svc_config: kafka.properties.client.id not found in config/newsradar.yaml"
    VAL="$props    client.id: newsradar-test" awk -v pat="$pat" \
        '$0 ~ pat { print ENVIRON["VAL"]; next } { print }' "$out" >"$out.tmp"
    mv "$out.tmp" "$out"
    "$SVC_NR" check -c "$out" >"$out.check" 2>&1 || {
        cat "$out.check" >&2
        svc_fail "generated config $out is invalid"
    }
    echo "$out"
}

# ---- the service ----------------------------------------------------------------

# svc_start ID CONFIG PORT : start `newsradar run -c CONFIG`, wait for /healthz.
# Startup (configuration load, automaton build) takes a fraction of a second
# in a release build but several seconds under ASan or valgrind on a loaded
# machine, so the wait is generous: NR_SVC_START_TIMEOUT seconds (default
# 180). It is a deadline, not an assertion on speed: a process that exits
# (bad config, crash) fails the wait at once with its log.
svc_start() {
    local id="$1" conf="$2" port="$3" log
    log="$SVC_WORK/$id.log"
    # Append: a restarted instance keeps the earlier run's log above.
    echo "=== start $(date +%T)" >>"$log"
    "$SVC_NR" run -c "$conf" >>"$log" 2>&1 &
    SVC_PID[$id]=$!
    SVC_LOG[$id]="$log"
    SVC_PORT[$id]="$port"
    svc_wait "${NR_SVC_START_TIMEOUT:-180}" "$id: /healthz on port $port (pid ${SVC_PID[$id]})" \
        svc_http_ok "$id" /healthz
}

svc_alive() { kill -0 "${SVC_PID[$1]}" 2>/dev/null; }

svc_assert_alive() {
    svc_alive "$1" || svc_fail "$1 (pid ${SVC_PID[$1]}) is not running"
}

# svc_http_ok ID PATH : 200 from the service's PATH.
svc_http_ok() {
    curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:${SVC_PORT[$1]}$2" 2>/dev/null
}

# svc_metric ID NAME [LABEL-SUBSTRING] : sum of the samples of NAME (with the
# label substring if given); 0 when there are none; status 1 if unreachable.
svc_metric() {
    local id="$1" name="$2" lab="${3:-}" text
    text="$(curl -fsS --max-time 5 "http://127.0.0.1:${SVC_PORT[$id]}/metrics" 2>/dev/null)" ||
        return 1
    awk -v n="$name" -v lab="$lab" '
        $1 == n || index($1, n "{") == 1 {
            if (lab == "" || index($1, lab) > 0) s += $NF
        }
        END { printf "%.0f\n", s }' <<<"$text"
}

# svc_metric_cmp ID NAME OP VALUE [LABEL] : for svc_wait (OP: -eq -ge -gt ...);
# leaves the value read in SVC_LAST.
SVC_LAST=""
svc_metric_cmp() {
    SVC_LAST="$(svc_metric "$1" "$2" "${5:-}")" || { SVC_LAST="(unreachable)"; return 1; }
    case "$3" in
    -eq) [ "$SVC_LAST" -eq "$4" ] ;;
    -ne) [ "$SVC_LAST" -ne "$4" ] ;;
    -ge) [ "$SVC_LAST" -ge "$4" ] ;;
    -gt) [ "$SVC_LAST" -gt "$4" ] ;;
    -le) [ "$SVC_LAST" -le "$4" ] ;;
    -lt) [ "$SVC_LAST" -lt "$4" ] ;;
    *) svc_fail "svc_metric_cmp: unknown operator '$3'" ;;
    esac
}

# svc_wait_metric SECONDS ID NAME OP VALUE [LABEL]
svc_wait_metric() {
    local secs="$1" id="$2" name="$3" op="$4" want="$5" lab="${6:-}"
    local deadline=$((SECONDS + secs))
    while ! svc_metric_cmp "$id" "$name" "$op" "$want" "$lab"; do
        svc_assert_alive "$id"
        [ "$SECONDS" -lt "$deadline" ] ||
            svc_fail "timed out after ${secs}s waiting for $id: $name${lab:+ [$lab]} $op $want (last value: $SVC_LAST)"
        sleep 0.2
    done
}

# svc_stop ID [SECONDS] : SIGTERM; the service must drain and exit 0.
svc_stop() {
    local id="$1" secs="${2:-60}" pid rc=0
    pid="${SVC_PID[$id]}"
    kill -TERM "$pid" 2>/dev/null || svc_fail "$id (pid $pid) was not running at SIGTERM"
    local deadline=$((SECONDS + secs))
    while kill -0 "$pid" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || svc_fail "$id did not exit within ${secs}s of SIGTERM"
        sleep 0.1
    done
    wait "$pid" || rc=$?
    unset "SVC_PID[$id]"
    [ "$rc" -eq 0 ] || svc_fail "$id exited with status $rc after SIGTERM (see ${SVC_LOG[$id]})"
    grep -q 'ERROR: AddressSanitizer\|runtime error:' "${SVC_LOG[$id]}" &&
        svc_fail "$id: sanitizer report in ${SVC_LOG[$id]}"
    return 0
}

# ---- Kafka through kcat (the independent client) ------------------------------------

# svc_produce BOOTSTRAP TOPIC FILE [KCAT-ARGS...] : one message per line, in
# order (idempotent producer: retries never reorder), all acknowledged.
svc_produce() {
    local bs="$1" topic="$2" file="$3"
    shift 3
    timeout 120 kcat -P -b "$bs" -t "$topic" -X enable.idempotence=true \
        -X message.timeout.ms=100000 "$@" <"$file" ||
        svc_fail "kcat could not produce $file to $topic"
}

# svc_consume BOOTSTRAP TOPIC FORMAT : the whole topic, then exit.
svc_consume() {
    timeout 60 kcat -C -b "$1" -t "$2" -o beginning -e -q -f "$3" ||
        svc_fail "kcat could not consume $2"
}

# svc_count BOOTSTRAP TOPIC : number of messages in the topic.
svc_count() {
    svc_consume "$1" "$2" 'x\n' | wc -l
}

# svc_alert_ids BOOTSTRAP TOPIC : sorted unique alert ids (message keys).
svc_alert_ids() {
    svc_consume "$1" "$2" '%k\n' | sort -u
}

# svc_has_ids BOOTSTRAP TOPIC EXPECTED-FILE : every id of the file is a key.
svc_has_ids() {
    [ -z "$(comm -23 "$3" <(svc_alert_ids "$1" "$2"))" ]
}

# svc_replay_ids CONFIG INPUT : the offline alert ids (sorted, unique).
svc_replay_ids() {
    local rc=0
    "$SVC_NR" replay -c "$1" "$2" >"$SVC_WORK/replay.jsonl" 2>"$SVC_WORK/replay.err" || rc=$?
    # 3: some input lines were malformed (on purpose)
    [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || svc_fail "replay exited $rc: $(cat "$SVC_WORK/replay.err")"
    jq -r .alert_id "$SVC_WORK/replay.jsonl" | sort -u
}

# svc_check_alerts BOOTSTRAP TOPIC SCHEMA : every alert is valid against the
# schema and keyed by its alert_id.
svc_check_alerts() {
    local f="$SVC_WORK/alerts-$2.txt"
    svc_consume "$1" "$2" '%k\t%s\n' >"$f"
    python3 - "$3" "$f" <<'PY' || svc_fail "alerts in $2 failed validation"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
v = cls(schema, format_checker=cls.FORMAT_CHECKER)
n = bad = 0
for line in open(sys.argv[2], encoding="utf-8"):
    key, _, payload = line.rstrip("\n").partition("\t")
    n += 1
    doc = json.loads(payload)
    errs = list(v.iter_errors(doc))
    for e in errs[:3]:
        print(f"alert {key}: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
    if errs:
        bad += 1
    if doc.get("alert_id") != key:
        print(f"alert key {key!r} != alert_id {doc.get('alert_id')!r}", file=sys.stderr)
        bad += 1
if n == 0:
    print("no alerts", file=sys.stderr)
    sys.exit(1)
print(f"{n} alerts valid against the schema, keyed by alert_id")
sys.exit(1 if bad else 0)
PY
}

# svc_check_dead_letters BOOTSTRAP DLQ-TOPIC INPUT-FILE INPUT-TOPIC BASE-OFFSET
#                        LINE:REASON...
# The dead letters are exactly the listed input lines (1-based) byte for byte,
# each with its reason, the error text and the source topic/partition/offset
# (the input topic has one partition; line L was produced at BASE + L - 1).
# With SVC_DL_DUPS_OK=1 a line may be dead-lettered more than once (after a
# restart, at-least-once), each copy still exact.
svc_check_dead_letters() {
    local bs="$1" topic="$2" input="$3" src="$4" base="$5"
    shift 5
    local raw="$SVC_WORK/dlq-$topic.raw" hdr="$SVC_WORK/dlq-$topic.json"
    # Payloads raw (invalid UTF-8 must survive), headers via kcat's JSON envelope.
    svc_consume "$bs" "$topic" '%o\t%S\t%s\n' >"$raw"
    timeout 60 kcat -C -b "$bs" -t "$topic" -o beginning -e -q -J >"$hdr" ||
        svc_fail "kcat could not consume $topic"
    SVC_DL_DUPS_OK="${SVC_DL_DUPS_OK:-0}" python3 - "$raw" "$hdr" "$input" "$src" "$base" "$@" <<'PY' || svc_fail "dead letters in $topic are wrong"
import json, os, sys
raw, hdr, inp, src, base = sys.argv[1:6]
dups_ok = os.environ.get("SVC_DL_DUPS_OK") == "1"
base = int(base)
want = {}
for spec in sys.argv[6:]:
    line, reason = spec.split(":", 1)
    want[int(line)] = reason
lines = open(inp, "rb").read().split(b"\n")
payload = {}
data = open(raw, "rb").read()
pos = 0
while pos < len(data):  # "%o\t%S\t%s\n": the length makes the split exact
    t1 = data.index(b"\t", pos)
    t2 = data.index(b"\t", t1 + 1)
    off, n = int(data[pos:t1]), int(data[t1 + 1:t2])
    if n < 0:
        n = 0
    payload[off] = data[t2 + 1:t2 + 1 + n]
    pos = t2 + 1 + n + 1
headers = {}
for l in open(hdr, "rb").read().decode("utf-8", "replace").splitlines():
    if not l.strip():
        continue
    m = json.loads(l)
    h = m.get("headers") or []
    headers[m["offset"]] = dict(zip(h[0::2], h[1::2]))
bad = 0
def err(msg):
    global bad
    bad += 1
    print(msg, file=sys.stderr)
if len(payload) != len(want) and not dups_ok:
    err(f"{len(payload)} dead letters, expected {len(want)}")
seen = {}
for off, body in payload.items():
    h = headers.get(off, {})
    try:
        so = int(h.get("newsradar.source.offset", "x"))
    except ValueError:
        err(f"dead letter @{off}: no numeric newsradar.source.offset: {h}")
        continue
    line = so - base + 1
    if line not in want:
        err(f"dead letter @{off} from input offset {so} (line {line}) was not expected")
        continue
    if line in seen and not dups_ok:
        err(f"input line {line} dead-lettered twice")
    seen[line] = off
    if body != lines[line - 1]:
        err(f"dead letter of line {line}: payload changed: {body[:60]!r} != {lines[line-1][:60]!r}")
    if h.get("newsradar.reason") != want[line]:
        err(f"dead letter of line {line}: reason {h.get('newsradar.reason')!r}, expected {want[line]!r}")
    if not h.get("newsradar.error"):
        err(f"dead letter of line {line}: empty newsradar.error header")
    if h.get("newsradar.source.topic") != src or h.get("newsradar.source.partition") != "0":
        err(f"dead letter of line {line}: source {h.get('newsradar.source.topic')!r} "
            f"[{h.get('newsradar.source.partition')!r}], expected {src!r} [0]")
for line in want:
    if line not in seen:
        err(f"input line {line} ({want[line]}) has no dead letter")
print(f"{len(seen)} dead letters: payloads unchanged, reasons and source headers right")
sys.exit(1 if bad else 0)
PY
}

# svc_malformed FILE : append the malformed test messages (one per line; no
# newline inside any) and print their reasons in order. Before them, one
# article with invalid UTF-8, which both replay and the service repair and
# keep (article.invalid_utf8: repair), and one with a numeric url (a field
# error, kept too).
svc_malformed() {
    {
        printf '{"id": "kt-bad-utf8", "title": "Border \xff\xfe closed", "body": "Torkham."}\n'
        printf '%s\n' '{"id": "kt-num-url", "title": "Border closed", "url": 12345}'
        printf '%s\n' 'this is not JSON at all'
        printf '%s\n' '"a JSON string is not an article"'
        printf '%s\n' '{"id": {"nested": 1}, "title": "Border closed", "body": "Torkham border closed."}'
        printf '%s\n' '{"id": "kt-no-text", "title": 5, "body": ""}'
    } >>"$1"
    printf '%s\n' invalid_json not_an_object wrong_field_type missing_text
}
