#!/usr/bin/env bash
# Run every newsradar test on this machine: installs what is missing, builds
# a normal and an ASan+UBSan tree, runs the ctest suite in both (unit, data,
# CLI, mock-cluster and real-broker Kafka tests) and a valgrind pass over the
# demo. Exit status is non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
bash tests/install-deps.sh --with-kafka
python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip install -q jsonschema
bash tests/kafka/ci-setup.sh # Apache Kafka jars for the real-broker tests (cached)

echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
echo "== container build steps (docker/build-steps.sh, run on the host)"
bash docker/build-steps.sh ci
echo "== tests"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNR_SANITIZE=ON \
    -DNR_BUILD_BENCH=OFF >/dev/null
ninja -C build-asan
echo "== tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE kafka-real

echo "== valgrind: check, tag and replay of the demo"
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect)
"${vg[@]}" build/newsradar check -c config/newsradar.yaml >/dev/null
"${vg[@]}" build/newsradar tag -c config/newsradar.yaml config/demo/articles.jsonl >/dev/null 2>&1 ||
    [ $? -eq 3 ] # some demo lines are malformed on purpose
"${vg[@]}" build/newsradar replay -c config/newsradar.yaml config/demo/articles.jsonl >/dev/null 2>&1 ||
    [ $? -eq 3 ]
echo "valgrind: clean"
