#!/usr/bin/env bash
# install.sh - `cmake --install` of the build into a fresh prefix gives a
# working installation: the program (its --version and `check` of the
# installed example configuration), the headers and libnewsradar_core.a,
# and a pkg-config file with which a program that uses the engine builds,
# links and runs.
#
# usage: bash tests/cli/install.sh NEWSRADAR-BINARY SOURCE-ROOT
#        (the build directory is the binary's directory)
set -u

nr=${1:?usage: install.sh NEWSRADAR-BINARY SOURCE-ROOT}
build=$(cd "$(dirname "$nr")" && pwd)
[ -f "$build/CMakeCache.txt" ] || { echo "install.sh: $build is not a CMake build directory" >&2; exit 1; }
command -v pkg-config >/dev/null || { echo "install.sh: pkg-config not found" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

prefix=$tmp/prefix
if ! cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
    sed 's/^/    /' "$tmp/install.log" >&2
    echo "FAIL: cmake --install $build --prefix $prefix" >&2
    exit 1
fi

for f in bin/newsradar include/newsradar/engine.h include/newsradar/text.h \
    share/newsradar/config/newsradar.yaml share/doc/newsradar/LICENSE \
    share/doc/newsradar/configuration.md; do
    [ -e "$prefix/$f" ] || fail "$f not installed"
done
lib=$(find "$prefix" -name libnewsradar_core.a | head -1)
pc=$(find "$prefix" -name newsradar.pc | head -1)
[ -n "$lib" ] || fail "libnewsradar_core.a not installed"
[ -n "$pc" ] || fail "newsradar.pc not installed"
[ -z "$(find "$prefix" -name '*.py')" ] || fail "the config generators (*.py) were installed"

# the installed program and configuration stand on their own
v=$("$prefix/bin/newsradar" --version 2>&1) || fail "installed newsradar --version: exit $?"
want=$(sed -n 's/^project(newsradar VERSION \([0-9.]*\).*/\1/p' "$2/CMakeLists.txt")
[ -n "$want" ] || fail "no project version in $2/CMakeLists.txt"
[[ $v == *"$want"* ]] || fail "installed newsradar --version says '$v', the project is $want"
(cd "$tmp" && "$prefix/bin/newsradar" check -c "$prefix/share/newsradar/config/newsradar.yaml") \
    >"$tmp/check.out" 2>&1 || {
    fail "check of the installed config: exit $?"
    head -5 "$tmp/check.out" >&2
}

# a program against the installed engine, through pkg-config only
if [ -n "$pc" ]; then
    cat >"$tmp/use.c" <<'C'
#include <newsradar/text.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    struct nr_text t;
    nr_text_init(&t);
    const char in[] = "Pesh\xc4\x81war \xe2\x80\x93 KABUL";
    nr_text_normalize(&t, in, sizeof(in) - 1, 0);
    int ok = strcmp(t.buf, "peshawar kabul") == 0;
    printf("%s\n", t.buf);
    nr_text_fini(&t);
    return ok ? 0 : 1;
}
C
    export PKG_CONFIG_PATH
    PKG_CONFIG_PATH=$(dirname "$pc")
    cc=$(sed -n 's/^CMAKE_C_COMPILER:FILEPATH=//p' "$build/CMakeCache.txt")
    cc=${cc:-cc}
    # a sanitizer build's library needs the sanitizer's runtime
    san=$(sed -n 's/^NR_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
    case $san in
    thread) cc="$cc -fsanitize=thread" ;;
    ON | on | 1 | TRUE | true | YES | yes) cc="$cc -fsanitize=address,undefined" ;;
    esac
    # shellcheck disable=SC2046
    if ! $cc -std=c11 -o "$tmp/use" "$tmp/use.c" $(pkg-config --cflags --libs newsradar) 2>"$tmp/cc.err"; then
        fail "a program does not build against the installed engine with pkg-config"
        head -20 "$tmp/cc.err" >&2
    elif ! out=$("$tmp/use"); then
        fail "the program against the installed engine: '$out', want 'peshawar kabul'"
    elif [ "$out" != "peshawar kabul" ]; then
        fail "the program against the installed engine printed '$out'"
    fi
fi

[ "$failures" -eq 0 ] && echo "install.sh: installed into a temporary prefix, program and pkg-config checked"
[ "$failures" -eq 0 ]
