#!/usr/bin/env bash
# valgrind-run.sh ARGS...: `newsradar ARGS` for the Kafka service tests, with
# `newsradar run` under valgrind's memcheck (uninitialised reads, invalid
# accesses, definite or indirect leaks: exit status 99, which the tests see
# as a failed stop). Other commands (check, replay) run directly.
#   NR_REAL=build/newsradar bash tests/kafka/test_svc_mock.sh \
#       tests/kafka/valgrind-run.sh build/tests/kafka/mock_cluster .
set -euo pipefail
: "${NR_REAL:?set NR_REAL to the newsradar binary}"
if [ "${1:-}" = run ]; then
    exec valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --num-callers=30 "$NR_REAL" "$@"
fi
exec "$NR_REAL" "$@"
