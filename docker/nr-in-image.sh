#!/usr/bin/env bash
# The image's newsradar in place of the host's binary, for a host test that
# takes the binary as an argument (docker/test.sh runs
# tests/kafka/test_secure.sh with it). Arguments go to `newsradar`; stdout,
# stderr, signals (podman's sig-proxy: SIGTERM reaches newsradar as PID 1)
# and the exit status are the container's.
#   NR_IMAGE        the image
#   NR_IMAGE_SHARE  the test's directory (or the parent of its work
#                   directory): only what the container reads is mounted,
#                   read-only at the same path (conf/, pki/*.pem,
#                   the input); only these are made world-readable (the
#                   image runs as uid 10001), never broker/ (the live
#                   broker's data) or *.key
#   NR_IMAGE_PREFIX container name prefix (NAME-PID), so a caller can remove
#                   what a killed run left
# NR_TEST_KAFKA_PASSWORD and NR_TEST_WRONG_PASSWORD are passed through by
# name (never on a command line). Host network: loopback ports as on the host.
set -euo pipefail
: "${NR_IMAGE:?NR_IMAGE is not set}" "${NR_IMAGE_SHARE:?NR_IMAGE_SHARE is not set}"
share="$NR_IMAGE_SHARE"
# The test keeps its files in a work directory of its own (mktemp -d, mode
# 700) directly under the share: look in the share and one level below.
mounts=()
for d in "$share" "$share"/*/; do
    d="${d%/}"
    [ -d "$d/conf" ] || [ -e "$d/input.jsonl" ] || [ -d "$d/pki" ] || continue
    chmod a+x "$d" # the image runs as uid 10001: it must reach the files below
    for p in "$d/conf" "$d/input.jsonl" "$d"/pki/*.pem; do
        [ -e "$p" ] || continue
        mounts+=(-v "$p:$p:ro")
    done
    [ ! -d "$d/pki" ] || chmod a+x "$d/pki"
    [ ! -d "$d/conf" ] || find "$d/conf" ! -name '*.key' -exec chmod a+rX {} +
    for p in "$d/input.jsonl" "$d"/pki/*.pem; do
        [ ! -e "$p" ] || chmod a+r "$p"
    done
done
chmod a+x "$share"
exec podman run --rm --network host --no-healthcheck --name "${NR_IMAGE_PREFIX:-nr-image}-$$" \
    "${mounts[@]}" -e NR_TEST_KAFKA_PASSWORD -e NR_TEST_WRONG_PASSWORD \
    --entrypoint /usr/local/bin/newsradar "$NR_IMAGE" "$@"
