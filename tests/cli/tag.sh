#!/usr/bin/env bash
# tag.sh - `newsradar tag` as a user drives it: one object, a pretty-printed
# object, JSONL with bad lines (exit 3, FILE:LINE: reason on stderr), stdin,
# a plain-text article (--text), a bad config (exit 2), a missing input
# (exit 1), usage (exit 64).
# usage: bash tag.sh NEWSRADAR_BINARY SOURCE_ROOT
set -u
bin=$1
src=$2
cfg=$src/tests/data/tag/config/newsradar.yaml
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one object on one line, from a file
printf '%s\n' '{"id":"a1","title":"Pakistan shuts Torkham","body":"The crossing was shut."}' >"$tmp/one.json"
out=$("$bin" tag -c "$cfg" "$tmp/one.json"); rc=$?
[ $rc -eq 0 ] || fail "one object: exit $rc"
[ "$(printf '%s\n' "$out" | jq -r '.id')" = a1 ] || fail "one object: id ($out)"
[ "$(printf '%s\n' "$out" | jq -c '[.entities[].id]')" = '["PK","PK-TORKHAM"]' ] || fail "one object: entities ($out)"
[ "$(printf '%s\n' "$out" | jq -c '.entities[0].spans')" = '[[0,8,"title"]]' ] || fail "one object: spans ($out)"
[ "$(printf '%s\n' "$out" | jq -r '.entities[0].code')" = PK ] || fail "one object: code"
[ "$(printf '%s\n' "$out" | jq -c '.topics[0]')" = '{"id":"border_closure","score":1,"evidence":["crossing","shut"]}' ] || fail "one object: topics ($out)"

# --explain: the same tags plus why (span texts; signals, matches, score)
ex=$("$bin" tag -c "$cfg" --explain "$tmp/one.json"); rc=$?
[ $rc -eq 0 ] || fail "explain: exit $rc"
[ "$(printf '%s\n' "$ex" | jq -c 'del(.explain)')" = "$out" ] || fail "explain: tags differ ($ex)"
[ "$(printf '%s\n' "$ex" | jq -c '.explain.entities[0].matches[0]')" = '{"field":"title","start":0,"end":8,"text":"Pakistan"}' ] ||
    fail "explain: entity match ($ex)"
[ "$(printf '%s\n' "$ex" | jq -c '.explain.topics[] | select(.id == "border_closure") | [.detected, .score, .threshold, [.signals[] | select(.matched) | .points]]')" = '[true,1,1,[1]]' ] ||
    fail "explain: topic ($ex)"
[ "$(printf '%s\n' "$ex" | jq -r '[.explain.topics[] | select(.id == "border_closure") | .signals[].matches[].text] | join(",")')" = 'crossing,shut' ] ||
    fail "explain: term matches ($ex)"
# an official found by its role is explained too, under its key
printf '%s\n' '{"id":"ex-role","title":"Envoy visits","body":"Ambassador Donald Blome of the United States met officials."}' >"$tmp/role.json"
ex=$("$bin" tag -c "$cfg" --explain "$tmp/role.json") || fail "explain role: exit $?"
[ "$(printf '%s\n' "$ex" | jq -c '.explain.entities[] | select(.id == "donald blome") | .matches')" = '[{"field":"body","start":11,"end":23,"text":"Donald Blome"}]' ] ||
    fail "explain: role official ($ex)"
# entity matches in a link line do not count; --explain lists them apart
printf '%s\n' '{"id":"ex-link","body":"Pakistan shut Torkham.\nTrending now: Iran and Pakistan hold talks"}' >"$tmp/link.json"
ex=$("$bin" tag -c "$cfg" --explain "$tmp/link.json") || fail "explain link: exit $?"
[ "$(printf '%s\n' "$ex" | jq -c '[.entities[] | [.id, .mentions]]')" = '[["PK",1],["PK-TORKHAM",1]]' ] ||
    fail "explain link: entities ($ex)"
[ "$(printf '%s\n' "$ex" | jq -c '.explain.link_lines')" = '[{"id":"IR","field":"body","start":37,"end":41,"text":"Iran"},{"id":"PK","field":"body","start":46,"end":54,"text":"Pakistan"}]' ] ||
    fail "explain link: link_lines ($ex)"
[ "$("$bin" tag -c "$cfg" --explain "$tmp/one.json" | jq -c '.explain.link_lines')" = '[]' ] ||
    fail "explain: link_lines of an article without link lines"

# the same object pretty-printed, through stdin
jq . "$tmp/one.json" >"$tmp/pretty.json"
out2=$("$bin" tag -c "$cfg" - <"$tmp/pretty.json"); rc=$?
[ $rc -eq 0 ] || fail "pretty: exit $rc"
[ "$out2" = "$out" ] || fail "pretty: output differs ($out2)"

# JSONL with a bad line and a blank line: the good ones are tagged, exit 3
{
    printf '%s\n' '{"id":"b1","body":"Iran and Oman."}'
    printf '%s\n' '{"id":"b2","body":'
    printf '\n'
    printf '%s\n' '{"id":"b3","title":"US and us"}'
} >"$tmp/many.jsonl"
"$bin" tag -c "$cfg" "$tmp/many.jsonl" >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 3 ] || fail "jsonl: exit $rc, want 3"
[ "$(jq -r .id "$tmp/out" | tr '\n' ' ')" = "b1 b3 " ] || fail "jsonl: ids $(cat "$tmp/out")"
grep -q "many.jsonl:2: invalid_json" "$tmp/err" || fail "jsonl: stderr $(cat "$tmp/err")"
[ "$(jq -c '[.entities[] | [.id, .mentions]]' "$tmp/out" | tail -1)" = '[["US",1]]' ] || fail "jsonl: US case"

# --text: a plain-text article (a byte order mark, CRLF lines, a quote and
# a control byte that JSON must escape); first line the title, the file
# name the id, spans into the title and the body as made
printf '\xef\xbb\xbfPakistan shuts "Torkham"\r\n\r\nThe crossing was shut.\x01\r\n' >"$tmp/story.txt"
out=$("$bin" tag -c "$cfg" --text "$tmp/story.txt"); rc=$?
[ $rc -eq 0 ] || fail "text: exit $rc"
[ "$(printf '%s\n' "$out" | jq -r '.id')" = story.txt ] || fail "text: id ($out)"
[ "$(printf '%s\n' "$out" | jq -c '[.entities[] | [.id, .spans]]')" = '[["PK",[[0,8,"title"]]],["PK-TORKHAM",[[16,23,"title"]]]]' ] ||
    fail "text: entities ($out)"
[ "$(printf '%s\n' "$out" | jq -r '.topics[0].id')" = border_closure ] || fail "text: topic ($out)"
# one line only: all of it is the body; nothing at all is rejected (exit 3)
out=$(printf 'Pakistan shuts Torkham' | "$bin" tag -c "$cfg" --text -); rc=$?
[ $rc -eq 0 ] || fail "text, one line: exit $rc"
[ "$(printf '%s\n' "$out" | jq -c '.entities[0].spans')" = '[[0,8,"body"]]' ] || fail "text, one line: spans ($out)"
printf '\n \n' | "$bin" tag -c "$cfg" --text - >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 3 ] || fail "text, empty: exit $rc, want 3"
grep -q "missing_text" "$tmp/err" || fail "text, empty: stderr $(cat "$tmp/err")"

# --text title choice (tests/data/tag/text/NAME.txt, written for these
# tests): saved pages open with a masthead, menu lines or the headline
# twice; NAME.expect is the [start, text] of every entity span in the title
# chosen ([] for no title)
for t in "$src"/tests/data/tag/text/*.txt; do
    n=$(basename "$t" .txt)
    got=$("$bin" tag -c "$cfg" --text --explain "$t" |
        jq -c '[.explain.entities[].matches[] | select(.field=="title") | [.start, .text]] | sort')
    [ "$got" = "$(cat "${t%.txt}.expect")" ] || fail "text title $n: $got, want $(cat "${t%.txt}.expect")"
done

# configuration error, missing input, usage
printf 'watchlists: [nope.yaml]\n' >"$tmp/bad.yaml"
"$bin" tag -c "$tmp/bad.yaml" "$tmp/one.json" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "bad config: exit $rc, want 2"
"$bin" tag -c "$cfg" "$tmp/missing.json" >/dev/null 2>&1; rc=$?
[ $rc -eq 1 ] || fail "missing input: exit $rc, want 1"
"$bin" tag "$tmp/one.json" >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "no -c: exit $rc, want 64"

[ $fails -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "tag.sh: ok"
