#!/usr/bin/env bash
# eval_cmd.sh - `newsradar eval` computes what a person computes by hand on
# tests/data/evalcmd (counts and P/R/F1 written out in the comments below),
# rejects bad lines (exit 3), checks floors (exit 1 below, 2 for a bad
# floors file with file:line:col) and answers usage errors with 64.
# usage: bash eval_cmd.sh NEWSRADAR_BINARY SOURCE_ROOT
set -u
bin=$1
src=$2
d=$src/tests/data/evalcmd
cfg=$d/newsradar.yaml
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" eval -c "$cfg" --json "$d/articles.jsonl" >"$tmp/out.json" 2>"$tmp/err"; rc=$?
[ $rc -eq 3 ] || fail "3 bad lines: exit $rc, want 3"
for want in 'articles.jsonl:6: no "labels" object' 'articles.jsonl:7: id "e1" seen before' \
    'articles.jsonl:8: labels: unknown key "topic"'; do
    grep -qF "$want" "$tmp/err" || fail "stderr lacks '$want': $(cat "$tmp/err")"
done
q() { jq -c "$1" "$tmp/out.json"; }
expect() { # jq-filter want
    local got
    got=$(q "$1")
    [ "$got" = "$2" ] || fail "$1 = $got, want $2"
}
expect .articles 4
expect .rejected 3
# countries: e1 PK AF found; e2 PK labelled (only Peshawar, a place, in the
# text) and IN found unlabelled; e4 AF found, IR in no watchlist.
# tp 3, fp 1, fn 2: P 3/4, R 3/5, F1 6/9
expect '.kinds.countries' '{"tp":3,"fp":1,"fn":2,"p":0.75,"r":0.6,"f1":0.6667}'
# groups: e1 TTP; e2 BLA labelled, not in the text; e3 TTP labelled twice
# by two aliases, found once: tp 2, fn 2
expect '.kinds.groups' '{"tp":2,"fp":0,"fn":2,"p":1,"r":0.5,"f1":0.6667}'
# officials: e1 Sharif; e2 Asim Munir in no watchlist
expect '.kinds.officials' '{"tp":1,"fp":0,"fn":1,"p":1,"r":0.5,"f1":0.6667}'
# topics: border_closure e1 tp, e4 fp; attack e2 e3 tp; protest e3 fn (the
# rule has a term no article uses, so its precision is undefined)
expect '.kinds.topics' '{"tp":3,"fp":1,"fn":1,"p":0.75,"r":0.75,"f1":0.75}'
expect '.topics.border_closure' '{"tp":1,"fp":1,"fn":0,"p":0.5,"r":1,"f1":0.6667}'
expect '.topics.attack' '{"tp":2,"fp":0,"fn":0,"p":1,"r":1,"f1":1}'
expect '.topics.protest' '{"tp":0,"fp":0,"fn":1,"p":null,"r":0,"f1":0}'
# languages: e1 declares en-GB (counted as en), e2 en, e3 fr, e4 none
# (detected: English)
expect '[.languages | to_entries[] | [.key, .value.articles]]' '[["en",3],["fr",1]]'
expect '.languages.en.kinds.countries' '{"tp":3,"fp":1,"fn":2,"p":0.75,"r":0.6,"f1":0.6667}'
expect '.languages.fr.kinds.topics' '{"tp":1,"fp":0,"fn":1,"p":1,"r":0.5,"f1":0.6667}'
expect '[.misses[].id]' '["e2","e3","e4"]'
expect '.misses[0]' '{"id":"e2","fn":{"countries":["PK"],"groups":["Baloch Liberation Army"],"officials":["Asim Munir"]},"fp":{"countries":["IN"]},"unlisted":["Asim Munir"]}'
expect '.misses[2].unlisted' '["IR"]'

# the text report: the same numbers, the misses one line per article
"$bin" eval -c "$cfg" "$d/articles.jsonl" >"$tmp/out.txt" 2>/dev/null
grep -Eq '^countries +5 +4 +3 +1 +2 +0\.750 +0\.600 +0\.667$' "$tmp/out.txt" || fail "text countries row: $(cat "$tmp/out.txt")"
grep -Eq '^protest +1 +0 +0 +0 +1 +- +0\.000 +0\.000$' "$tmp/out.txt" || fail "text protest row"
grep -Eq '^  e2 +countries -PK \+IN; groups -Baloch Liberation Army; officials -Asim Munir\*$' "$tmp/out.txt" || fail "text misses of e2"
grep -q '^language fr (1)' "$tmp/out.txt" || fail "text language table"

# floors: at the floor passes, below fails and is named, undefined passes
good=$tmp/good.jsonl
head -4 "$d/articles.jsonl" >"$good"
printf '# floors\ncountries.p 0.75\ngroups.r: 0.6   # below: 0.5\nattack.f1 = 1\nprotest.p 0.9\n' >"$tmp/floors.txt"
"$bin" eval -c "$cfg" --floors "$tmp/floors.txt" "$good" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "below a floor: exit $rc, want 1"
grep -qF 'below floor: groups.r 0.5000 < 0.6000' "$tmp/err" || fail "floor not named: $(cat "$tmp/err")"
[ "$(grep -c 'below floor' "$tmp/err")" -eq 1 ] || fail "only groups.r is below: $(cat "$tmp/err")"
grep -q 'floors (.*): 4 checked, 1 below' "$tmp/out" || fail "floors summary: $(tail -3 "$tmp/out")"
printf 'countries.p 0.75\ngroups.r 0.5\n' >"$tmp/ok.txt"
"$bin" eval -c "$cfg" --floors "$tmp/ok.txt" --json "$good" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] || fail "at the floors: exit $rc, want 0 ($(cat "$tmp/err"))"
[ "$(jq -c '[.floors[].ok]' "$tmp/out")" = '[true,true]' ] || fail "json floors: $(jq -c .floors "$tmp/out")"
# per language: fr finds one topic of two (0.5) and has no country at all;
# en (e1, e2, e4) has topics P 2/3; there is no article in xx
printf 'topics.r@fr 0.6\ncountries.r@fr 0.9\ngroups.p@xx 0.9\ntopics.p@en 0.66\n' >"$tmp/lang.txt"
"$bin" eval -c "$cfg" --floors "$tmp/lang.txt" "$good" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || fail "below a language floor: exit $rc, want 1"
[ "$(grep 'below floor' "$tmp/err")" = 'newsradar eval: below floor: topics.r@fr 0.5000 < 0.6000' ] || fail "language floors: $(cat "$tmp/err")"
printf 'countries.p 0.5\nnope.f1 0.5\ngroups.x 0.5\nattack.r 1.5\ngroups.r@EN 0.5\n' >"$tmp/bad.txt"
"$bin" eval -c "$cfg" --floors "$tmp/bad.txt" "$good" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "bad floors file: exit $rc, want 2"
grep -q "bad.txt:2:1: unknown metric 'nope.f1'" "$tmp/err" || fail "bad floors: $(cat "$tmp/err")"
grep -q "bad.txt:3:1: unknown metric 'groups.x'" "$tmp/err" || fail "bad metric suffix"
grep -q "bad.txt:4:10: '1.5': the floor must be a number from 0 to 1" "$tmp/err" || fail "bad value column"
grep -q "bad.txt:5:1: unknown metric 'groups.r@EN'" "$tmp/err" || fail "bad language tag"

# officials found by their role (a two-role lexicon): r1 by full name, r2
# "Defence Minister Gallant" is the labelled Yoav Gallant, r3 an official
# nobody labelled, r4 a watchlist name labelled with a middle initial
"$bin" eval -c "$d/newsradar-roles.yaml" --json "$d/roles.jsonl" >"$tmp/roles.json" 2>"$tmp/err"; rc=$?
[ $rc -eq 0 ] || fail "roles: exit $rc ($(cat "$tmp/err"))"
[ "$(jq -c .kinds.officials "$tmp/roles.json")" = '{"tp":3,"fp":1,"fn":0,"p":0.75,"r":1,"f1":0.8571}' ] || fail "roles: $(jq -c .kinds.officials "$tmp/roles.json")"
[ "$(jq -c '.misses' "$tmp/roles.json")" = '[{"id":"r3","fn":{},"fp":{"officials":["Jane Roe"]},"unlisted":[]}]' ] || fail "roles misses: $(jq -c .misses "$tmp/roles.json")"

# stdin, several files, usage and I/O errors
"$bin" eval -c "$cfg" --json - "$good" <"$good" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 3 ] || fail "the same ids twice: exit $rc, want 3"
[ "$(jq .articles "$tmp/out")" = 4 ] || fail "repeated ids counted"
"$bin" eval -c "$cfg" "$tmp/missing.jsonl" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "missing input: exit $rc, want 1"
"$bin" eval -c "$cfg" >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "no input: exit $rc, want 64"
"$bin" eval "$good" >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "no -c: exit $rc, want 64"
"$bin" eval -c "$cfg" --bogus "$good" >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "unknown option: exit $rc, want 64"
"$bin" eval --help | grep -q 'usage: newsradar eval' || fail "--help"
printf 'watchlists: [nope.yaml]\n' >"$tmp/badcfg.yaml"
"$bin" eval -c "$tmp/badcfg.yaml" "$good" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "bad config: exit $rc, want 2"

# per-line messages: the command's prefix, at most 100, then a count
for i in $(seq 1 150); do echo "not json $i"; done >"$tmp/bad150.jsonl"
"$bin" eval -c "$cfg" "$tmp/bad150.jsonl" >/dev/null 2>"$tmp/err150"; rc=$?
[ $rc -eq 3 ] || fail "150 bad lines: exit $rc, want 3"
n=$(grep -c '^newsradar eval: .*bad150\.jsonl:[0-9]*: invalid_json' "$tmp/err150")
[ "$n" -eq 100 ] || fail "150 bad lines: $n per-line messages, want 100 with the prefix"
grep -qx 'newsradar eval: 50 more rejected lines not shown' "$tmp/err150" ||
    fail "no count of the lines not shown: $(tail -2 "$tmp/err150")"

[ $fails -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "eval_cmd.sh: ok"
