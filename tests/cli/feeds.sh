#!/usr/bin/env bash
# feeds.sh - real feed shapes through `replay` and `tag` (issue 9): JSON text
# streams (pretty-printed objects), arrays, envelopes with a preset, a BOM,
# lenient optional fields and their warnings, invalid UTF-8, one article
# dated 2099 (or a day ahead of the stream) among good ones, undated articles
# before the first dated one, --sort (in memory and with runs on disk), the
# out-of-order warning, the 100-message cap, --progress/--quiet, SIGTERM
# during a replay (exit 143, summary, whole lines), streaming `tag`, a
# source's boilerplate blanked, an article too large for memory rejected.
#
# usage: bash tests/cli/feeds.sh NEWSRADAR-BINARY SOURCE-ROOT
set -u
nr=${1:?usage: feeds.sh NEWSRADAR-BINARY SOURCE-ROOT}
src=${2:?usage: feeds.sh NEWSRADAR-BINARY SOURCE-ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
has() { grep -Eq -- "$2" "$1" || fail "$3: no line matching /$2/ in $(basename "$1"): $(head -c 600 "$1")"; }

rcfg=$src/tests/data/replay/config/newsradar.yaml
tcfg=$src/tests/data/tag/config/newsradar.yaml

# ---- replay: the same five attacks as JSONL, pretty-printed, an array ---------------
attack() { # attack N MINUTE
    printf '{"id":"a%d","title":"Attack reported in Pakistan","body":"An attack was reported in Pakistan. %s","url":"https://news.example.org/%d","source":"example-wire","published_at":"2024-03-01T10:%02d:00Z"}\n' \
        "$1" "$(head -c $((200 + $1 * 37)) /dev/urandom | od -An -tx1 | tr -d ' \n' | sed 's/\(....\)/w\1 /g')" "$1" "$2"
}
for i in 1 2 3 4 5 6; do attack "$i" "$i"; done >"$tmp/feed.jsonl"
"$nr" replay -c "$rcfg" "$tmp/feed.jsonl" >"$tmp/want" 2>"$tmp/err" || fail "jsonl replay: $(cat "$tmp/err")"
[ -s "$tmp/want" ] || fail "the JSONL feed raised no alert"

jq . "$tmp/feed.jsonl" >"$tmp/pretty.json"
"$nr" replay -c "$rcfg" "$tmp/pretty.json" >"$tmp/got" 2>"$tmp/err" || fail "pretty replay: $(cat "$tmp/err")"
cmp -s "$tmp/want" "$tmp/got" || fail "pretty-printed objects give other alerts than JSONL"

jq -s . "$tmp/feed.jsonl" >"$tmp/array.json"
"$nr" replay -c "$rcfg" "$tmp/array.json" >"$tmp/got" 2>"$tmp/err" || fail "array replay: $(cat "$tmp/err")"
cmp -s "$tmp/want" "$tmp/got" || fail "a JSON array gives other alerts than JSONL"
has "$tmp/err" "^newsradar replay: 6 articles" "an array counts its articles"

{ printf '\xef\xbb\xbf'; cat "$tmp/feed.jsonl"; } >"$tmp/bom.jsonl"
"$nr" replay -c "$rcfg" "$tmp/bom.jsonl" >"$tmp/got" 2>"$tmp/err" || fail "BOM replay: $(cat "$tmp/err")"
cmp -s "$tmp/want" "$tmp/got" || fail "a BOM changes the alerts"

# ---- one article dated 2099 does not silence the rest ----------------------------------
{
    sed -n 1,2p "$tmp/feed.jsonl"
    sed -n 3p "$tmp/feed.jsonl" | sed 's/2024-03-01T10:03:00Z/2099-01-01T00:00:00Z/'
    sed -n '4,$p' "$tmp/feed.jsonl"
} >"$tmp/future.jsonl"
"$nr" replay --summary-json -c "$rcfg" "$tmp/future.jsonl" >"$tmp/got" 2>"$tmp/err" ||
    fail "future replay: $(cat "$tmp/err")"
[ "$(jq -s 'length' "$tmp/got")" -eq "$(jq -s 'length' "$tmp/want")" ] ||
    fail "a 2099 article changed the number of alerts: $(cat "$tmp/got")"
grep '^{' "$tmp/err" | tail -1 | jq -e '.future == 1 and .late == 0 and .skipped == 0' >/dev/null ||
    fail "future summary: $(cat "$tmp/err")"
cat >"$tmp/reject.yaml" <<EOF
watchlists: [$src/tests/data/replay/config/watchlist.yaml]
rules: [$src/tests/data/replay/config/rules.yaml]
engine: {future_policy: reject}
EOF
"$nr" replay -c "$tmp/reject.yaml" "$tmp/future.jsonl" >"$tmp/got" 2>"$tmp/err"
[ $? -eq 3 ] || fail "future_policy reject: want exit 3"
has "$tmp/err" "future\.jsonl:3: future_published_at: published_at 2099-01-01T00:00:00.000Z is more than engine.max_future" "future rejected with its line"

# 2099 ahead of the stream but not of the arrival clock: a feed of 2016 read in
# a run whose clock says 2099 is still caught (one-article lookahead)
sed 's/2024-03-01T10:/2016-06-06T10:/; s/2099-01-01T00:00:00Z/2016-06-07T10:03:00Z/' "$tmp/future.jsonl" >"$tmp/future2016.jsonl"
"$nr" replay --summary-json -c "$rcfg" "$tmp/future2016.jsonl" >"$tmp/got" 2>"$tmp/err" ||
    fail "stream-future replay: $(cat "$tmp/err")"
[ "$(jq -s 'length' "$tmp/got")" -eq "$(jq -s 'length' "$tmp/want")" ] ||
    fail "an article a day ahead of the stream changed the number of alerts: $(cat "$tmp/got")"
grep '^{' "$tmp/err" | tail -1 | jq -e '.future == 1 and .late == 0 and .skipped == 0' >/dev/null ||
    fail "stream-future summary: $(cat "$tmp/err")"
"$nr" replay -c "$tmp/reject.yaml" "$tmp/future2016.jsonl" >"$tmp/got" 2>"$tmp/err"
[ $? -eq 3 ] || fail "stream future, policy reject: want exit 3"
has "$tmp/err" "future_published_at: held article \"a3\": published_at 2016-06-07T10:03:00.000Z is more than engine.max_future after stream time" "stream future rejected by id"
# the last article a day ahead: nothing confirms it, it is future-dated
{ cat "$tmp/feed.jsonl"; attack 7 7 | sed 's/2024-03-01T10:07/2024-03-02T10:07/'; } >"$tmp/lastahead.jsonl"
"$nr" replay --summary-json -c "$rcfg" "$tmp/lastahead.jsonl" >"$tmp/got" 2>"$tmp/err" ||
    fail "last-ahead replay: $(cat "$tmp/err")"
grep '^{' "$tmp/err" | tail -1 | jq -e '.future == 1 and .articles == 7 and .keys_firing == 1' >/dev/null ||
    fail "last article ahead: $(cat "$tmp/err")"

# ---- undated articles before the first dated one are held, never dropped -------------
{ attack 1 1 | jq -c 'del(.published_at)'; attack 2 2 | jq -c 'del(.published_at)'; sed -n '3,$p' "$tmp/feed.jsonl"; } >"$tmp/undated.jsonl"
"$nr" replay --summary-json -c "$rcfg" "$tmp/undated.jsonl" >"$tmp/got" 2>"$tmp/err" ||
    fail "undated-first replay: $(cat "$tmp/err")"
cmp -s <(jq -c '.detected_at' "$tmp/want") <(jq -c '.detected_at' "$tmp/got") ||
    fail "undated first articles: other alerts than the dated feed: $(cat "$tmp/got")"
grep '^{' "$tmp/err" | tail -1 | jq -e '.articles == 6 and .skipped == 0 and .undated_held == 2 and .undated_arrival == 0' >/dev/null ||
    fail "undated-first summary: $(cat "$tmp/err")"
# hold_bytes 0: nothing is held, the first undated article takes its arrival
# time (and so sets stream time: the second takes that, the dated ones are late)
sed 's/future_policy: reject/hold_bytes: 0/' "$tmp/reject.yaml" >"$tmp/nohold.yaml"
"$nr" replay --summary-json -c "$tmp/nohold.yaml" "$tmp/undated.jsonl" >"$tmp/got" 2>"$tmp/err" ||
    fail "hold_bytes 0: $(cat "$tmp/err")"
grep '^{' "$tmp/err" | tail -1 | jq -e '.articles == 6 and .skipped == 0 and .undated_arrival == 1 and .late_articles == 4' >/dev/null ||
    fail "hold_bytes 0 summary: $(cat "$tmp/err")"
# no date anywhere: all at their arrival time
jq -c 'del(.published_at)' "$tmp/feed.jsonl" >"$tmp/nodate.jsonl"
"$nr" replay --summary-json -c "$rcfg" "$tmp/nodate.jsonl" >"$tmp/got" 2>"$tmp/err" ||
    fail "no-date replay: $(cat "$tmp/err")"
grep '^{' "$tmp/err" | tail -1 | jq -e '.articles == 6 and .skipped == 0 and .undated_arrival == 6' >/dev/null ||
    fail "no-date summary: $(cat "$tmp/err")"

# ---- --sort: a shuffled feed gives the alerts of the sorted one ------------------------
for i in $(seq 1 30); do attack "$i" "$i"; done >"$tmp/sorted.jsonl"
"$nr" replay -c "$rcfg" "$tmp/sorted.jsonl" >"$tmp/want" 2>"$tmp/err" || fail "sorted replay: $(cat "$tmp/err")"
awk 'NR % 2 == 0' "$tmp/sorted.jsonl" | tac >"$tmp/shuffled.jsonl"
awk 'NR % 2 == 1' "$tmp/sorted.jsonl" >>"$tmp/shuffled.jsonl"
"$nr" replay -c "$rcfg" "$tmp/shuffled.jsonl" >"$tmp/got" 2>"$tmp/err"
has "$tmp/err" "warning: [0-9]+ articles came later than engine\.grace .*try --sort" "out-of-order warning"
for mem in 268435456 4096; do
    "$nr" replay --sort --sort-memory "$mem" -c "$rcfg" "$tmp/shuffled.jsonl" >"$tmp/got" 2>"$tmp/err" ||
        fail "--sort ($mem): $(cat "$tmp/err")"
    cmp -s "$tmp/want" "$tmp/got" || fail "--sort-memory $mem: alerts differ from the sorted input"
    grep -q "warning:" "$tmp/err" && fail "--sort still warns: $(cat "$tmp/err")"
done

# ---- at most 100 messages, then a count; --quiet; --progress --------------------------
for i in $(seq 1 130); do echo "not json $i"; done >"$tmp/bad.jsonl"
"$nr" replay -c "$rcfg" "$tmp/bad.jsonl" >/dev/null 2>"$tmp/err"
[ "$(grep -c 'invalid_json' "$tmp/err")" -eq 100 ] || fail "message cap: $(grep -c invalid_json "$tmp/err") messages"
has "$tmp/err" "^newsradar replay: 30 more rejected articles not shown$" "message cap count"
"$nr" replay -q -c "$rcfg" "$tmp/bad.jsonl" >/dev/null 2>"$tmp/err"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--quiet prints more than the summary: $(cat "$tmp/err")"
"$nr" replay --progress -c "$rcfg" "$tmp/feed.jsonl" >/dev/null 2>"$tmp/err"
has "$tmp/err" "^newsradar replay: [0-9]+ articles, [0-9.]+ MB \([0-9]+%\), [0-9]+ alerts, [0-9]+ skipped$" "--progress line"

# ---- SIGTERM during a replay: whole lines, the summary, exit 143 -----------------------
# alerts to a pipe are flushed one by one: the second (escalated, at the
# sixth article) says that every article was read
mkfifo "$tmp/fifo" "$tmp/outfifo"
cat "$tmp/outfifo" >"$tmp/got" &
catpid=$!
"$nr" replay -c "$rcfg" "$tmp/fifo" >"$tmp/outfifo" 2>"$tmp/err" &
pid=$!
exec 7>"$tmp/fifo"
cat "$tmp/feed.jsonl" >&7
for _ in $(seq 1 200); do [ "$(wc -l <"$tmp/got")" -ge 2 ] && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"
rc=$?
exec 7>&-
wait "$catpid"
[ "$rc" -eq 143 ] || fail "SIGTERM: exit $rc, want 143"
has "$tmp/err" "^newsradar replay: 6 articles" "SIGTERM: the summary"
jq -e . "$tmp/got" >/dev/null 2>&1 || fail "SIGTERM: a partial alert line: $(cat "$tmp/got")"

# ---- boilerplate: a source's repeated header and trailer stop matching ----------------
# Like a scraped page: a donation header and a "what would you give ... Iran"
# trailer around each story of one source. From the fourth story on they are
# the source's boilerplate: blanked (same offsets), so Iran is no longer
# found; the story's own mentions stay. Another source is not affected.
story_line() { # N SOURCE
    printf '{"id":"b%d","title":"Story %d from the border","source":"%s","body":"Please support independent news\\nDonate\\nPakistan story number %s happened today.\\nWHAT WOULD YOU GIVE TO CHANGE THE NEWS ABOUT IRAN?\\nBrowse categories and topics"}\n' \
        "$1" "$1" "$2" "$(printf '%s' "$1" | tr 0-9 a-j)"
}
{ for i in 1 2 3 4 5; do story_line "$i" site.example; done; story_line 6 other.example; } >"$tmp/boiler.jsonl"
"$nr" tag -c "$tcfg" "$tmp/boiler.jsonl" >"$tmp/got" 2>"$tmp/err" || fail "boilerplate tag: $(cat "$tmp/err")"
[ "$(jq -r '[.entities[].id] | join(",")' "$tmp/got" | tr '\n' ' ')" = "PK,IR PK,IR PK,IR PK PK PK,IR " ] ||
    fail "boilerplate: Iran should be found in stories 1-3 and 6 only: $(jq -c '[.id, [.entities[].id]]' "$tmp/got" | tr '\n' ' ')"
jq -se 'map(select(.id == "b5"))[0].entities[0].spans == [[39, 47, "body"]]' "$tmp/got" >/dev/null ||
    fail "boilerplate: blanking moved the offsets: $(sed -n 5p "$tmp/got")"

# ---- an article too large for memory is rejected, the run goes on ---------------------
# Under a 200 MB address-space limit a 60 MB article cannot get its
# normalized text (about 2.4 bytes of address space per byte with the map): it is rejected as too_large (not SIGABRT) and the next
# article is tagged. Skipped where the limit breaks even a small run (ASan
# reserves terabytes of address space).
printf 'watchlists: [%s]\nrules: [%s]\narticle: {max_bytes: 100000000}\n' \
    "$src/tests/data/tag/config/watchlist.yaml" "$src/tests/data/tag/config/rules.yaml" >"$tmp/huge.yaml"
printf '{"id":"small","title":"Pakistan shuts Torkham","body":"Small one."}\n' >"$tmp/small.jsonl"
if (ulimit -v 200000 && "$nr" tag -c "$tmp/huge.yaml" "$tmp/small.jsonl") >/dev/null 2>&1; then
    {
        printf '{"id":"huge","title":"Big","body":"'
        head -c 60000000 /dev/zero | tr '\0' x
        printf '"}\n'
        cat "$tmp/small.jsonl"
    } >"$tmp/huge.jsonl"
    (ulimit -v 200000 && exec "$nr" tag -c "$tmp/huge.yaml" "$tmp/huge.jsonl") >"$tmp/got" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 3 ] || fail "huge article under a memory limit: exit $rc, want 3: $(head -c 300 "$tmp/err")"
    has "$tmp/err" '^newsradar tag: .*huge.jsonl:1: too_large: out of memory' "huge article reason"
    [ "$(jq -r .id "$tmp/got")" = small ] || fail "the article after the huge one was not tagged"
    rm -f "$tmp/huge.jsonl"
else
    echo "SKIP: the memory-limit test (a small run fails under ulimit -v 200000)"
fi

# ---- memory per article: at most 4 x its size plus a constant (issue 9) ---------------
# Peak RSS of `tag` over one article with a 20 MB body, less that of a 1 KB
# one (the constant: libraries, tables, the matchers). Not under ASan, whose
# shadow memory and redzones are not the program's.
if ! grep -q __asan_init "$nr"; then
    body20() { head -c "$1" /dev/zero | tr '\0' x | sed 's/xxxx/word /g'; }
    for n in 1000 20000000; do
        printf '{"id":"m%d","title":"Pakistan","body":"' "$n"
        body20 "$n"
        printf '"}\n'
    done >"$tmp/mem.jsonl"
    head -1 "$tmp/mem.jsonl" >"$tmp/mem-small.jsonl"
    tail -1 "$tmp/mem.jsonl" >"$tmp/mem-big.jsonl"
    rss() {
        python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$nr" tag -c "$tmp/huge.yaml" "$1"
    }
    small_kb=$(rss "$tmp/mem-small.jsonl") || fail "memory: the small run failed"
    big_kb=$(rss "$tmp/mem-big.jsonl") || fail "memory: the 20 MB run failed"
    size=$(stat -c %s "$tmp/mem-big.jsonl")
    per=$(((big_kb - small_kb) * 1024 * 100 / size))
    echo "memory per article: $((per / 100)).$((per % 100)) x its size ($small_kb KB -> $big_kb KB for $size bytes)"
    [ "$per" -le 400 ] || fail "a 20 MB article costs $((per / 100)).$((per % 100)) x its size, want <= 4"
    # The same with a dense body: nearly every word an alias, a demonym or a
    # topic term of the test config (mentions, topic matches, NEAR pairs,
    # exclusions), so what grows with the matches is bounded too.
    dense='Pakistan closed the border with Afghanistan; Afghan Taliban gunmen and a suicide attack killed Iranian and Indian officials near Torkham, Peshawar. America, Oman, Iran: heart attack, border closure, TTP, ISIS-K, al-Qaeda. '
    {
        printf '{"id":"dense","title":"Pakistan","body":"'
        yes "$dense" | tr -d '\n' | head -c 20000000
        printf '"}\n'
    } >"$tmp/mem-big.jsonl"
    big_kb=$(rss "$tmp/mem-big.jsonl") || fail "memory: the dense 20 MB run failed"
    size=$(stat -c %s "$tmp/mem-big.jsonl")
    per=$(((big_kb - small_kb) * 1024 * 100 / size))
    echo "memory per dense article: $((per / 100)).$((per % 100)) x its size ($small_kb KB -> $big_kb KB for $size bytes)"
    [ "$per" -le 400 ] || fail "a dense 20 MB article costs $((per / 100)).$((per % 100)) x its size, want <= 4"
    rm -f "$tmp/mem.jsonl" "$tmp/mem-small.jsonl" "$tmp/mem-big.jsonl"
fi

# ---- tag: lenient fields, warnings, UTF-8, presets, streaming ---------------------------
printf '%s\n' '{"id":"w1","title":"Pakistan closes Torkham","source":{"id":null,"name":"BBC News"},"language":["en"],"url":12345,"published_at":"yesterday"}' >"$tmp/w.jsonl"
printf '{"id":"w2","title":"Pakistan caf\xe9"}\n' >>"$tmp/w.jsonl"
"$nr" tag -c "$tcfg" "$tmp/w.jsonl" >"$tmp/out" 2>"$tmp/err" || fail "tag lenient: $(cat "$tmp/err")"
[ "$(jq -sc '[.[0].warnings[].field]' "$tmp/out")" = '["url","published_at"]' ] || fail "tag warnings: $(cat "$tmp/out")"
[ "$(jq -sc '.[1].warnings[0].message' "$tmp/out")" = '"1 invalid UTF-8 sequence replaced by U+FFFD"' ] ||
    fail "tag UTF-8 warning: $(cat "$tmp/out")"

mkdir -p "$tmp/p"
cp "$src"/tests/data/tag/config/*.yaml "$tmp/p/"
printf 'watchlists: [watchlist.yaml]\nrules: [rules.yaml]\narticle: {preset: newsapi}\n' >"$tmp/p/newsapi.yaml"
cat >"$tmp/newsapi.json" <<'EOF'
{
  "status": "ok",
  "totalResults": 2,
  "articles": [
    {"source": {"id": null, "name": "Example News"}, "author": null,
     "title": "Pakistan shuts Torkham crossing", "description": "The crossing was shut.",
     "url": "https://example.org/a/1", "publishedAt": "2024-03-01T09:30:00Z",
     "content": "Trucks waited at Torkham. [+120 chars]"},
    {"source": {"id": "x", "name": "Other"}, "title": "Iran and Oman talk",
     "description": null, "url": "https://example.org/a/2", "publishedAt": "2024-03-01T10:00:00Z",
     "content": null}
  ]
}
EOF
"$nr" tag -c "$tmp/p/newsapi.yaml" "$tmp/newsapi.json" >"$tmp/out" 2>"$tmp/err" || fail "newsapi preset: $(cat "$tmp/err")"
[ "$(jq -r .id "$tmp/out" | tr '\n' ' ')" = "https://example.org/a/1 https://example.org/a/2 " ] ||
    fail "newsapi preset: ids $(cat "$tmp/out")"
# the same articles saved as a bare array: records: /articles reads it too
jq -c .articles "$tmp/newsapi.json" >"$tmp/newsapi-bare.json"
"$nr" tag -c "$tmp/p/newsapi.yaml" "$tmp/newsapi-bare.json" >"$tmp/out" 2>"$tmp/err" ||
    fail "newsapi preset, bare array: $(cat "$tmp/err")"
[ "$(jq -r .id "$tmp/out" | tr '\n' ' ')" = "https://example.org/a/1 https://example.org/a/2 " ] ||
    fail "newsapi preset, bare array: ids $(cat "$tmp/out")"
printf 'watchlists: [watchlist.yaml]\narticle: {default_timezone: Asia/Karachi}\n' >"$tmp/p/tz.yaml"
"$nr" check -c "$tmp/p/tz.yaml" >/dev/null 2>"$tmp/err"
has "$tmp/err" "tz\.yaml:2:[0-9]+: default_timezone: \"Asia/Karachi\" is not a zone this build reads" "IANA zone refused"

# tag streams: the first line is out before the input ends
mkfifo "$tmp/tagfifo" "$tmp/tagout"
cat "$tmp/tagout" >"$tmp/stream" &
catpid=$!
"$nr" tag -c "$tcfg" - <"$tmp/tagfifo" >"$tmp/tagout" 2>&1 &
pid=$!
exec 8>"$tmp/tagfifo"
printf '%s\n' '{"id":"s1","title":"Pakistan"}' >&8
ok=0
for _ in $(seq 1 100); do grep -q '"s1"' "$tmp/stream" && { ok=1; break; }; sleep 0.05; done
[ $ok -eq 1 ] || fail "tag did not write the first article before the input ended"
exec 8>&-
wait "$pid"
wait "$catpid"

if [ "$failures" -ne 0 ]; then
    echo "feeds.sh: $failures failure(s)" >&2
    exit 1
fi
echo "feeds.sh: all passed"
