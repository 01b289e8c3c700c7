#!/usr/bin/env bash
# `newsradar run` against a secured Apache Kafka 4.x broker: a SASL_SSL
# listener on 127.0.0.1 (broker.sh, NR_KAFKA_SASL_SSL=1) with SCRAM-SHA-512
# users created by Kafka's own storage tool (format --add-scram) and TLS from
# a CA and broker certificate that openssl makes here. newsradar connects
# through kafka.properties (security.protocol, sasl.*, ssl.ca.location), the
# password only from ${NR_TEST_KAFKA_PASSWORD}; kcat produces the input over
# SASL_SSL too, and reads the results back on the plaintext listener. Kafka's
# Java client creates the topics over SASL_SSL with SCRAM-SHA-512.
#   1. right password, trusted CA: the demo articles plus malformed messages
#      give replay's alert ids and the dead letters, as on plaintext;
#   2. wrong password: one clear error line, non-zero exit once the failure
#      persisted (about 30 s, SEC_FATAL_SPAN_S), no endless retry loop;
#   3. a CA that did not sign the broker's certificate: the same;
#   4. only with librdkafka < 2.6.1 (Debian 12 has 2.0.2), whose SCRAM Kafka
#      4.x refuses: cases 1-3 log in with PLAIN over TLS, and SCRAM-SHA-512
#      is refused with one line that names the cause;
#   5. TLS against the plaintext listener (the broker closes on the
#      ClientHello: "unexpected eof" in the handshake): the same as 3.;
#   in all cases the password appears in no log, not in /metrics, /readyz
#   or `newsradar check` output.
#   bash test_secure.sh NEWSRADAR SOURCE_ROOT
# Exit 77 (ctest: skipped) when the Kafka jars are not cached or a tool is
# missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
. "$here/env.sh"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 2 ] || { echo "usage: test_secure.sh NEWSRADAR SOURCE_ROOT" >&2; exit 2; }
if ! nr_kafka_jars_present; then
    echo "SKIP: no Kafka jars in $NR_KAFKA_JARS (run tests/kafka/fetch-jars.sh)"
    exit 77
fi
svc_need java kcat jq curl python3 openssl
svc_init svc-secure "$1" "$2"

# ---- certificates: a CA, the broker's certificate for localhost/127.0.0.1 ----------
pki="$SVC_WORK/pki"
mkdir -p "$pki"
ossl() { openssl "$@" >>"$pki/openssl.log" 2>&1 || svc_fail "openssl $1 failed (see $pki/openssl.log)"; }
mk_ca() { # NAME
    ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=newsradar test $1" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$pki/$1.key" -out "$pki/$1.pem"
}
mk_ca ca
mk_ca other-ca # trusted by nobody: the broker's certificate is not from it
ossl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$pki/broker.key" -out "$pki/broker.csr"
printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' >"$pki/broker.ext"
ossl x509 -req -in "$pki/broker.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -extfile "$pki/broker.ext" -out "$pki/broker.pem"
kspass="$(openssl rand -hex 12)"
ossl pkcs12 -export -in "$pki/broker.pem" -inkey "$pki/broker.key" -certfile "$pki/ca.pem" \
    -name broker -passout "pass:$kspass" -out "$pki/broker.p12"
openssl verify -CAfile "$pki/ca.pem" "$pki/broker.pem" >/dev/null 2>&1 ||
    svc_fail "the broker certificate does not verify against its CA"

# ---- the broker: PLAINTEXT (checks) + SASL_SSL (the clients under test) --------------
# Passwords are random per run and look like nothing else in the logs.
export NR_TEST_KAFKA_PASSWORD="nrpw-$(openssl rand -hex 16)"
feeder_pw="nrpw-$(openssl rand -hex 16)"
wrong_pw="nrpw-$(openssl rand -hex 16)"
bdir="$SVC_WORK/broker"
mkdir -p "$bdir"
SVC_HOOKS+=("[ \$rc -eq 0 ] || tail -n 30 '$bdir/broker.log' >&2; '$here/broker.sh' stop '$bdir'")
# SCRAM-SHA-512 users are made by the storage tool at format time (KRaft);
# PLAIN users live in the listener's JAAS line. Both mechanisms are enabled:
# librdkafka before 2.6.1 cannot do SCRAM with Kafka 4.x (see below).
scram='org.apache.kafka.common.security.scram.ScramLoginModule required;'
plain="org.apache.kafka.common.security.plain.PlainLoginModule required \
user_newsradar=\"$NR_TEST_KAFKA_PASSWORD\" user_feeder=\"$feeder_pw\";"
bs="$(NR_KAFKA_OWNER_PID=$$ NR_KAFKA_SASL_SSL=1 \
    NR_KAFKA_FORMAT_ARGS="--add-scram
SCRAM-SHA-512=[name=newsradar,password=$NR_TEST_KAFKA_PASSWORD]
--add-scram
SCRAM-SHA-512=[name=feeder,password=$feeder_pw]" \
    NR_KAFKA_EXTRA_PROPS="sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram
listener.name.sasl_ssl.plain.sasl.jaas.config=$plain
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=$pki/broker.p12
listener.name.sasl_ssl.ssl.keystore.password=$kspass
listener.name.sasl_ssl.ssl.key.password=$kspass
listener.name.sasl_ssl.ssl.client.auth=none" \
    "$here/broker.sh" start "$bdir")" || svc_fail "broker did not start"
sbs="$(cat "$bdir/bootstrap.sasl_ssl")"
svc_log "broker: plaintext $bs, SASL_SSL $sbs"

# The topics are created over SASL_SSL with SCRAM-SHA-512 by Kafka's own
# (Java) client: the SCRAM users work.
cat >"$SVC_WORK/admin.properties" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="feeder" password="$feeder_pw";
ssl.truststore.type=PEM
ssl.truststore.location=$pki/ca.pem
PROPS
for t in "sec.articles 1" "sec.counts 4" "sec.windows 4 cleanup.policy=compact" "sec.alerts 2" \
    "sec.dlq 1"; do
    set -- $t
    "$here/kafka-run-class.sh" topics --bootstrap-server "$sbs" \
        --command-config "$SVC_WORK/admin.properties" --create --topic "$1" --partitions "$2" \
        --replication-factor 1 ${3:+--config "$3"} >"$SVC_WORK/topics.log" 2>&1 ||
        svc_fail "could not create topic $1 over SASL_SSL/SCRAM-SHA-512: $(tail -n 3 "$SVC_WORK/topics.log")"
done
svc_log "created the sec.* topics over SASL_SSL with SCRAM-SHA-512 (Kafka's Java client)"

# librdkafka older than 2.6.1 sends a wrong nonce in SCRAM's final message
# and Kafka 4.x refuses it (librdkafka PR 4895): with such a librdkafka the
# clients under test log in with PLAIN (over TLS), and case 4 checks that a
# SCRAM configuration is refused with a line that says so.
rdk_at_least_261() { # "2.0.2" -> false
    printf '%s\n2.6.1\n' "$1" | sort -V -C -r 2>/dev/null
}
rdk_nr="$("$SVC_NR" --version | awk '$1 == "librdkafka" { print $2 }')"
rdk_kcat="$(kcat -V | sed -n 's/.*librdkafka \([0-9.]*\).*/\1/p' | head -n 1)"
mech=PLAIN
kmech=PLAIN
if rdk_at_least_261 "$rdk_nr"; then mech=SCRAM-SHA-512; fi
if rdk_at_least_261 "$rdk_kcat"; then kmech=SCRAM-SHA-512; fi
svc_log "newsradar's librdkafka $rdk_nr: $mech; kcat's librdkafka $rdk_kcat: $kmech"

kcat_secure=(-X security.protocol=SASL_SSL -X "sasl.mechanisms=$kmech"
    -X sasl.username=feeder -X "sasl.password=$feeder_pw" -X "ssl.ca.location=$pki/ca.pem")
timeout 30 kcat -L -b "$sbs" "${kcat_secure[@]}" -m 10 >"$SVC_WORK/kcat-L.txt" 2>&1 || true
grep -q 'broker 1 at' "$SVC_WORK/kcat-L.txt" ||
    svc_fail "kcat cannot reach the SASL_SSL listener $sbs as feeder: $(tail -n 5 "$SVC_WORK/kcat-L.txt")"
# The listener really checks the password.
if timeout 30 kcat -L -b "$sbs" -X security.protocol=SASL_SSL -X "sasl.mechanisms=$kmech" \
    -X sasl.username=feeder -X "sasl.password=$wrong_pw" -X "ssl.ca.location=$pki/ca.pem" \
    -m 5 >/dev/null 2>&1; then
    svc_fail "kcat listed metadata on $sbs with a wrong password"
fi

# ---- configurations -----------------------------------------------------------------
# PASSVAR is the environment variable the password is read from (never the
# password itself in the file), CA the trusted CA file.
conf_for() { # NAME PORT MECHANISM PASSVAR CA [KEY=VALUE...]
    local name="$1" port="$2" m="$3" var="$4" ca="$5"
    shift 5
    svc_config "$SVC_WORK/conf" "$name" brokers="${conf_brokers:-$sbs}" group="nr-secure-$name" port="$port" \
        commit=1s partitions=4 input=sec.articles alerts=sec.alerts dlq=sec.dlq counts=sec.counts \
        windows=sec.windows prop.session.timeout.ms=6000 prop.heartbeat.interval.ms=500 \
        prop.fetch.wait.max.ms=100 prop.security.protocol=SASL_SSL \
        "prop.sasl.mechanisms=$m" prop.sasl.username=newsradar \
        "prop.sasl.password=\${$var}" "prop.ssl.ca.location=$ca" "$@"
}
# no_password WHAT FILE... : none of the passwords in the files.
no_password() {
    local what="$1" pw f rc
    shift
    for f in "$@"; do
        [ -e "$f" ] || svc_fail "no_password: $f is missing (checking $what)"
    done
    for pw in "$NR_TEST_KAFKA_PASSWORD" "$feeder_pw" "$wrong_pw"; do
        rc=0
        grep -rqF -- "$pw" "$@" || rc=$?
        [ "$rc" != 0 ] ||
            svc_fail "a password appears in $what: $(grep -rlF -- "$pw" "$@" | head -n 3 | tr '\n' ' ')"
        [ "$rc" = 1 ] || svc_fail "no_password: grep failed (rc $rc) on $* (checking $what)"
    done
}

input="$SVC_WORK/input.jsonl"
cp "$SVC_SRC/config/demo/articles.jsonl" "$input"
svc_malformed "$input" >/dev/null
n_in="$(wc -l <"$input")"
p1="$(svc_free_port)"
conf4=""
conf1="$(conf_for good "$p1" "$mech" NR_TEST_KAFKA_PASSWORD "$pki/ca.pem")"
grep -qF 'sasl.password: "${NR_TEST_KAFKA_PASSWORD}"' "$conf1" ||
    svc_fail "the generated config does not read the password from the environment"
"$SVC_NR" check -c "$conf1" >"$SVC_WORK/check.out" 2>&1 || svc_fail "check failed on $conf1"
no_password "newsradar check output" "$SVC_WORK/check.out" "$conf1.check"
svc_replay_ids "$conf1" "$input" >"$SVC_WORK/expected.ids"
n_ids="$(wc -l <"$SVC_WORK/expected.ids")"
[ "$n_ids" -gt 0 ] || svc_fail "replay of the demo gave no alerts"
mapfile -t dl_want < <(sed -nE 's/^.*:([0-9]+): ([a-z0-9_]+): .*/\1:\2/p' "$SVC_WORK/replay.err")
n_dl="${#dl_want[@]}"
[ "$n_dl" -ge 6 ] || svc_fail "replay rejected only $n_dl lines"
svc_log "input: $n_in messages, $n_dl malformed; replay: $n_ids alert ids"

# ---- 1. SASL_SSL, right password: as on plaintext -----------------------------------------
svc_start good "$conf1" "$p1"
svc_wait 90 "good: /readyz" svc_http_ok good /readyz
svc_wait_metric 60 good newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_produce "$sbs" sec.articles "$input" "${kcat_secure[@]}"
svc_wait_metric 60 good newsradar_articles_in_total -eq "$n_in"
svc_wait_metric 60 good newsradar_dead_letters_total -eq "$n_dl"
svc_wait 60 "all $n_ids replay alert ids in sec.alerts" svc_has_ids "$bs" sec.alerts "$SVC_WORK/expected.ids"
svc_alert_ids "$bs" sec.alerts >"$SVC_WORK/got.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got.ids" ||
    svc_fail "case 1: alert ids differ from replay's (< replay, > service)"
svc_check_dead_letters "$bs" sec.dlq "$input" sec.articles 0 "${dl_want[@]}"
curl -fsS --max-time 5 "http://127.0.0.1:$p1/metrics" >"$SVC_WORK/metrics.txt" ||
    svc_fail "case 1: /metrics unreachable"
curl -fsS --max-time 5 "http://127.0.0.1:$p1/readyz" >"$SVC_WORK/readyz.txt" ||
    svc_fail "case 1: /readyz unreachable"
svc_stop good
no_password "the service log, /metrics or /readyz" "${SVC_LOG[good]}" "$SVC_WORK/metrics.txt" \
    "$SVC_WORK/readyz.txt"
svc_log "case 1 ok: SASL_SSL + $mech: $n_ids alert ids as replay, $n_dl dead letters"

# ---- 2., 3. wrong password, untrusted CA: one clear line, non-zero exit ----------------------
# CASE ID CONF PATTERN : the service must exit non-zero by itself (bounded
# wait: it must not retry forever), with exactly one ERROR line, which
# matches PATTERN; not ready meanwhile; no password anywhere.
expect_refused() {
    local case="$1" id="$2" conf="$3" pat="$4" port log pid rc=0 ready=0
    port="$(awk '/^  port: /{print $2}' "$conf")"
    log="$SVC_WORK/$id.log"
    "$SVC_NR" run -c "$conf" >"$log" 2>&1 &
    pid=$!
    SVC_PID[$id]=$pid
    SVC_LOG[$id]="$log"
    SVC_PORT[$id]="$port"
    local deadline=$((SECONDS + 150))
    while kill -0 "$pid" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] ||
            svc_fail "$case: still running after 150 s (a retry loop?)"
        if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null; then
            ready=1
        fi
        curl -sS --max-time 2 "http://127.0.0.1:$port/metrics" >>"$SVC_WORK/$id.metrics" 2>/dev/null || true
        sleep 0.2
    done
    wait "$pid" || rc=$?
    unset "SVC_PID[$id]"
    [ "$ready" = 0 ] || svc_fail "$case: /readyz answered 200"
    [ "$rc" -ne 0 ] || svc_fail "$case: exit status 0"
    local errs
    errs="$(grep -c 'level=error' "$log" || true)"
    [ "$errs" = 1 ] || svc_fail "$case: $errs error lines in $log, expected 1"
    grep 'level=error' "$log" | grep -qE "$pat" ||
        svc_fail "$case: the error line does not say /$pat/: $(grep 'level=error' "$log")"
    no_password "$case: the log or /metrics" "$log" "$SVC_WORK/$id.metrics"
    svc_log "$case ok: exit $rc: $(grep 'level=error' "$log" | sed 's/^.* msg=//' | cut -c1-240)"
}
export NR_TEST_WRONG_PASSWORD="$wrong_pw"
conf2="$(conf_for wrongpw "$(svc_free_port)" "$mech" NR_TEST_WRONG_PASSWORD "$pki/ca.pem" level=debug)"
no_password "newsradar check output" "$conf2.check"
expect_refused "case 2 (wrong password)" wrongpw "$conf2" 'Kafka authentication failed'
conf3="$(conf_for badca "$(svc_free_port)" "$mech" NR_TEST_KAFKA_PASSWORD "$pki/other-ca.pem" level=debug)"
expect_refused "case 3 (untrusted CA)" badca "$conf3" 'TLS connection to Kafka failed.*certificate'
conf5="$(conf_brokers="$bs" conf_for tlsplain "$(svc_free_port)" "$mech" NR_TEST_KAFKA_PASSWORD "$pki/ca.pem" level=debug)"
expect_refused "case 5 (TLS against the plaintext listener)" tlsplain "$conf5" 'TLS connection to Kafka failed'
if [ "$mech" = PLAIN ]; then
    conf4="$(conf_for scram "$(svc_free_port)" SCRAM-SHA-512 NR_TEST_KAFKA_PASSWORD "$pki/ca.pem")"
    expect_refused "case 4 (SCRAM with librdkafka $rdk_nr)" scram "$conf4" \
        'authentication failed.*SCRAM.*2\.6\.1'
fi

echo "PASS: newsradar on SASL_SSL + $mech (alerts = replay, dead letters; wrong password" \
    "untrusted CA and TLS to a plaintext listener refused with one error line${conf4:+, SCRAM on librdkafka $rdk_nr too};" \
    "no password in logs, metrics or check)"
