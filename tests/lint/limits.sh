#!/usr/bin/env bash
# limits.sh - the size limits of the source (docs/architecture.md, "Rooms"):
#   - no file under src/ over 1,000 lines;
#   - no function in src/ over 120 lines or with a cyclomatic complexity
#     over 40 (pmccabe's modified McCabe number: a switch counts once).
# tests/lint/limits_known.txt lists the files (path) and functions
# (path:function) that broke a limit when the check was written, one a line,
# each to be split; a listed one that is within the limits again fails the
# check too, so the list only shrinks. Never add to it: split instead.
#
# usage: limits.sh SOURCE-ROOT        (pmccabe: tests/install-deps.sh)
set -u
root=${1:?usage: limits.sh SOURCE-ROOT}
cd "$root" || exit 1
MAX_FILE=1000 MAX_FUNC=120 MAX_CC=40
known=tests/lint/limits_known.txt
command -v pmccabe >/dev/null || { echo "limits.sh: pmccabe not found (tests/install-deps.sh)" >&2; exit 1; }
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

listed=$(grep -Ev '^(#|$)' "$known" 2>/dev/null | LC_ALL=C sort -u)
files=$(find src/ -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) | LC_ALL=C sort)
for f in $files; do
    n=$(wc -l <"$f")
    if grep -qxF "$f" <<<"$listed"; then
        [ "$n" -gt "$MAX_FILE" ] || fail "$f is within the limits now: remove it from $known"
    elif [ "$n" -gt "$MAX_FILE" ]; then
        fail "$f: $n lines (limit $MAX_FILE): split it into rooms with a private header"
    fi
done

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# pmccabe: modified-mcc traditional-mcc statements first-line lines file(line): function
# shellcheck disable=SC2086
pmccabe $(echo "$files" | grep -E '\.(c|cc)$') >"$tmp" || { echo "limits.sh: pmccabe failed" >&2; exit 1; }
[ -s "$tmp" ] || { echo "limits.sh: pmccabe found no functions" >&2; exit 1; }
over=$(awk -v L="$MAX_FUNC" -v C="$MAX_CC" -F'\t' '
    { file = $6; sub(/\(.*/, "", file); fn = $6; sub(/^[^)]*\): */, "", fn)
      if ($5 > L || $1 > C) printf "%s:%s %d %d\n", file, fn, $5, $1 }' "$tmp")
while read -r id lines cc; do
    [ -n "$id" ] || continue
    if ! grep -qxF "$id" <<<"$listed"; then
        fail "$id: $lines lines, complexity $cc (limits $MAX_FUNC lines, $MAX_CC): split it"
    fi
done <<<"$over"
while read -r id; do
    [ -n "$id" ] && [[ $id == *:* ]] || continue # a file: checked above
    grep -q "^$id " <<<"$over" || fail "$id is within the limits now: remove it from $known"
done <<<"$listed"
nfunc=$(wc -l <"$tmp")
nknown=$(grep -c . <<<"$listed")
[ -z "$listed" ] && nknown=0
[ "$fails" -eq 0 ] && echo "limits.sh: $(echo "$files" | wc -l) files, $nfunc functions within the limits ($nknown listed in $known)"
[ "$fails" -eq 0 ]
