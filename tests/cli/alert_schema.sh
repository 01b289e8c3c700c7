#!/usr/bin/env bash
# alert_schema.sh - `newsradar replay` over every replay case: the alerts on
# stdout validate against docs/alert.schema.json (with Python's jsonschema,
# Debian's python3-jsonschema, installed by tests/install-deps.sh; missing
# it is a failure, not a skip), as many
# alerts as NAME.expect.jsonl lists, and two runs give identical bytes.
# usage: bash alert_schema.sh NEWSRADAR_BINARY SOURCE_ROOT
set -u
bin=$1
src=$2
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$src/tests/data/replay

# The python3 on PATH may be a private one (pyenv) without Debian's modules.
py=
for cand in python3 /usr/bin/python3; do
    if "$cand" -c 'import jsonschema' 2>/dev/null; then py=$cand; break; fi
done
have_py=0
if [ -n "$py" ]; then
    have_py=1
    "$py" - "$src/docs/alert.schema.json" <<'PY' || fail "docs/alert.schema.json is not a valid draft 2020-12 schema"
import json, sys, jsonschema
jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))
PY
else
    fail "python3 jsonschema not installed (tests/install-deps.sh installs python3-jsonschema)"
fi

n=0
for f in "$dir"/*.jsonl; do
    case $f in *.expect.jsonl) continue ;; esac
    name=$(basename "$f" .jsonl)
    cfg=$dir/config/newsradar.yaml
    [ -f "$dir/$name.yaml" ] && cfg=$dir/$name.yaml
    "$bin" replay -c "$cfg" "$f" >"$tmp/$name.1" 2>"$tmp/$name.err" ||
        fail "$name: replay exited $? ($(head -c 300 "$tmp/$name.err"))"
    "$bin" replay -c "$cfg" "$f" >"$tmp/$name.2" 2>/dev/null
    cmp -s "$tmp/$name.1" "$tmp/$name.2" || fail "$name: two replays differ"
    want=$(grep -c "^[^#]" "$dir/$name.expect.jsonl" || true)
    got=$(grep -c . "$tmp/$name.1" || true)
    [ "$want" = "$got" ] || fail "$name: $got alerts, want $want"
    if [ -s "$tmp/$name.1" ]; then
        jq -e . "$tmp/$name.1" >/dev/null 2>&1 || fail "$name: output is not JSON lines"
    fi
    if [ $have_py = 1 ]; then
        "$py" - "$src/docs/alert.schema.json" "$tmp/$name.1" <<'PY' || fail "$name: alerts do not match the schema"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
bad = 0
for i, line in enumerate(open(sys.argv[2]), 1):
    for e in v.iter_errors(json.loads(line)):
        print(f"line {i}: {e.message} at {list(e.path)}", file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
PY
    fi
    n=$((n + 1))
done
[ $n -gt 0 ] || fail "no replay cases found in $dir"
[ $fails -eq 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo "alert_schema: $n cases ok"
