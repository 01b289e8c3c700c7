#!/usr/bin/env bash
# run.sh - the Kafka service benchmark: one real broker, four measurements.
#
#   bench/kafka/run.sh [--build DIR] [--n N] [--rate R] [--secs S] [--warmup W]
#                      [--prop KEY=VALUE]... [--latency-only] [--newsradar BIN]
#                      [--guarantee MODE[,MODE]] [--record]
#
# Against ONE Apache Kafka broker started here (tests/kafka/broker.sh, on
# 127.0.0.1, free ports) it
#   1. preloads N generated ~4 KB articles (kb preload) into a 6-partition topic;
#   2. ceiling: a bare librdkafka high-level consumer reads them all (kb ceiling);
#   3. newsradar end to end on the same topic (fresh group): time from its first
#      article until newsradar_articles_in_total = N and both stages are caught
#      up (lag gauges 0, confirmed by committed offsets = end offsets);
#   4. alert latency: R articles/s for W + S s with published_at = now plus
#      bursts that make spikes fire (kb paced), short-window bench rules, and
#      the alert topic read by kb alerts: latency = alert message timestamp
#      (and receive time) - produce time of the newest article in the alert,
#      over the alerts of the last S s (the first W s warm the path up:
#      metadata of new topics, connections, cold-start alert storm).
# --prop adds a librdkafka property to newsradar's kafka.properties (e.g.
# --prop linger.ms=1); --latency-only runs only step 4; --newsradar BIN runs
# another newsradar binary (e.g. a patched copy) with the same clients.
# --guarantee (default at_least_once,exactly_once) runs steps 3 and 4 once per
# kafka.guarantee mode, each on fresh topics and groups, and reports them side
# by side with the exactly_once / at_least_once ratio.
# Prints a summary table. Writes nothing into the repo, except with --record:
# then the "Kafka service" section of docs/performance.md is rewritten.
#
# DIR (default: build) must hold newsradar and bench/kafka/kb (a build with
# NR_BUILD_BENCH=ON). Needs the Kafka jars (tests/kafka/fetch-jars.sh), java,
# curl, python3. Every process started here is stopped by PID from the trap.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../.." && pwd)"
kdir="$src/tests/kafka"

build="build"
N=200000
RATE=1000
SECS=60
WARM=5
record=0
only4=0
props=()
nr_bin=""
modes="at_least_once,exactly_once"
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build="$2"; shift 2 ;;
    --n) N="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --warmup) WARM="$2"; shift 2 ;;
    --prop) props+=("$2"); shift 2 ;;
    --latency-only) only4=1; shift ;;
    --newsradar) nr_bin="$2"; shift 2 ;;
    --guarantee) modes="$2"; shift 2 ;;
    --record) record=1; shift ;;
    -h | --help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
case "$build" in /*) ;; *) build="$PWD/$build" ;; esac
IFS=, read -r -a MODES <<<"$modes"
for m in "${MODES[@]}"; do
    case "$m" in at_least_once | exactly_once) ;; *) echo "run.sh: --guarantee: '$m'?" >&2; exit 2 ;; esac
done
[ "${#MODES[@]}" -ge 1 ] || { echo "run.sh: --guarantee needs a mode" >&2; exit 2; }
# tag MODE: the short name in its topics and groups
tag() { case "$1" in at_least_once) echo a ;; *) echo e ;; esac; }
[ "$record" = 0 ] || [ "$only4" = 0 ] || { echo "run.sh: --record needs the full run" >&2; exit 2; }
NR="${nr_bin:-$build/newsradar}"
KB="$build/bench/kafka/kb"
for f in "$NR" "$KB"; do
    [ -x "$f" ] || { echo "run.sh: $f not found (build with ninja -C $build)" >&2; exit 2; }
done
for t in java curl python3; do
    command -v "$t" >/dev/null || { echo "run.sh: $t is not installed" >&2; exit 2; }
done
. "$kdir/env.sh"
nr_kafka_jars_present || { echo "run.sh: no Kafka jars (run tests/kafka/fetch-jars.sh)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/nr-kafka-bench.XXXXXX")"
PIDS=()
cleanup() {
    local rc=$? p
    for p in ${PIDS[@]+"${PIDS[@]}"}; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null || true
            for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$p" 2>/dev/null || true
        fi
        wait "$p" 2>/dev/null || true
    done
    "$kdir/broker.sh" stop "$work/broker" >/dev/null 2>&1 || true
    if [ "$rc" -ne 0 ]; then
        rm -rf "$work/broker/data" # ~1 GB of topic data; the logs stay
        echo "run.sh: failed (status $rc); logs kept in $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# reap PID: wait for a process we stopped or that ended; forget it, so the
# trap never signals a PID the system may have reused.
reap() {
    local p rc=0 keep=()
    wait "$1" || rc=$?
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    return "$rc"
}
# job OUT CMD...: run CMD with stdout to OUT in the background and wait for
# it, so that a TERM/INT to this script reaches it through the trap.
job() {
    local out="$1"
    shift
    "$@" >"$out" &
    PIDS+=("$!")
    reap "$!"
}
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
fail() { echo "run.sh: $*" >&2; exit 1; }
now() { date +%s.%N; }
# kv FILE KEY: the value of a "key=value" line written by kb.
kv() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# metric PORT NAME [LABEL-SUBSTRING]: sum of the samples (empty if unreachable).
metric() {
    local text
    text="$(curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null)" || return 0
    awk -v n="$2" -v lab="${3:-}" '
        $1 == n || index($1, n "{") == 1 { if (lab == "" || index($1, lab) > 0) s += $NF }
        END { printf "%.0f\n", s }' <<<"$text"
}
# cpu_s PID: user+system CPU seconds of a process so far.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}

# ---- broker and topics --------------------------------------------------------------
mkdir -p "$work/broker"
log "starting the broker"
bs="$(NR_KAFKA_OWNER_PID=$$ NR_KAFKA_HEAP="${NR_KAFKA_HEAP:-1g}" "$kdir/broker.sh" start "$work/broker")" ||
    fail "broker did not start (see $work/broker)"
case "$bs" in 127.0.0.1:*) ;; *) fail "broker is not on 127.0.0.1: $bs" ;; esac
bpid="$("$kdir/broker.sh" status "$work/broker" | awk '{print $2}')"
log "broker at $bs (pid $bpid)"
specs=(bench.articles:6)
for m in "${MODES[@]}"; do
    g="$(tag "$m")"
    specs+=("tp$g.counts:12" "tp$g.windows:12:compact" "tp$g.alerts:6" "tp$g.dlq:6"
        "lat$g.articles:6" "lat$g.counts:12" "lat$g.windows:12:compact" "lat$g.alerts:6"
        "lat$g.dlq:6")
done
"$KB" topics "$bs" "${specs[@]}" || fail "could not create the topics"

# ---- configuration copies ----------------------------------------------------------------
# The shipped config with our topics and port; watchlist and rule paths made
# absolute to the repo's files (RULES replaces rules/security.yaml).
mkconf() { # OUT NAME GROUP INPUT PREFIX PORT RULES MODE
    VALS="$3|$4|$5|$6|$7|$bs|$src/config|$8" PROPS="${props[*]+${props[*]}}" \
        python3 - "$src/config/newsradar.yaml" "$1" <<'PY'
import os, re, sys
group, inp, pre, port, rules, bs, cdir, mode = os.environ["VALS"].split("|")
extra = "".join(f'\n    {kv.split("=", 1)[0]}: "{kv.split("=", 1)[1]}"'
                for kv in os.environ["PROPS"].split())
text = open(sys.argv[1]).read()
subs = [
    (r"^  brokers: .*$", f"  brokers: {bs}"),
    (r"^  group_id: .*$", f"  group_id: {group}"),
    (r"^  input_topics: .*$", f"  input_topics: [{inp}]"),
    (r"^  alert_topic: .*$", f"  alert_topic: {pre}.alerts"),
    (r"^  dead_letter_topic: .*$", f"  dead_letter_topic: {pre}.dlq"),
    (r"^  repartition_topic: .*$", f"  repartition_topic: {pre}.counts"),
    (r"^  changelog_topic: .*$", f"  changelog_topic: {pre}.windows"),
    # 1 s instead of 5 s: "caught up" is read from committed offsets.
    (r"^  commit_interval: .*$", "  commit_interval: 1s"),
    (r"^  port: .*$", f"  port: {port}"),
    # the lag gauges come from librdkafka statistics (default every 5 s)
    (r"^    client\.id: .*$",
     '    client.id: newsradar-bench\n    statistics.interval.ms: "1000"' + extra),
    (r"^  guarantee: .*$", f"  guarantee: {mode}"),
    (r"^  instance_id: .*$", "  instance_id: bench"),
    (r"^  - (watchlists/.*?)(\s+#.*)?$", lambda m: f"  - {cdir}/{m.group(1)}"),
    (r"^  - (lexicon/\S+).*$", lambda m: f"  - {cdir}/{m.group(1)}"),
]
if rules:  # in place of security.yaml; the other languages' files stay
    subs.append((r"^  - rules/security\.yaml.*$", f"  - {rules}"))
subs.append((r"^  - (rules/\S+).*$", lambda m: f"  - {cdir}/{m.group(1)}"))
for pat, rep in subs:
    text, n = re.subn(pat, rep, text, flags=re.M)
    if n < 1:
        sys.exit(f"mkconf: pattern {pat!r} not found in config/newsradar.yaml")
open(sys.argv[2], "w").write(text)
PY
    "$NR" check -c "$1" >"$1.check" 2>&1 || { cat "$1.check" >&2; fail "config $1 is invalid"; }
}

# Bench-only rules: the shipped topics with windows short enough to fire in a
# minute (10 s window by 1 s against 10 min by 10 s).
bench_rules="$work/bench-rules.yaml"
{
    sed '/^alerts:/,$d' "$src/config/rules/security.yaml"
    echo "alerts:"
    for t in border_closure border_clash attack military_operation ceasefire; do
        cat <<EOF
  - id: ${t}_by_country_fast
    topic: $t
    by: [country]
    window: 10s
    bucket: 1s
    baseline: 10m
    baseline_bucket: 10s
    baseline_floor: 0.5
    min_count: 3
    min_ratio: 4.0
    cooldown: 1m
EOF
    done
} >"$bench_rules"

# ---- 1.-2. corpus and ceiling -------------------------------------------------------------
if [ "$only4" = 0 ]; then
    log "1. preloading $N articles into bench.articles (6 partitions)"
    job "$work/preload.out" "$KB" preload "$bs" bench.articles "$N" || fail "preload failed"
    [ "$(kv "$work/preload.out" preload_msgs)" = "$N" ] ||
        fail "preload delivered $(kv "$work/preload.out" preload_msgs) of $N"

    log "2. ceiling: bare librdkafka consumer"
    b_cpu_c0="$(cpu_s "$bpid")"
    job "$work/ceiling.out" "$KB" ceiling "$bs" bench.articles "$N" "kb-ceiling-$$" ||
        fail "ceiling consumer did not get all $N messages"
    b_cpu_c="$(python3 -c "print(round($(cpu_s "$bpid") - $b_cpu_c0, 1))")"
fi

# R[name.tag]: the results of steps 3 and 4 per mode (tag a or e).
declare -A R

# ---- 3. throughput: newsradar end to end --------------------------------------------------
throughput() { # MODE
    local m="$1" g port grp t_start t_first="" t_in="" t_gauge="" t_done="" deadline
    local in t l1 l2 c1 c2 nr_cpu_in=0 nr_cpu b_cpu0
    g="$(tag "$m")"
    port="$(free_port)"
    grp="nr-bench-tp$g-$$"
    log "3. newsradar end to end on the same topic ($m)"
    mkconf "$work/tp$g.yaml" "tp$g" "$grp" bench.articles "tp$g" "$port" "" "$m"
    b_cpu0="$(cpu_s "$bpid")"
    t_start="$(now)"
    "$NR" run -c "$work/tp$g.yaml" >"$work/tp$g.log" 2>&1 &
    nr_pid=$!
    PIDS+=("$nr_pid")
    deadline=$((SECONDS + 900))
    while :; do
        kill -0 "$nr_pid" 2>/dev/null || { tail -n 20 "$work/tp$g.log" >&2; fail "newsradar died"; }
        [ "$SECONDS" -lt "$deadline" ] || fail "newsradar did not finish within 900 s"
        in="$(metric "$port" newsradar_articles_in_total)"
        t="$(now)"
        if [ -n "$in" ]; then
            [ -z "$t_first" ] && [ "$in" -gt 0 ] && t_first="$t"
            [ -z "$t_in" ] && [ "$in" -ge "$N" ] && { t_in="$t"; nr_cpu_in="$(cpu_s "$nr_pid")"; }
            if [ -n "$t_in" ]; then
                l1="$(metric "$port" newsradar_consumer_lag 'stage="articles"')"
                l2="$(metric "$port" newsradar_consumer_lag 'stage="counts"')"
                if [ "$l1" = 0 ] && [ "$l2" = 0 ]; then
                    [ -z "$t_gauge" ] && t_gauge="$t"
                    # The gauges count a never-committed partition as 0: confirm.
                    c1="$("$KB" lag "$bs" "$grp" bench.articles)"
                    c2="$("$KB" lag "$bs" "$grp.counts" "tp$g.counts")"
                    if [ "${c1%% *}" = lag=0 ] && [ "${c2%% *}" = lag=0 ]; then
                        t_done="$t"
                        break
                    fi
                fi
            fi
        fi
        sleep 0.1
    done
    nr_cpu="$(cpu_s "$nr_pid")"
    R[b_cpu.$g]="$(python3 -c "print(round($(cpu_s "$bpid") - $b_cpu0, 1))")"
    R[nr_cpu.$g]="$nr_cpu"
    R[events.$g]="$(metric "$port" newsradar_count_events_total)"
    R[alerts.$g]="$(metric "$port" newsradar_alerts_total)"
    R[dlq.$g]="$(metric "$port" newsradar_dead_letters_total)"
    kill -TERM "$nr_pid"
    reap "$nr_pid" || fail "newsradar exited with status $? after SIGTERM (see $work/tp$g.log)"
    read -r "R[nr_s.$g]" "R[nr_rate.$g]" "R[nr_in_rate.$g]" "R[ratio.$g]" "R[gauge_early.$g]" \
        "R[join_s.$g]" "R[cpu_us.$g]" <<<"$(python3 - <<PY
t0, tf, ti, tg, td = $t_start, $t_first, $t_in, ${t_gauge:-$t_done}, $t_done
n = $N
s = td - tf
ceil = $(kv "$work/ceiling.out" ceiling_msgs_per_s)
print(f"{s:.2f} {n/s:.0f} {n/(ti-tf):.0f} {n/s/ceil:.2f} {td-tg:.1f} {tf-t0:.1f} {$nr_cpu_in*1e6/n:.0f}")
PY
)"
}

# ---- 4. alert latency -----------------------------------------------------------------------
latency() { # MODE
    local m="$1" g port deadline from_us al_pid nr_cpu0
    g="$(tag "$m")"
    log "4. alert latency at $RATE articles/s for $WARM + $SECS s ($m)"
    port="$(free_port)"
    mkconf "$work/lat$g.yaml" "lat$g" "nr-bench-lat$g-$$" "lat$g.articles" "lat$g" "$port" \
        "$bench_rules" "$m"
    "$NR" run -c "$work/lat$g.yaml" >"$work/lat$g.log" 2>&1 &
    nr_pid=$!
    PIDS+=("$nr_pid")
    deadline=$((SECONDS + 60))
    until [ "$(metric "$port" newsradar_assigned_partitions 'stage="articles"')" = 6 ] &&
        [ "$(metric "$port" newsradar_assigned_partitions 'stage="counts"')" = 12 ]; do
        kill -0 "$nr_pid" 2>/dev/null || { tail -n 20 "$work/lat$g.log" >&2; fail "newsradar died"; }
        [ "$SECONDS" -lt "$deadline" ] || fail "newsradar got no partitions within 60 s"
        sleep 0.2
    done
    from_us="$(python3 -c "import time; print(int((time.time() + 2 + $WARM) * 1e6))")"
    # kb reads read_committed (librdkafka's default): an exactly_once alert
    # counts when its transaction commits, as a downstream reader sees it
    "$KB" alerts "$bs" "lat$g.alerts" 0 "$from_us" >"$work/alerts$g.out" &
    al_pid=$!
    PIDS+=("$al_pid")
    sleep 2 # the alert consumer's assignment
    nr_cpu0="$(cpu_s "$nr_pid")"
    job "$work/paced$g.out" "$KB" paced "$bs" "lat$g.articles" "$RATE" "$((WARM + SECS))" ||
        fail "paced producer failed"
    R[nr_cpu4.$g]="$(python3 -c "print(round($(cpu_s "$nr_pid") - $nr_cpu0, 1))")"
    sleep 3 # the last alerts
    kill -TERM "$al_pid"
    reap "$al_pid" || fail "alert consumer failed"
    R[in4.$g]="$(metric "$port" newsradar_articles_in_total)"
    kill -TERM "$nr_pid"
    reap "$nr_pid" || fail "newsradar exited with status $? after SIGTERM (see $work/lat$g.log)"
}

for m in "${MODES[@]}"; do
    [ "$only4" = 1 ] || throughput "$m"
    latency "$m"
done

# ---- summary ----------------------------------------------------------------------------------
P="$work/preload.out" C="$work/ceiling.out"
machine="$(nproc) vCPU, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
today="$(date -u +%Y-%m-%d)"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
lat() { # NAME TAG: "p50 / p90 / p99 / max (n)"
    local A="$work/alerts$2.out"
    echo "$(kv "$A" "${1}_p50_ms") / $(kv "$A" "${1}_p90_ms") / $(kv "$A" "${1}_p99_ms") / $(kv "$A" "${1}_max_ms") ms (n = $(kv "$A" "${1}_n"))"
}
# row TITLE FORMAT-FUNCTION: one cell per mode
row() {
    local r="| $1 |" m
    for m in "${MODES[@]}"; do r+=" $("$2" "$(tag "$m")") |"; done
    echo "$r"
}
c_e2e() { echo "**${R[nr_rate.$1]} msg/s** (${R[nr_s.$1]} s; start → first article ${R[join_s.$1]} s, not counted)"; }
c_s1() { echo "${R[nr_in_rate.$1]} msg/s; ~${R[cpu_us.$1]} µs CPU/article (whole process, all threads)"; }
c_ratio() { echo "**${R[ratio.$1]}**"; }
c_other() { echo "${R[events.$1]} count events, ${R[alerts.$1]} alerts, ${R[dlq.$1]} dead letters; newsradar ${R[nr_cpu.$1]} s CPU, broker ${R[b_cpu.$1]} s CPU; lag gauges 0 ${R[gauge_early.$1]} s before the committed offsets"; }
c_paced() { local Q="$work/paced$1.out"; echo "$(kv "$Q" paced_msgs) articles in $(kv "$Q" paced_s) s ($(kv "$Q" paced_msgs_per_s)/s, $(kv "$Q" paced_bursts) bursts of 6), first ${WARM} s warm-up; newsradar read ${R[in4.$1]}, used ${R[nr_cpu4.$1]} s CPU"; }
c_alerts() { local A="$work/alerts$1.out"; echo "$(kv "$A" lat_all_ts_n) / $(kv "$A" lat_fire_ts_n); total firing / escalated / resolved $(kv "$A" alerts_firing) / $(kv "$A" alerts_escalated) / $(kv "$A" alerts_resolved)"; }
c_fire() { echo "**$(lat lat_fire_ts "$1")**"; }
c_fire_rx() { lat lat_fire_rx "$1"; }
c_all() { lat lat_all_ts "$1"; }
table="| what | result |
| --- | --- |"
if [ "$only4" = 0 ]; then
    mb_in="$(python3 -c "print(round($(kv "$P" preload_bytes) / 1e6))")"
    table+="
| corpus | $N articles, avg $(kv "$P" preload_avg_bytes) B ($mb_in MB), 6 partitions; preloaded at $(kv "$P" preload_msgs_per_s) msg/s |
| ceiling: bare librdkafka consumer | **$(kv "$C" ceiling_msgs_per_s) msg/s**, $(kv "$C" ceiling_mb_per_s) MB/s, $(kv "$C" ceiling_cpu_us_per_msg) µs CPU/msg, broker ${b_cpu_c} s CPU (group join $(kv "$C" ceiling_join_s) s, not counted) |"
fi
head="| what |" sep="| --- |"
for m in "${MODES[@]}"; do head+=" \`$m\` |"; sep+=" --- |"; done
modes_table="$head
$sep"
if [ "$only4" = 0 ]; then
    modes_table+="
$(row "newsradar end to end: first article → all N in, both stages caught up" c_e2e)
$(row "newsradar stage 1: first article → articles_in_total = N" c_s1)
$(row "**ratio newsradar / ceiling** (target >= 0.6)" c_ratio)
$(row "throughput run, other facts" c_other)"
fi
modes_table+="
$(row "paced input" c_paced)
$(row "alerts after warm-up, all / firing (resolved ones not timed)" c_alerts)
$(row "**alert latency, firing**: alert message timestamp − article produce time, p50 / p90 / p99 / max (target p99 < 50 ms)" c_fire)
$(row "alert latency, firing: alert received − article produced" c_fire_rx)
$(row "alert latency, firing + escalated: timestamp − produced" c_all)"
cost=""
if [ "${#MODES[@]}" = 2 ]; then
    # the price of exactly_once, measured in this invocation
    cost="$(python3 - <<PY
def f(s):
    try: return float(s)
    except ValueError: return None
a, e = f("${R[nr_rate.a]:-}"), f("${R[nr_rate.e]:-}")
pa, pe = f("$(kv "$work/alertsa.out" lat_fire_rx_p99_ms)"), f("$(kv "$work/alertse.out" lat_fire_rx_p99_ms)")
out = []
if a and e: out.append(f"throughput exactly_once / at_least_once = **{e / a:.2f}** ({e:.0f} / {a:.0f} msg/s)")
if pa and pe: out.append(f"p99 firing latency (received − produced) exactly_once / at_least_once = **{pe / pa:.1f}** ({pe:.1f} / {pa:.1f} ms)")
print("; ".join(out))
PY
)"
fi
extra=""
[ "${#props[@]}" -gt 0 ] && extra=" --prop ${props[*]}"
echo
echo "Kafka service benchmark — $today — $machine — load average at the end: $load${extra:+ —$extra}"
echo
echo "$table"
echo
echo "$modes_table"
[ -z "$cost" ] || { echo; echo "$cost"; }

if [ "$record" = 1 ]; then
    doc="$src/docs/performance.md"
    section="$work/section.md"
    cat >"$section" <<EOF
## Kafka service

\`bench/kafka/run.sh --build BUILD-DIR [--n N] [--rate R] [--secs S]
[--warmup W] [--prop KEY=VALUE]... [--latency-only] [--newsradar BIN]
[--guarantee MODE[,MODE]] [--record]\`
starts one Apache Kafka 4 broker (KRaft, tests/kafka/broker.sh) on 127.0.0.1
and, with the client program \`bench/kafka/kb\` (bench/kafka/kb.c):

1. preloads N generated ~4 KB article JSON messages (deterministic: frequent
   English words, countries, armed groups and places of the shipped
   watchlists, topic phrases of the shipped rules) into a 6-partition topic;
2. **ceiling**: a bare librdkafka high-level consumer (\`fetch.max.bytes\` 8 MiB)
   counts them, timed from its first message;
3. **newsradar end to end**: \`newsradar run\` with the shipped rules on the same
   topic in a fresh group, timed from its first article until
   \`newsradar_articles_in_total\` = N and both stages are caught up (the
   \`newsradar_consumer_lag\` gauges are 0 and the committed offsets of both
   groups equal the end offsets). The config is the shipped one with
   \`commit_interval: 1s\` and \`statistics.interval.ms: "1000"\` (the lag gauges
   come from librdkafka statistics), so "caught up" shows within ~1–2 s;
4. **alert latency**: R articles/s (\`published_at\` = now, the produce time in
   the id) for W + S s, plus every 3 s a burst of 6 articles about one
   country + topic; bench-only rules with the shipped topics and 10 s windows
   (bucket 1 s, baseline 10 min, min_count 3, min_ratio 4); latency = the
   alert message's timestamp (its create time in newsradar's producer) and
   its receive time − the produce time of the newest article the alert
   cites, over the alerts whose articles came after the W s warm-up.
   \`firing\` is the clean measure (a non-firing key changes state only on its
   own article); an \`escalated\` alert may come from a bucket change caused
   by another key's article; \`resolved\` alerts are not timed.

Steps 3 and 4 run once per \`kafka.guarantee\` mode (default both, each on
fresh topics and groups, one after the other in the same invocation) and
the table compares them; the alert reader is \`read_committed\`, so an
\`exactly_once\` alert counts when its transaction commits.

Recorded $today on $machine (load average at the end: $load; other
engineers' builds and tests shared the machine), RelWithDebInfo,
\`bench/kafka/run.sh --n $N --rate $RATE --secs $SECS --warmup $WARM --guarantee $modes$extra --record\`;
the broker, newsradar and the clients share the cores:

$table

$modes_table

${cost:-}
EOF
    python3 - "$doc" "$section" <<'PY'
import re, sys
doc, sec = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
m = re.search(r"^## Kafka service\n", text, flags=re.M)
if m:
    rest = text[m.end():]
    nxt = re.search(r"^## ", rest, flags=re.M)
    end = m.end() + nxt.start() if nxt else len(text)
    old = text[m.start():end]
    # A hand-written analysis (### Analysis ...) below the table is kept.
    k = old.find("\n### ")
    notes = old[k:] if k >= 0 else ""
    new = sec + notes
    if nxt and not new.endswith("\n\n"):
        new = new.rstrip("\n") + "\n\n"
    text = text[:m.start()] + new + text[end:]
else:
    text = text.rstrip("\n") + "\n\n" + sec
open(doc, "w").write(text)
PY
    log "recorded in docs/performance.md (Kafka service section)"
fi
