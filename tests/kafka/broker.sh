#!/usr/bin/env bash
# A throw-away single-node Apache Kafka 4.x (KRaft, combined broker+controller)
# on 127.0.0.1, run straight from the jars that fetch-jars.sh cached.
#
#   broker.sh start  [DIR]        format DIR, start, wait until it answers,
#                                 print the bootstrap address (host:port)
#   broker.sh stop   [DIR] [--rm] stop by the saved PID (TERM, then KILL);
#                                 --rm also deletes DIR
#   broker.sh status [DIR]        print "running PID BOOTSTRAP" (exit 0) or
#                                 "stopped" (exit 3)
#
# DIR defaults to $NR_KAFKA_DIR or ${TMPDIR:-/tmp}/newsradar-kafka. It holds
# server.properties, the log4j2 config, data/, broker.log, broker.pid and
# bootstrap. Ports are picked free at start (never fixed), so several brokers
# can run side by side in different DIRs.
#
# Env: NR_KAFKA_START_TIMEOUT (s, default 120), NR_KAFKA_HEAP (default 512m),
# NR_KAFKA_OWNER_PID (stop the broker when that process is gone: tests pass $$),
# NR_KAFKA_EXTRA_PROPS (lines appended to server.properties, e.g.
# "auto.create.topics.enable=true"), NR_KAFKA_SASL_SSL=1 (a third listener,
# SASL_SSL on a free 127.0.0.1 port, written to DIR/bootstrap.sasl_ssl; the
# caller gives its TLS and SASL settings in NR_KAFKA_EXTRA_PROPS),
# NR_KAFKA_FORMAT_ARGS (more arguments for the storage format, e.g.
# "--add-scram SCRAM-SHA-512=[name=u,password=p]": one argument per line).
#
# Only stdout carries the bootstrap address; progress goes to stderr, so
# `bs=$(broker.sh start "$dir")` works. The JVM gets /dev/null and log files
# as stdio, so the command substitution does not wait for it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/env.sh"

die() { echo "broker.sh: $*" >&2; exit 2; }

cmd="${1:-}"
shift || true
dir=""
rm_dir=0
for a in "$@"; do
    case "$a" in
    --rm) rm_dir=1 ;;
    *) dir="$a" ;;
    esac
done
dir="${dir:-${NR_KAFKA_DIR:-${TMPDIR:-/tmp}/newsradar-kafka}}"
# Absolute, since the PID check matches it in the JVM's command line.
if [ -d "$dir" ]; then dir="$(cd "$dir" && pwd)"; fi

# The PID file is trusted only if that PID is still our JVM for this DIR:
# a stale file must never make us signal an unrelated process.
our_pid() {
    local pid
    [ -f "$dir/broker.pid" ] || return 1
    pid="$(cat "$dir/broker.pid")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "kafka.Kafka $dir/server.properties" || return 1
    echo "$pid"
}

answers() {
    # A metadata reply naming our broker: the listener is up and the node has
    # joined its own KRaft quorum.
    timeout 10 kcat -b "$1" -L -m 5 2>/dev/null | grep -q 'broker 1 at'
}

free_ports() {
    # Bind all N at once so the picks cannot collide; the kernel may hand
    # a port to someone else before Kafka binds it, but on loopback in a
    # test run that window is tiny.
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

cluster_id() {
    # Kafka's Uuid text form: URL-safe base64 of 16 random bytes, unpadded.
    # URL-safe base64 may start with '-', which the storage tool's argument
    # parser takes for an option (as Kafka's own Uuid.randomUuid knows): redraw.
    python3 -c 'import base64,uuid
while True:
    u = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not u.startswith("-"):
        break
print(u)'
}

# A test killed outright (ctest's timeout sends SIGKILL) runs no trap; this
# stops the broker when the owner process is gone, so no JVM outlives its test.
start_watchdog() {
    local owner="$1" pid="$2"
    (
        while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 1; done
            kill -KILL "$pid" 2>/dev/null
        fi
    ) </dev/null >/dev/null 2>&1 &
}

do_start() {
    local pid port cport sport="" bs t0 deadline
    local listeners advertised protomap
    if pid="$(our_pid)"; then
        echo "broker.sh: already running (pid $pid)" >&2
        cat "$dir/bootstrap"
        return 0
    fi
    nr_kafka_jars_present || die "no Kafka jars in $NR_KAFKA_JARS: run tests/kafka/fetch-jars.sh"
    command -v java >/dev/null || die "java not found"
    command -v kcat >/dev/null || die "kcat not found"

    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    rm -rf "$dir/data" "$dir/broker.pid" "$dir/bootstrap" "$dir/bootstrap.sasl_ssl"
    if [ "${NR_KAFKA_SASL_SSL:-0}" = 1 ]; then
        read -r port cport sport < <(free_ports 3)
    else
        read -r port cport < <(free_ports 2)
    fi
    bs="127.0.0.1:$port"
    listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport"
    advertised="PLAINTEXT://127.0.0.1:$port"
    protomap="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    if [ -n "$sport" ]; then
        listeners+=",SASL_SSL://127.0.0.1:$sport"
        advertised+=",SASL_SSL://127.0.0.1:$sport"
        protomap+=",SASL_SSL:SASL_SSL"
    fi

    cat >"$dir/server.properties" <<PROPS
# Written by tests/kafka/broker.sh: single node, KRaft combined mode, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protomap
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests must create the topics they use, as production does.
auto.create.topics.enable=false
# No 3 s wait before the first consumer group rebalance.
group.initial.rebalance.delay.ms=0
PROPS
    if [ -n "${NR_KAFKA_EXTRA_PROPS:-}" ]; then
        printf '%s\n' "$NR_KAFKA_EXTRA_PROPS" >>"$dir/server.properties"
    fi

    cat >"$dir/log4j2.properties" <<LOG
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.state.name = state.change.logger
logger.state.level = WARN
LOG

    local java_opts=(-Xms128m "-Xmx${NR_KAFKA_HEAP:-512m}" -XX:+UseG1GC -XX:TieredStopAtLevel=1
        -Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties"
        -cp "$NR_KAFKA_JARS/*")

    t0=$(date +%s%N)
    echo "broker.sh: formatting $dir/data" >&2
    local fmt_args=()
    if [ -n "${NR_KAFKA_FORMAT_ARGS:-}" ]; then
        mapfile -t fmt_args <<<"$NR_KAFKA_FORMAT_ARGS"
    fi
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(cluster_id)" \
        -c "$dir/server.properties" --standalone "${fmt_args[@]}" >"$dir/format.log" 2>&1 ||
        { cat "$dir/format.log" >&2; die "storage format failed"; }

    echo "broker.sh: starting broker on $bs" >&2
    java "${java_opts[@]}" kafka.Kafka "$dir/server.properties" \
        </dev/null >"$dir/stdout.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/broker.pid"
    if [ -n "${NR_KAFKA_OWNER_PID:-}" ]; then
        start_watchdog "$NR_KAFKA_OWNER_PID" "$pid"
    fi

    deadline=$(($(date +%s) + ${NR_KAFKA_START_TIMEOUT:-120}))
    until answers "$bs"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$dir/stdout.log" "$dir/broker.log" >&2 || true
            rm -f "$dir/broker.pid"
            die "broker exited during start-up (logs in $dir)"
        fi
        if [ "$(date +%s)" -ge "$deadline" ]; then
            tail -n 30 "$dir/broker.log" >&2 || true
            DIR_KEEP=1 do_stop
            die "broker did not answer on $bs within ${NR_KAFKA_START_TIMEOUT:-120}s"
        fi
        sleep 0.5
    done
    echo "$bs" >"$dir/bootstrap"
    [ -z "$sport" ] || echo "127.0.0.1:$sport" >"$dir/bootstrap.sasl_ssl"
    echo "broker.sh: up on $bs${sport:+ (SASL_SSL on 127.0.0.1:$sport)}, pid $pid, in $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
    echo "$bs"
}

do_stop() {
    local pid i
    if pid="$(our_pid)"; then
        kill -TERM "$pid" 2>/dev/null || true
        # A single node shuts down in a few seconds; give it 30 before KILL.
        for ((i = 0; i < 300; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "broker.sh: pid $pid ignored TERM, sending KILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        # Reap if it is our child (start and stop in one shell, as on timeout).
        wait "$pid" 2>/dev/null || true
        echo "broker.sh: stopped pid $pid" >&2
    fi
    rm -f "$dir/broker.pid" "$dir/bootstrap" "$dir/bootstrap.sasl_ssl"
    if [ "$rm_dir" = 1 ] && [ -z "${DIR_KEEP:-}" ]; then
        rm -rf "$dir"
    fi
}

do_status() {
    local pid
    if pid="$(our_pid)"; then
        echo "running $pid $(cat "$dir/bootstrap" 2>/dev/null || echo starting)"
        return 0
    fi
    echo "stopped"
    return 3
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
*)
    echo "usage: broker.sh start|stop|status [DIR] [--rm]" >&2
    exit 2
    ;;
esac
