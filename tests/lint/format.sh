#!/usr/bin/env bash
# format.sh - every C and C++ file of src/, include/, tests/ and bench/ is
# formatted with the repository's .clang-format (clang-format --dry-run
# -Werror). To fix: clang-format -i FILE.
#
# usage: format.sh SOURCE-ROOT        (clang-format: tests/install-deps.sh)
set -u
root=${1:?usage: format.sh SOURCE-ROOT}
cd "$root" || exit 1
command -v clang-format >/dev/null ||
    { echo "format.sh: clang-format not found (tests/install-deps.sh)" >&2; exit 1; }
[ -f .clang-format ] || { echo "format.sh: no .clang-format in $root" >&2; exit 1; }
mapfile -t files < <(find src include tests bench -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) |
    LC_ALL=C sort)
[ "${#files[@]}" -gt 0 ] || { echo "format.sh: no C files found" >&2; exit 1; }
out=$(clang-format --dry-run -Werror "${files[@]}" 2>&1) && { echo "format.sh: ${#files[@]} files formatted"; exit 0; }
bad=$(grep -oE '^[^: ]+:[0-9]+:[0-9]+: error' <<<"$out" | cut -d: -f1 | uniq)
[ -n "$bad" ] || { echo "format.sh: clang-format failed: $out" >&2; exit 1; }
for f in $bad; do
    echo "FAIL: $f is not clang-formatted (clang-format -i $f):" >&2
    grep -A2 -m2 "^$f:" <<<"$out" >&2
done
exit 1
