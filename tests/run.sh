#!/usr/bin/env bash
# Run every newsradar test on this machine: installs what is missing, builds
# a normal and an ASan+UBSan tree, runs the ctest suite in both (unit, data,
# CLI, mock-cluster and real-broker Kafka tests) and a valgrind pass over the
# demo, the container images with podman (docker/test.sh), then
# (tests/fresh-machine.sh) the README's two commands again in a
# fresh Debian 12 root. Exit status is non-zero when anything fails.
# Each "== step" line carries the seconds since the start.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { echo "== [$((SECONDS - start)) s] $*"; }

jobs=$(nproc 2>/dev/null || echo 2)
step "packages (tests/install-deps.sh) and Kafka jars"
# The fresh root skips the container stage (below), so it needs no podman.
deps=(--with-kafka)
[ "${NR_FRESH_MACHINE:-}" = 1 ] || deps+=(--with-containers)
bash tests/install-deps.sh "${deps[@]}"
bash tests/kafka/ci-setup.sh # Apache Kafka jars for the real-broker tests (cached)

step "build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
step "container build steps (docker/build-steps.sh, run on the host)"
bash docker/build-steps.sh ci
step "tests"
ctest --test-dir build --output-on-failure -j "$jobs"

step "build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNR_SANITIZE=ON \
    -DNR_BUILD_BENCH=OFF >/dev/null
ninja -C build-asan
step "tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE kafka-real

step "build (ThreadSanitizer) and the threaded tests under it (ctest -L threads)"
# Only what runs threads of ours without librdkafka: the tagging pool and
# stage-1 workers sharing one tagger and duplicate set, as the service runs
# them. Not `newsradar run` itself: librdkafka starts its threads with C11
# thrd_create, which TSan does not intercept (GCC 12, clang 14), and the
# process crashes in TSan's allocator on such a thread.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNR_SANITIZE=thread \
    -DNR_BUILD_BENCH=OFF >/dev/null
ninja -C build-tsan test_pool test_stage1_threads
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure -j "$jobs" -L threads

step "fuzz smoke: each libFuzzer target for 15 s (clang)"
CC=clang cmake -S tests/fuzz -B build-fuzz -G Ninja >/dev/null
ninja -C build-fuzz
for t in fuzz_article fuzz_config fuzz_wire fuzz_query; do
    mkdir -p "build-fuzz/corpus-$t"
    seeds=()
    [ "$t" = fuzz_article ] && seeds=(tests/fuzz/corpus)
    [ "$t" = fuzz_config ] && seeds=(tests/fuzz/corpus-config)
    [ "$t" = fuzz_wire ] && seeds=(tests/fuzz/corpus-wire)
    [ "$t" = fuzz_query ] && seeds=(tests/fuzz/corpus-query)
    NR_SOURCE_DIR="$PWD" "build-fuzz/$t" -max_total_time=15 -max_len=8192 -rss_limit_mb=2048 \
        "build-fuzz/corpus-$t" "${seeds[@]}" >"build-fuzz/$t.log" 2>&1 ||
        { tail -n 40 "build-fuzz/$t.log"; echo "$t: FAILED"; exit 1; }
    echo "$t: $(grep -o 'Done [0-9]* runs' "build-fuzz/$t.log")"
done

step "valgrind: check, tag and replay of the demo"
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
"${vg[@]}" build/newsradar check -c config/newsradar.yaml >/dev/null
"${vg[@]}" build/newsradar tag -c config/newsradar.yaml config/demo/articles.jsonl >/dev/null 2>&1 ||
    [ $? -eq 3 ] # some demo lines are malformed on purpose
"${vg[@]}" build/newsradar replay -c config/newsradar.yaml config/demo/articles.jsonl >/dev/null 2>&1 ||
    [ $? -eq 3 ]
echo "valgrind: clean"

step "valgrind: the Kafka service on the mock cluster (all fault cases, transaction rewinds)"
NR_REAL="$PWD/build/newsradar" bash tests/kafka/test_svc_mock.sh \
    "$PWD/tests/kafka/valgrind-run.sh" build/tests/kafka/mock_cluster "$PWD" >build/svc-valgrind.log 2>&1 ||
    { tail -n 60 build/svc-valgrind.log; echo "newsradar run under valgrind: FAILED"; exit 1; }
NR_REAL="$PWD/build/newsradar" bash tests/kafka/test_svc_rewind.sh \
    "$PWD/tests/kafka/valgrind-run.sh" build/tests/kafka/mock_cluster "$PWD" >build/svc-rewind-valgrind.log 2>&1 ||
    { tail -n 60 build/svc-rewind-valgrind.log; echo "newsradar run (rewinds) under valgrind: FAILED"; exit 1; }
echo "valgrind (newsradar run): clean"

if [ "${NR_FRESH_MACHINE:-}" = 1 ]; then
    step "container images: skipped in the fresh root (no podman inside a chroot)"
else
    step "container images: podman build, beside a real broker, the compose stack (docker/test.sh)"
    bash docker/test.sh
fi

if [ "${NR_FRESH_MACHINE:-}" = 1 ]; then
    step "fresh machine: skipped (this is the fresh root)"
elif [ "${NR_SKIP_FRESH_MACHINE:-}" = 1 ]; then
    step "fresh machine: SKIPPED because NR_SKIP_FRESH_MACHINE=1 (CI never sets it)"
else
    step "fresh machine: the README's two commands in a new Debian 12 root"
    bash tests/fresh-machine.sh
fi
step "all passed"
