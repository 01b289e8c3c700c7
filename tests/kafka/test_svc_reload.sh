#!/usr/bin/env bash
# SIGHUP reload of `newsradar run` on librdkafka's mock cluster (fast, so it
# also runs in the ASan + UBSan tree of tests/run.sh; svc_stop fails on a
# sanitizer report):
#   1. a broken watchlist: the reload is rejected, counted and logged; the
#      service stays ready and keeps counting with the old configuration;
#   2. fixed, and a rule's min_count changed: reloaded, its window keys kept;
#   3. a rule renamed: reloaded, the old rule's keys dropped, counting goes on;
#   4. SIGTERM: exit 0, no sanitizer report.
#   bash test_svc_reload.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT
# Exit 77 (ctest: skipped) when kcat, jq, curl or python3 are missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib_svc.sh
. "$here/lib_svc.sh"
[ $# -eq 3 ] || { echo "usage: test_svc_reload.sh NEWSRADAR MOCK_CLUSTER SOURCE_ROOT" >&2; exit 2; }
svc_need kcat jq curl python3
svc_init svc-reload "$1" "$3"

svc_mock "$2" 1 h.articles:1 h.counts:2 h.windows:2 h.alerts:1 h.dlq:1
bs="$SVC_BS"

input="$SVC_SRC/config/demo/articles.jsonl"
n_in="$(wc -l <"$input")"
port="$(svc_free_port)"
conf="$(svc_config "$SVC_WORK/conf" h brokers="$bs" group=nr-reload port="$port" commit=1s \
    partitions=2 input=h.articles alerts=h.alerts dlq=h.dlq counts=h.counts windows=h.windows \
    prop.session.timeout.ms=6000 prop.heartbeat.interval.ms=500 prop.fetch.wait.max.ms=10)"
svc_replay_ids "$conf" "$input" >"$SVC_WORK/expected.ids"
wl="$SVC_WORK/conf/watchlists/afpak.yaml"
rules="$SVC_WORK/conf/rules/security.yaml"
cp "$wl" "$SVC_WORK/afpak.good"
grep -q '^  - id: border_closure_by_country$' "$rules" ||
    svc_fail "rules/security.yaml has no border_closure_by_country rule to change"

svc_start h1 "$conf" "$port"
svc_wait 60 "h1: /readyz" svc_http_ok h1 /readyz
svc_wait_metric 60 h1 newsradar_assigned_partitions -eq 2 'stage="counts"'
svc_produce "$bs" h.articles "$input"
svc_wait_metric 60 h1 newsradar_articles_in_total -eq "$n_in"
svc_wait 60 "the replay alert ids in h.alerts" svc_has_ids "$bs" h.alerts "$SVC_WORK/expected.ids"
svc_wait_metric 30 h1 newsradar_window_keys -gt 0
n_read="$n_in"
# fresh N PREFIX: N tagged demo articles (about Torkham) under new ids
fresh() {
    awk -v n="$1" '/Torkham/ && k < n { print; k++ }' "$input" |
        jq -c --arg p "$2" '.id = $p + .id' >"$SVC_WORK/$2.jsonl"
    svc_produce "$bs" h.articles "$SVC_WORK/$2.jsonl"
    n_read=$((n_read + $1))
    svc_wait_metric 60 h1 newsradar_articles_in_total -eq "$n_read"
}
# reloaded_line N: the Nth "reloaded" log line's "K keys kept, D dropped"
reloaded_line() {
    grep -o 'reloaded .*keys kept, [0-9]* dropped' "${SVC_LOG[h1]}" | sed -n "$1p"
}

# ---- 1. a broken watchlist -------------------------------------------------------------
events0="$(svc_metric h1 newsradar_count_events_total)"
printf 'entities:\n  - id: [this is not closed\n    kind: group\n' >"$wl"
kill -HUP "${SVC_PID[h1]}"
svc_wait_metric 30 h1 newsradar_reload_failures_total -eq 1
grep -q 'reload rejected' "${SVC_LOG[h1]}" || svc_fail "case 1: the rejected reload is not logged"
svc_http_ok h1 /readyz || svc_fail "case 1: not ready after a rejected reload"
fresh 3 hup1-
svc_wait_metric 60 h1 newsradar_count_events_total -gt "$events0"
[ "$(svc_metric h1 newsradar_reloads_total)" -eq 0 ] || svc_fail "case 1: counted as reloaded"
svc_log "case 1 ok: broken watchlist rejected, still counting"

# ---- 2. fixed, and a rule changed: keys kept ---------------------------------------------
cp "$SVC_WORK/afpak.good" "$wl"
awk '/^  - id: border_closure_by_country$/ { r = 1 } r && /^    min_count: / { print "    min_count: 4"; r = 0; next } { print }' \
    "$rules" >"$rules.tmp" && mv "$rules.tmp" "$rules"
"$SVC_NR" check -c "$conf" >/dev/null || svc_fail "case 2: the changed configuration is invalid"
kill -HUP "${SVC_PID[h1]}"
svc_wait_metric 30 h1 newsradar_reloads_total -eq 1
line="$(reloaded_line 1)"
kept="$(sed -E 's/.* ([0-9]+) keys kept.*/\1/' <<<"$line")"
[ "$kept" -gt 0 ] || svc_fail "case 2: no window key kept over the reload ($line)"
events1="$(svc_metric h1 newsradar_count_events_total)"
fresh 3 hup2-
svc_wait_metric 60 h1 newsradar_count_events_total -gt "$events1"
svc_log "case 2 ok: reloaded ($line)"

# ---- 3. a rule renamed: its keys dropped ----------------------------------------------------
sed -i 's/^  - id: border_closure_by_country$/  - id: border_closure_by_country_v2/' "$rules"
kill -HUP "${SVC_PID[h1]}"
svc_wait_metric 30 h1 newsradar_reloads_total -eq 2
line="$(reloaded_line 2)"
dropped="$(sed -E 's/.* ([0-9]+) dropped$/\1/' <<<"$line")"
[ "$dropped" -gt 0 ] || svc_fail "case 3: the renamed rule's keys were not dropped ($line)"
events2="$(svc_metric h1 newsradar_count_events_total)"
fresh 3 hup3-
svc_wait_metric 60 h1 newsradar_count_events_total -gt "$events2"
[ "$(svc_metric h1 newsradar_reload_failures_total)" -eq 1 ] ||
    svc_fail "case 3: a good reload was counted as failed"
svc_log "case 3 ok: reloaded ($line)"

# ---- 4. stop -------------------------------------------------------------------------------
svc_stop h1
echo quit >&"${MC[1]}"
echo "PASS: SIGHUP on the mock cluster: broken config rejected, rule changed (keys kept)," \
    "rule renamed (keys dropped), counting throughout"
