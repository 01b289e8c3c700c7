#!/usr/bin/env bash
# `newsradar run` against librdkafka's mock cluster (3 brokers), with kcat as
# the independent client:
#   1. the demo articles plus malformed messages: every message is read, the
#      malformed ones reach the dead-letter topic unchanged with their reason
#      headers, and the alert ids equal those of `newsradar replay`;
#   2. restart: the offsets were committed (nothing is read again) and the
#      window state is restored from the changelog;
#   3. fault: the leader of the partitions goes down while articles are being
#      produced and comes back: nothing is lost, the alert ids are the same;
#   4. shutdown with every broker down: SIGTERM ends the process within its
#      deadline, and after the restart no alert id is missing;
#   5. changelog writes refused for a while: counted, then checkpoints land
#      again, offsets are committed, and a restart restores complete state;
#   6. a restore that stalls (no changelog leader): its partition stays paused while
#      the other is counted, then resumes; no event is lost;
#   7. start-up with every broker down: live, not ready with the reason, retrying
#      (no exit); SIGTERM meanwhile exits 0; ready once the brokers are back.
#   bash test_svc_mock.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT
# Exit 77 (ctest: skipped) when kcat, jq, curl or python3 are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 3 ] || { echo "usage: test_svc_mock.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT" >&2; exit 2; }
svc_need kcat jq curl python3
svc_init svc-mock "$1" "$3"
mc_bin="$2"

# ---- the mock cluster, driven over a coprocess ---------------------------------
svc_mock "$mc_bin" 3 articles:1 newsradar.counts:4 newsradar.windows:4 alerts:2 \
    articles.dlq:1 articles.enriched:2
bs="$SVC_BS"
mc() { svc_mc "$@"; }
# case_topics P N: a fault case's own topics: P.articles, P.alerts, P.dlq
# (1 partition), P.counts and P.windows (N).
case_topics() {
    local t
    for t in "$1.articles:1" "$1.counts:$2" "$1.windows:$2" "$1.alerts:1" "$1.dlq:1"; do
        mc topic "${t%%:*}" "${t##*:}"
    done
}
# case_leaders ID TOPIC:PART...: broker ID leads those partitions.
case_leaders() {
    local id="$1" tp
    shift
    for tp in "$@"; do mc leader "${tp%%:*}" "${tp##*:}" "$id"; done
}
# case_conf NAME P PORT N [KEY=VALUE...]: the configuration of a fault case on
# topics P.* (N repartition partitions), group nr-NAME; prints its path.
case_conf() {
    local name="$1" p="$2" port="$3" n="$4"
    shift 4
    svc_config "$SVC_WORK/conf" "$name" brokers="$bs" group="nr-$name" port="$port" commit=1s \
        partitions="$n" input="$p.articles" alerts="$p.alerts" dlq="$p.dlq" counts="$p.counts" \
        windows="$p.windows" "${props[@]}" "$@"
}
svc_log "mock cluster at $bs"

# ---- input and what it must give -----------------------------------------------------
input="$SVC_WORK/input.jsonl"
cp "$SVC_SRC/config/demo/articles.jsonl" "$input"
# Two articles in other languages, for newsradar_articles_total{language}:
# one declared ("fr-FR" -> fr), one detected (Russian, no field).
cat >>"$input" <<'EOF'
{"id": "lang-fr", "title": "Le Pakistan ferme le poste-frontière de Torkham", "body": "Les autorités pakistanaises ont fermé mardi le poste-frontière de Torkham après des échanges de tirs entre gardes-frontières, selon un responsable local.", "language": "fr-FR", "published_at": "2026-03-02T05:00:00Z"}
{"id": "lang-ru", "title": "Пакистан закрыл пограничный переход Торхам", "body": "Власти Пакистана во вторник закрыли пограничный переход Торхам после перестрелки между пограничниками двух стран, сообщил представитель местной администрации.", "published_at": "2026-03-02T05:01:00Z"}
EOF
mapfile -t extra_reasons < <(svc_malformed "$input")
n_in="$(wc -l <"$input")"

port="$(svc_free_port)"
props=(prop.session.timeout.ms=6000 prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=10
    prop.topic.metadata.refresh.interval.ms=2000)
conf="$(svc_config "$SVC_WORK/conf" main brokers="$bs" group=nr-mock port="$port" commit=1s \
    partitions=4 enriched=articles.enriched "${props[@]}")"

svc_replay_ids "$conf" "$input" >"$SVC_WORK/expected.ids"
n_ids="$(wc -l <"$SVC_WORK/expected.ids")"
[ "$n_ids" -gt 0 ] || svc_fail "replay of the demo gave no alerts"
# The lines replay rejects are the dead letters to expect ("LINE:REASON").
mapfile -t dl_want < <(sed -nE 's/^.*:([0-9]+): ([a-z0-9_]+): .*/\1:\2/p' "$SVC_WORK/replay.err")
n_dl="${#dl_want[@]}"
# The extra malformed lines are the last ones: replay must agree on why.
for i in "${!extra_reasons[@]}"; do
    want="$((n_in - ${#extra_reasons[@]} + i + 1)):${extra_reasons[$i]}"
    printf '%s\n' "${dl_want[@]}" | grep -x "$want" >/dev/null || svc_fail "replay does not reject line $want"
done
svc_log "input: $n_in messages, $n_dl malformed; replay: $n_ids alert ids"

# ---- 1. one instance: everything read, dead letters, alert ids ------------------------
svc_start m1 "$conf" "$port"
svc_wait 60 "m1: /readyz" svc_http_ok m1 /readyz
svc_wait_metric 60 m1 newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_produce "$bs" articles "$input"
svc_wait_metric 60 m1 newsradar_articles_in_total -eq "$n_in"
svc_wait_metric 60 m1 newsradar_dead_letters_total -eq "$n_dl"
svc_wait 60 "all $n_ids replay alert ids in topic alerts" \
    svc_has_ids "$bs" alerts "$SVC_WORK/expected.ids"
svc_alert_ids "$bs" alerts >"$SVC_WORK/got.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got.ids" ||
    svc_fail "alert ids of the service differ from replay's (< replay, > service)"
svc_check_dead_letters "$bs" articles.dlq "$input" articles 0 "${dl_want[@]}"
n_alerts="$(svc_metric m1 newsradar_alerts_total)"
[ "$n_alerts" -ge "$n_ids" ] || svc_fail "newsradar_alerts_total $n_alerts < $n_ids alert ids"
# the article counters replay prints are exported too (0 on the demo feed)
metrics_text="$(curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics")" || svc_fail "m1: /metrics"
for mname in newsradar_boilerplate_total newsradar_utf8_repairs_total newsradar_future_articles_total; do
    grep -q "^$mname " <<<"$metrics_text" || svc_fail "/metrics has no $mname"
done
svc_log "ok: $n_in read, $n_dl dead letters, $n_ids alert ids as replay ($n_alerts alerts)"
# Every decodable article is in the enriched topic once (stage 1 drops an
# exact duplicate, a second article with an id already seen, before tagging,
# as replay does): the input byte for byte under "article" (invalid UTF-8
# repaired to U+FFFD, as Python's "replace" does), its tags under "tags".
printf '%s\n' "${dl_want[@]}" | cut -d: -f1 >"$SVC_WORK/rejected.lines"
python3 - "$input" "$SVC_WORK/rejected.lines" >"$SVC_WORK/enriched.want" <<'PY'
import json, sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
bad = {int(x) for x in open(sys.argv[2]).read().split()}
seen = set()
for i, l in enumerate(lines, 1):
    if not l.strip() or i in bad:
        continue
    a = json.loads(l.decode("utf-8", "replace"))
    if str(a["id"]) in seen:
        continue
    seen.add(str(a["id"]))
    print(json.dumps(a, sort_keys=True))
PY
n_ok="$(wc -l <"$SVC_WORK/enriched.want")"
[ "$n_ok" -lt $((n_in - n_dl)) ] || svc_fail "the input holds no exact duplicate to drop"
kcat -C -b "$bs" -t articles.enriched -c "$n_ok" -e -q >"$SVC_WORK/enriched.jsonl" ||
    svc_fail "cannot read articles.enriched"
[ "$(wc -l <"$SVC_WORK/enriched.jsonl")" -eq "$n_ok" ] ||
    svc_fail "articles.enriched has $(wc -l <"$SVC_WORK/enriched.jsonl") messages, want $n_ok"
python3 - "$SVC_WORK/enriched.want" "$SVC_WORK/enriched.jsonl" <<'PY' ||
import json, sys
want = sorted(l.rstrip("\n") for l in open(sys.argv[1]))
got = []
for l in open(sys.argv[2], "rb"):
    m = json.loads(l)
    assert m["tags"]["id"] == m["article"]["id"], m["article"]["id"]
    assert isinstance(m["tags"]["entities"], list)
    got.append(json.dumps(m["article"], sort_keys=True))
assert sorted(got) == want, "enriched articles differ from the decodable input"
PY
    svc_fail "articles.enriched does not hold the decodable input with its tags"
svc_log "ok: $n_ok enriched articles"
# newsradar_articles_total{language}: one series per language of the tags
# (und: none), each counting what the enriched topic holds in it.
mapfile -t lang_want < <(jq -r '.tags.language // "und"' "$SVC_WORK/enriched.jsonl" | sort | uniq -c |
    awk '{print $2 ":" $1}')
printf '%s\n' "${lang_want[@]}" | grep -x 'fr:1' >/dev/null || svc_fail "no fr article in the tags: ${lang_want[*]}"
printf '%s\n' "${lang_want[@]}" | grep -x 'ru:1' >/dev/null || svc_fail "no ru article in the tags: ${lang_want[*]}"
for lw in "${lang_want[@]}"; do
    got="$(svc_metric m1 newsradar_articles_total "language=\"${lw%%:*}\"")"
    [ "$got" -eq "${lw##*:}" ] ||
        svc_fail "newsradar_articles_total{language=\"${lw%%:*}\"} is $got, the tags have ${lw##*:}"
done
got="$(svc_metric m1 newsradar_articles_total)"
[ "$got" -eq "$n_ok" ] || svc_fail "newsradar_articles_total is $got in all, $n_ok new articles"
svc_log "ok: newsradar_articles_total by language ${lang_want[*]}"

# ---- 2. restart: committed offsets, restored windows ----------------------------------
svc_stop m1
svc_start m1 "$conf" "$port"
svc_wait 60 "m1 (restarted): /readyz" svc_http_ok m1 /readyz
svc_wait_metric 60 m1 newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_wait_metric 60 m1 newsradar_restored_keys_total -gt 0
# A malformed sentinel after the old input: the input partition is read in
# order, so once it is dead-lettered, everything before it that was not
# committed would have been read (and counted) first.
printf '%s\n' 'sentinel after restart: not JSON' >"$SVC_WORK/sentinel.txt"
svc_produce "$bs" articles "$SVC_WORK/sentinel.txt"
svc_wait_metric 60 m1 newsradar_dead_letters_total -eq 1
got="$(svc_metric m1 newsradar_articles_in_total)"
[ "$got" -eq 1 ] || svc_fail "after restart $got messages were read, expected only the sentinel"
svc_log "ok: restart read only the new message; restored" \
    "$(svc_metric m1 newsradar_restored_keys_total) window keys," \
    "$(svc_metric m1 newsradar_alerts_total) alerts repeated"
svc_stop m1

# ---- 3. fault: the partitions' leader goes down while producing -----------------------
case_topics f 4
# Broker 2 leads the input partition and half of everything downstream.
case_leaders 2 f.articles:0 f.counts:0 f.counts:2 f.windows:0 f.windows:2 f.alerts:0 f.dlq:0
fport="$(svc_free_port)"
fconf="$(case_conf fault f "$fport" 4)"
svc_start f1 "$fconf" "$fport"
svc_wait 60 "f1: /readyz" svc_http_ok f1 /readyz
svc_wait_metric 60 f1 newsradar_assigned_partitions -eq 4 'stage="counts"'

half=$((n_in / 2))
head -n "$half" "$input" >"$SVC_WORK/first.jsonl"
tail -n +"$((half + 1))" "$input" >"$SVC_WORK/second.jsonl"
svc_produce "$bs" f.articles "$SVC_WORK/first.jsonl"
mc down 2
svc_log "broker 2 down"
# The second half waits in kcat's queue until the leader is back.
(svc_produce "$bs" f.articles "$SVC_WORK/second.jsonl") &
prod_pid=$!
SVC_HOOKS+=("kill $prod_pid 2>/dev/null")
sleep 3 # the outage (shorter than session.timeout.ms: no rebalance)
mc up 2
svc_log "broker 2 up"
wait "$prod_pid" || svc_fail "producing the second half failed"
svc_wait_metric 120 f1 newsradar_articles_in_total -eq "$n_in"
svc_wait_metric 60 f1 newsradar_dead_letters_total -eq "$n_dl"
svc_wait 120 "all $n_ids replay alert ids in topic f.alerts" \
    svc_has_ids "$bs" f.alerts "$SVC_WORK/expected.ids"
svc_alert_ids "$bs" f.alerts >"$SVC_WORK/got-fault.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got-fault.ids" ||
    svc_fail "after the outage the alert ids differ from replay's (< replay, > service)"
svc_check_dead_letters "$bs" f.dlq "$input" f.articles 0 "${dl_want[@]}"
svc_stop f1
svc_log "ok: leader outage while producing: $n_in read, $n_ids alert ids, $n_dl dead letters"

# ---- 4. shutdown with every broker down ------------------------------------------------
# SIGTERM must end the process within its deadline (2 x flush_timeout + 20 s)
# even when nothing can be flushed or committed, and whatever it could not
# deliver is read again after the restart: no alert id is lost.
case_topics d 4
dport="$(svc_free_port)"
dconf="$(case_conf down d "$dport" 4 flush=1s)"
svc_start d1 "$dconf" "$dport"
svc_wait 60 "d1: /readyz" svc_http_ok d1 /readyz
svc_wait_metric 60 d1 newsradar_assigned_partitions -eq 4 'stage="counts"'
svc_produce "$bs" d.articles "$input"
svc_wait_metric 60 d1 newsradar_articles_in_total -eq "$n_in"
for b in 1 2 3; do mc down "$b"; done
svc_log "all brokers down; SIGTERM"
d_pid="${SVC_PID[d1]}"
kill -TERM "$d_pid"
t0=$SECONDS
while kill -0 "$d_pid" 2>/dev/null; do
    [ $((SECONDS - t0)) -le 40 ] || svc_fail "d1 still running $((SECONDS - t0)) s after SIGTERM (deadline 22 s)"
    sleep 0.2
done
rc=0
wait "$d_pid" || rc=$?
unset "SVC_PID[d1]"
case "$rc" in
0) how="exit 0 (flushed what it could, closed)" ;;
1) grep -q 'shutdown did not finish in time' "${SVC_LOG[d1]}" ||
    svc_fail "d1 exited 1 without the shutdown-deadline message (see ${SVC_LOG[d1]})"
   how="exit 1 at the shutdown deadline" ;;
*) svc_fail "d1 exited with status $rc after SIGTERM with the brokers down (see ${SVC_LOG[d1]})" ;;
esac
grep -q 'ERROR: AddressSanitizer\|runtime error:' "${SVC_LOG[d1]}" &&
    svc_fail "d1: sanitizer report in ${SVC_LOG[d1]}"
svc_log "d1 stopped $((SECONDS - t0)) s after SIGTERM: $how"
for b in 1 2 3; do mc up "$b"; done
svc_start d1 "$dconf" "$dport"
svc_wait 60 "d1 (restarted): /readyz" svc_http_ok d1 /readyz
svc_wait 120 "all $n_ids replay alert ids in topic d.alerts" \
    svc_has_ids "$bs" d.alerts "$SVC_WORK/expected.ids"
svc_stop d1
svc_log "ok: shutdown with all brokers down ($how), restart delivered all $n_ids alert ids"

# ---- 5. checkpoints that fail -------------------------------------------------------------
# Every changelog partition is led by broker 3, everything else by broker 1;
# broker 3 then refuses the next Produce requests with a non-retriable error.
# The failed checkpoints are counted, hold back the counts offsets, and do
# not wedge them: the next checkpoint writes every key again, offsets are
# committed, and after a restart the state is complete (only the new
# message is read, the window keys come back).
case_topics c 2
case_leaders 1 c.articles:0 c.counts:0 c.counts:1 c.alerts:0 c.dlq:0
case_leaders 3 c.windows:0 c.windows:1
cport="$(svc_free_port)"
cconf="$(case_conf ckpt c "$cport" 2)"
svc_start c1 "$cconf" "$cport"
svc_wait 60 "c1: /readyz" svc_http_ok c1 /readyz
svc_wait_metric 60 c1 newsradar_assigned_partitions -eq 2 'stage="counts"'
mc perr 3 4 29
svc_produce "$bs" c.articles "$input"
svc_wait_metric 60 c1 newsradar_articles_in_total -eq "$n_in"
svc_wait_metric 60 c1 newsradar_delivery_failures_total -gt 0
grep -q 'delivery to c.windows failed' "${SVC_LOG[c1]}" ||
    svc_fail "c1: no failed changelog delivery logged"
svc_wait 120 "all $n_ids replay alert ids in topic c.alerts" \
    svc_has_ids "$bs" c.alerts "$SVC_WORK/expected.ids"
# the failures ran out: checkpoints land again and the keys are in the changelog
svc_wait_metric 60 c1 newsradar_checkpoint_records_total -gt 0
# Stage 2 may still be counting on a loaded machine (the alerts are in, keys
# that never fire may not be): the key gauge must hold still for 3 s in a row,
# then a few more commit intervals for the checkpoint after the failures.
keys_before=-1 still=0 deadline=$((SECONDS + 120))
while [ "$still" -lt 3 ]; do
    k="$(svc_metric c1 newsradar_window_keys)" || k=-1
    if [ "$k" = "$keys_before" ]; then still=$((still + 1)); else still=0 keys_before="$k"; fi
    [ "$SECONDS" -lt "$deadline" ] || svc_fail "c1: window keys never settled (last $k)"
    sleep 1
done
sleep 3
keys_before="$(svc_metric c1 newsradar_window_keys)"
[ "$keys_before" -gt 0 ] || svc_fail "c1 holds no window keys"
svc_stop c1
svc_start c1 "$cconf" "$cport"
svc_wait 60 "c1 (restarted): /readyz" svc_http_ok c1 /readyz
svc_wait_metric 60 c1 newsradar_assigned_partitions -eq 2 'stage="counts"'
svc_wait_metric 60 c1 newsradar_restoring_partitions -eq 0
svc_wait_metric 60 c1 newsradar_restored_keys_total -gt 0
svc_produce "$bs" c.articles "$SVC_WORK/sentinel.txt"
svc_wait_metric 60 c1 newsradar_dead_letters_total -eq 1
got="$(svc_metric c1 newsradar_articles_in_total)"
[ "$got" -eq 1 ] || svc_fail "after the failed checkpoints and a restart $got messages were read, expected only the sentinel"
# Every key came back, though the checkpoint that first wrote them failed
# (the next one writes them all again)...
got="$(svc_metric c1 newsradar_restored_keys_total)"
[ "$got" -eq "$keys_before" ] || svc_fail "restored $got window keys, held $keys_before before the restart"
# ...and the counts offsets were committed past the failures: no count event
# is read again (it would be an exact duplicate of a restored one).
sleep 2 # the duplicate counter is refreshed every second
got="$(svc_metric c1 newsradar_duplicates_total)"
[ "$got" -eq 0 ] || svc_fail "$got count events were read again after the restart"
svc_log "ok: failed checkpoints ($(grep -c 'delivery to c.windows failed' "${SVC_LOG[c1]}") records refused)" \
    "held nothing for good; restart restored $(svc_metric c1 newsradar_restored_keys_total) keys"
svc_stop c1

# ---- 6. a restore that stalls -------------------------------------------------------------
# Changelog partition 1 holds 3000 records the restore must read (not window
# states: each is counted as unusable) and has no leader, so its end offset
# cannot be read: that repartition partition stays paused and its restore
# keeps retrying, while partition 0 is restored and counted. Once the
# changelog partition has a leader again it is read to the end over several
# fetches and restore steps (every record seen once), the partition resumes,
# and none of its events is lost: the alert ids equal replay's.
case_topics r 2
case_leaders 1 r.articles:0 r.counts:0 r.counts:1 r.windows:0 r.windows:1 r.alerts:0 r.dlq:0
n_junk=3000 # x ~1 KB: under the mock's ~5 MiB per partition
python3 -c "
import sys
for i in range($n_junk):
    sys.stdout.write('junk-%05d:' % i + 'x' * 1000 + '\n')" >"$SVC_WORK/junk.txt"
svc_produce "$bs" r.windows "$SVC_WORK/junk.txt" -p 1 -K:
case_leaders -1 r.windows:1
rport="$(svc_free_port)"
rconf="$(case_conf stall r "$rport" 2)"
svc_start r1 "$rconf" "$rport"
svc_wait_metric 60 r1 newsradar_assigned_partitions -eq 2 'stage="counts"'
svc_wait_metric 30 r1 newsradar_restoring_partitions -eq 1
svc_produce "$bs" r.articles "$input"
svc_wait_metric 60 r1 newsradar_articles_in_total -eq "$n_in"
svc_wait_metric 60 r1 newsradar_window_keys -gt 0
got="$(svc_metric r1 newsradar_restoring_partitions)"
[ "$got" -eq 1 ] || svc_fail "the stalled partition's restore ended without a changelog leader ($got restoring)"
keys_part0="$(svc_metric r1 newsradar_window_keys)"
grep -q 'changelog r.windows \[1\]: .*retrying' "${SVC_LOG[r1]}" ||
    svc_fail "r1: no retry of the stalled end-offset query logged"
case_leaders 1 r.windows:1
svc_wait_metric 60 r1 newsradar_restoring_partitions -eq 0
grep -q "restored 0 keys of r.windows \\[1\\] ($n_junk unusable)" "${SVC_LOG[r1]}" ||
    svc_fail "r1: the restore of r.windows [1] did not read its $n_junk records once each" \
        "($(grep -o 'restored [0-9]* keys of r.windows .1. ([0-9]* unusable)' "${SVC_LOG[r1]}"))"
svc_wait 120 "all $n_ids replay alert ids in topic r.alerts" \
    svc_has_ids "$bs" r.alerts "$SVC_WORK/expected.ids"
svc_alert_ids "$bs" r.alerts >"$SVC_WORK/got-stall.ids"
diff "$SVC_WORK/expected.ids" "$SVC_WORK/got-stall.ids" ||
    svc_fail "after the stalled restore the alert ids differ from replay's (< replay, > service)"
svc_stop r1
svc_log "ok: a stalled restore paused one partition ($keys_part0 keys counted meanwhile on the other)," \
    "then read its $n_junk changelog records and resumed it; alert ids = replay's"

# ---- 7. start-up with every broker down ----------------------------------------------------
# The service must stay up (live: /healthz 200) and say why it is not ready
# (/readyz 503) while it retries, well past the 10 s after which it used to
# exit into a container restart loop; once the brokers are back it becomes
# ready and its alerts are replay's. A SIGTERM while it waits is a clean stop.
case_topics n 2
nport="$(svc_free_port)"
nconf="$(case_conf nobroker n "$nport" 2)"
for b in 1 2 3; do mc down "$b"; done
svc_start n1 "$nconf" "$nport"
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 15 ]; do
    svc_assert_alive n1
    svc_http_ok n1 /healthz || svc_fail "n1: /healthz failed while the brokers are down"
    ! svc_http_ok n1 /readyz || svc_fail "n1: ready with every broker down"
    sleep 1
done
why="$(curl -sS --max-time 5 "http://127.0.0.1:$nport/readyz" || true)"
case "$why" in
"not ready: waiting for Kafka"*) ;;
*) svc_fail "n1: /readyz said '$why' with the brokers down" ;;
esac
grep -q 'not ready: .*retrying in' "${SVC_LOG[n1]}" || svc_fail "n1: no retry logged"
svc_stop n1 20
grep -q 'stop requested before the topics could be checked' "${SVC_LOG[n1]}" ||
    svc_fail "n1: stopped while waiting, without saying so (see ${SVC_LOG[n1]})"
svc_start n1 "$nconf" "$nport"
sleep 2
for b in 1 2 3; do mc up "$b"; done
svc_wait 60 "n1: /readyz once the brokers are back" svc_http_ok n1 /readyz
svc_produce "$bs" n.articles "$input"
svc_wait 120 "all $n_ids replay alert ids in topic n.alerts" \
    svc_has_ids "$bs" n.alerts "$SVC_WORK/expected.ids"
svc_stop n1
svc_log "ok: start-up with the brokers down: live and not ready ($why), then ready and alerts = replay's"

echo quit >&"${MC[1]}"
echo "PASS: newsradar run on the mock cluster (alerts = replay, dead letters, commit, restore, outage, shutdown with brokers down, failed checkpoints, stalled restore, start-up with brokers down)"
