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
# floors FLOORS LABELLED...: a set scored on its own against its floors
floors() {
    local f="$1"
    shift
    "$bin" eval -c config/newsradar.yaml --no-misses --floors "tests/data/eval/$f" "$@" >/dev/null
    rc=$?
    [ $rc -eq 0 ] || { echo "FAIL: newsradar eval of $* exited $rc" >&2; exit 1; }
}
e=tests/data/eval
# the December 2026 English items on their own (written before the rules
# were read): a change that only holds up on the older items fails here
floors floors_fresh_en.txt $e/fresh_en.jsonl
# the issue #8 items in fr, es, de, pt, ru and tr on their own (written
# before the i18n rules were read), scored per language
floors floors_blind_latin.txt $e/blind_fr.jsonl $e/blind_es.jsonl $e/blind_de.jsonl \
    $e/blind_pt.jsonl $e/blind_ru.jsonl $e/blind_tr.jsonl
# the same for blind_en.jsonl (written before its writer read the rules)
floors floors_blind_en.txt $e/blind_en.jsonl
# blind2_en.jsonl (90 items, December 2026): wire, statements, readouts,
# briefings, South Asian/African/Latin American local press, liveblogs and
# hard negatives, also written before its writer read the rules
floors floors_blind2_en.txt $e/blind2_en.jsonl
# blind3_en.jsonl (60 items, December 2026): the same registers, written by
# a helper that had read no rule, lexicon, watchlist or test file
floors floors_blind3_en.txt $e/blind3_en.jsonl
# blind4_en.jsonl (60 items, 20 hard negatives) and blind5_en.jsonl (50
# items of South Asian and Middle Eastern English press), December 2026,
# written the same way
floors floors_blind4_en.txt $e/blind4_en.jsonl
floors floors_blind5_en.txt $e/blind5_en.jsonl
# blind6_en.jsonl (50 items, 20 hard negatives of the kinds keyword rules
# get wrong), written the same way
floors floors_blind6_en.txt $e/blind6_en.jsonl
# the December 2026 Arabic, Persian, Urdu, Pashto and Chinese items written
# before their writer read the i18n rules (issue #8), on their own
floors floors_blind_nonlatin.txt $e/blind_ar.jsonl $e/blind_fa.jsonl $e/blind_ur.jsonl \
    $e/blind_ps.jsonl $e/blind_zh.jsonl
# officials in other languages: the blind items (written before that work)
# and the role-phrase items of tests/data/eval/roles/ (written after it)
floors floors_blind_officials.txt $e/blind_officials.jsonl
floors floors_roles_i18n.txt $e/roles/roles_i18n.jsonl
# English office-holders by their titles across regions (honorifics,
# particles, titles after the name, hard negatives), written before their
# writer read the role lexicon or the officials TSVs (issue #7)
floors floors_officials2_en.txt $e/officials2_en.jsonl
# scraped pages (December 2026; in pages/, out of the pooled floors.txt run
# above, whose entity floors assume labels for every country the text names): the story plus its page furniture (menus,
# "Also Read |", "Trending now:", "Most read" lists, "Tags:", captions,
# comments), 25 real-topic and 20 benign stories, labelled by the story only
# (written before their writer read the rules); entities named in link
# lines do not count (docs/watchlists.md), the rest of the furniture
# (breadcrumbs, menus, comments) still does
floors floors_pages_en.txt $e/pages/pages_en.jsonl
echo "eval.sh: ok"
