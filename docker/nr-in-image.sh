#!/usr/bin/env bash
# The image's newsradar in place of the host's binary, for a host test that
# takes the binary as an argument (docker/test.sh runs
# tests/kafka/test_secure.sh with it). Arguments go to `newsradar`; stdout,
# stderr, signals (podman's sig-proxy: SIGTERM reaches newsradar as PID 1)
# and the exit status are the container's.
#   NR_IMAGE        the image
#   NR_IMAGE_SHARE  a host directory mounted read-only at the same path: the
#                   test's configs, certificates and input live there (made
#                   world-readable first: the image runs as uid 10001)
#   NR_IMAGE_PREFIX container name prefix (NAME-PID), so a caller can remove
#                   what a killed run left
# NR_TEST_KAFKA_PASSWORD and NR_TEST_WRONG_PASSWORD are passed through by
# name (never on a command line). Host network: loopback ports as on the host.
set -euo pipefail
: "${NR_IMAGE:?NR_IMAGE is not set}" "${NR_IMAGE_SHARE:?NR_IMAGE_SHARE is not set}"
chmod -R a+rX "$NR_IMAGE_SHARE"
exec podman run --rm --network host --no-healthcheck --name "${NR_IMAGE_PREFIX:-nr-image}-$$" \
    -v "$NR_IMAGE_SHARE:$NR_IMAGE_SHARE:ro" -e NR_TEST_KAFKA_PASSWORD -e NR_TEST_WRONG_PASSWORD \
    --entrypoint /usr/local/bin/newsradar "$NR_IMAGE" "$@"
