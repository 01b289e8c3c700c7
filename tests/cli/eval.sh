#!/usr/bin/env bash
# eval.sh - the shipped configuration against the labelled corpus
# (tests/data/eval/*.jsonl) must stay at or above tests/data/eval/floors.txt:
# a rule or watchlist change that loses precision or recall fails here, with
# the metric named. Raise the floors when detection improves.
# usage: bash eval.sh NEWSRADAR_BINARY SOURCE_ROOT
set -u
bin=$1
src=$2
cd "$src" || exit 1
"$bin" eval -c config/newsradar.yaml --floors tests/data/eval/floors.txt tests/data/eval/*.jsonl
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: newsradar eval exited $rc" >&2; exit 1; }
# the December 2026 English items on their own (written before the rules
# were read): a change that only holds up on the older items fails here
"$bin" eval -c config/newsradar.yaml --no-misses --floors tests/data/eval/floors_fresh_en.txt \
    tests/data/eval/fresh_en.jsonl >/dev/null
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: newsradar eval of fresh_en.jsonl exited $rc" >&2; exit 1; }
# the issue #8 items in fr, es, de, pt, ru and tr on their own (written before the i18n
# rules were read), scored per language
"$bin" eval -c config/newsradar.yaml --no-misses --floors tests/data/eval/floors_blind_latin.txt \
    tests/data/eval/blind_fr.jsonl tests/data/eval/blind_es.jsonl tests/data/eval/blind_de.jsonl \
    tests/data/eval/blind_pt.jsonl tests/data/eval/blind_ru.jsonl tests/data/eval/blind_tr.jsonl >/dev/null
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: newsradar eval of blind_{fr,es,de,pt,ru,tr}.jsonl exited $rc" >&2; exit 1; }
echo "eval.sh: ok"
