#!/usr/bin/env bash
# check_reference.sh - the committed reference tables are what their scripts
# compute: reruns exclude_reference.py (scipy.stats) and negbin_reference.py
# and compares each output with the committed .tsv that
# tests/unit/test_detect_exclude.c and test_detect_negbin.c read, so a
# reference edited by hand, or a script changed without regenerating its
# table, fails (ctest detect_reference). Text fields must be equal, numbers
# equal to 1e-12 relative (another scipy may differ in the last digits).
# Without scipy for any python3 on PATH: skipped (exit 77) outside CI, a
# failure in CI (CI=true), where tests/install-deps.sh installs it.
#
# usage: bash tests/data/detect/check_reference.sh SOURCE-ROOT
set -u
src=${1:?usage: check_reference.sh SOURCE-ROOT}
d="$src/tests/data/detect"
py=
for p in $(type -ap python3); do
    if "$p" -c 'import scipy.stats' 2>/dev/null; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: no python3 with scipy (tests/install-deps.sh installs python3-scipy)" >&2
        exit 1
    fi
    echo "check_reference.sh: no python3 with scipy: skipped" >&2
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
for pair in exclude_reference.py:exclude_baseline.tsv negbin_reference.py:negbin_tail.tsv; do
    script=${pair%%:*} table=${pair#*:}
    if ! "$py" "$d/$script" >"$tmp/$table" 2>"$tmp/err"; then
        echo "FAIL: $script: $(cat "$tmp/err")" >&2
        failures=$((failures + 1))
        continue
    fi
    "$py" - "$d/$table" "$tmp/$table" <<'PY' || failures=$((failures + 1))
import sys

def rows(path):
    return [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]

def number(s):
    try:
        return float(s)
    except ValueError:
        return None

committed, computed = rows(sys.argv[1]), rows(sys.argv[2])
name = sys.argv[1].rsplit("/", 1)[-1]
bad = 0
if len(committed) != len(computed):
    print("FAIL: %s: %d lines committed, the script writes %d" % (name, len(committed), len(computed)))
    sys.exit(1)
for i, (a, b) in enumerate(zip(committed, computed), 1):
    if len(a) != len(b):
        print("FAIL: %s line %d: %d fields committed, %d computed" % (name, i, len(a), len(b)))
        bad += 1
        continue
    for j, (x, y) in enumerate(zip(a, b), 1):
        fx, fy = number(x), number(y)
        same = x == y if fx is None or fy is None else abs(fx - fy) <= 1e-12 * abs(fy) + 1e-300
        if not same:
            print("FAIL: %s line %d (%s) field %d: committed %s, computed %s"
                  % (name, i, a[0], j, x[:60], y[:60]))
            bad += 1
print("%s: %d lines, %s" % (name, len(committed), "ok" if bad == 0 else "%d field(s) differ" % bad))
sys.exit(1 if bad else 0)
PY
done
[ "$failures" -eq 0 ] || { echo "check_reference.sh: $failures failure(s)" >&2; exit 1; }
echo "check_reference.sh: ok"
