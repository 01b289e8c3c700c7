#!/usr/bin/env bash
# The container images, built and run for real with podman (no Docker daemon
# and no registry needed; run as root, loopback only, --network host always):
#   1. a Debian 12 base image from Debian's packages (mmdebstrap), cached as a
#      tarball keyed by its recipe (and at most 7 days old), imported under a
#      name of this run and passed as the Dockerfiles' DEBIAN_IMAGE build
#      argument (the machine's own debian:* images are never touched);
#   2. docker/Dockerfile built as it is (--pull=never, --format docker so the
#      HEALTHCHECK is kept): size <= 120 MB, no apt cache left in it;
#      `--version`, uid/gid 10001, `check` of the shipped config, replay of the
#      demo, the probe fails with nothing listening;
#   3. beside a real Apache Kafka broker (tests/kafka/broker.sh): healthy and
#      ready on NEWSRADAR_HTTP_PORT, live and not ready while the broker is
#      out of reach, the demo produced with kcat gives replay's alerts (ids
#      and states), SIGTERM drains and exits 0 within the grace period;
#   3b. tests/kafka/test_secure.sh with the image's newsradar
#      (docker/nr-in-image.sh): a SASL_SSL broker, TLS and SASL failures;
#   4. the compose stack (docker/docker-compose.yml) in its roles: a Kafka
#      image built from Debian's JRE and the cached Maven jars, topic init,
#      newsradar, the demo producer (a kcat image), alerts arrive.
# Everything it starts is stopped, and every container and image it made is
# removed by name at the end (the base tarball stays in the cache).
#   bash docker/test.sh          env: NR_CACHE_DIR (see tests/kafka/env.sh)
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../tests/kafka/env.sh
. "$SRC/tests/kafka/env.sh"
t_start=$SECONDS
ts() { echo "== [$((SECONDS - t_start)) s] $*" >&2; }
die() { echo "docker/test.sh: FAIL: $*" >&2; exit 1; }

ts "packages (tests/install-deps.sh --with-kafka --with-containers) and Kafka jars"
bash "$SRC/tests/install-deps.sh" --with-kafka --with-containers
bash "$SRC/tests/kafka/ci-setup.sh"
export CONTAINERS_CONF="$SRC/docker/containers.conf"

# One run at a time on a machine: the base image's names are global.
mkdir -p "$NR_CACHE_DIR/images"
exec 8>"$NR_CACHE_DIR/images/docker-test.lock"
flock 8

# Holding the lock, anything named nr-test-* was left by a run that was
# killed before its cleanup (SIGKILL, a lost session): remove it first.
for c in $(podman ps -a --format '{{.Names}}' | grep '^nr-test-' || true); do
    podman rm -f -t 5 "$c" >/dev/null 2>&1 || true
done
for i in $(podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/nr-test-' || true); do
    podman rmi -f "$i" >/dev/null 2>&1 || true
done

W="$(mktemp -d "${TMPDIR:-/tmp}/nr-docker-test.XXXXXX")"
P=nr-test-$$ # prefix of every container and image name of this run
IMG=localhost/$P-newsradar:ci
KIMG=localhost/$P-kafka:ci
CIMG=localhost/$P-kcat:ci
BASE=localhost/$P-debian:bookworm-slim # the Dockerfiles' DEBIAN_IMAGE: a name of this run only
containers=()
images=()
kdir="$W/kafka"
images_before="$W/images.before"
cleanup() {
    local c i
    for c in "${containers[@]}"; do podman rm -f -t 30 "$c" >/dev/null 2>&1 || true; done
    # docker/nr-in-image.sh's (section 3b), if a killed test left one
    for c in $(podman ps -a --format '{{.Names}}' | grep "^$P-sec-" || true); do
        podman rm -f -t 5 "$c" >/dev/null 2>&1 || true
    done
    bash "$SRC/tests/kafka/broker.sh" stop "$kdir" >/dev/null 2>&1 || true
    for i in "${images[@]}"; do podman rmi -f "$i" >/dev/null 2>&1 || true; done
    # and the images this run left without a name (build stages)
    [ -f "$images_before" ] && new_images | while read -r i; do podman rmi -f "$i" >/dev/null 2>&1 || true; done
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

free_port() {
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# Images the build leaves without a name (the build stage): removed too.
podman images -a -q --no-trunc | sort -u >"$images_before"
new_images() { comm -13 "$images_before" <(podman images -a -q --no-trunc | sort -u); }

# ---- 1. the base image --------------------------------------------------------------------
ts "base image: mmdebstrap minbase bookworm (cached)"
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
mm_args=(--quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --customize-hook="copy-in $SRC/docker/apt-docker-clean /etc/apt/apt.conf.d"
    --customize-hook='mv "$1"/etc/apt/apt.conf.d/apt-docker-clean "$1"/etc/apt/apt.conf.d/docker-clean'
    --customize-hook='rm -f "$1"/var/cache/apt/*.bin')
key="$( { printf '%s\n' "${mm_args[@]}" | sed "s|$SRC|SRC|g"; cat "$SRC/docker/apt-docker-clean" "$sources"
    dpkg-query -W -f='${Version}' mmdebstrap; } | sha256sum | cut -c1-16)"
base_tar="$NR_CACHE_DIR/images/debian-bookworm-minbase-$key.tar"
if [ -f "$base_tar" ] && [ -z "$(find "$base_tar" -mtime +7)" ]; then
    echo "base image: cached $base_tar" >&2
else
    rm -f "$NR_CACHE_DIR"/images/debian-bookworm-minbase-*.tar
    t0=$SECONDS
    mmdebstrap "${mm_args[@]}" bookworm "$W/rootfs.tar" "$sources"
    mv "$W/rootfs.tar" "$base_tar"
    echo "base image: built in $((SECONDS - t0)) s: $base_tar" >&2
fi
images+=("$BASE")
podman import --change 'CMD ["bash"]' "$base_tar" "$BASE" >/dev/null

# ---- 2. the newsradar image -----------------------------------------------------------------
ts "image build: docker/Dockerfile"
t0=$SECONDS
images+=("$IMG")
podman build -q --format docker --pull=never --network host --build-arg DEBIAN_IMAGE="$BASE" \
    --ignorefile "$SRC/docker/Dockerfile.dockerignore" \
    -f "$SRC/docker/Dockerfile" -t "$IMG" "$SRC" >"$W/build.log" 2>&1 ||
    { tail -n 40 "$W/build.log" >&2; die "image build failed"; }
build_s=$((SECONDS - t0))
size="$(podman image inspect "$IMG" --format '{{.Size}}')"
echo "image: built in $build_s s, $((size / 1000000)) MB ($size bytes)" >&2
[ "$size" -le 120000000 ] || die "image is $size bytes, more than 120 MB"
[ "$(podman image inspect "$IMG" --format '{{.Config.Healthcheck}}')" != "<nil>" ] ||
    die "the image has no HEALTHCHECK (built without --format docker?)"

ts "smoke tests"
R=(podman run --rm --network host --no-healthcheck)
"${R[@]}" --entrypoint newsradar "$IMG" --version
[ "$("${R[@]}" --entrypoint id "$IMG" -u)" = 10001 ] || die "the image does not run as uid 10001"
[ "$("${R[@]}" --entrypoint id "$IMG" -g)" = 10001 ] || die "the image's group is not gid 10001"
left="$("${R[@]}" --entrypoint sh "$IMG" -c \
    'ls /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/lists/*_Packages* 2>/dev/null | wc -l')"
[ "$left" = 0 ] || die "$left apt cache files left in the image"
"${R[@]}" --entrypoint newsradar "$IMG" check -c /etc/newsradar/newsradar.yaml >"$W/check.txt" ||
    die "check of the shipped config failed"
rc=0
"${R[@]}" -v "$SRC/config/demo:/demo:ro" --entrypoint newsradar "$IMG" \
    replay -c /etc/newsradar/newsradar.yaml /demo/articles.jsonl >"$W/replay.jsonl" 2>"$W/replay.err" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || die "replay in the container exited $rc"
jq -r '.alert_id + " " + .state' "$W/replay.jsonl" | sort >"$W/replay.states"
n_replay="$(wc -l <"$W/replay.states")"
[ "$n_replay" -gt 0 ] || die "replay of the demo gave no alert"
echo "replay: $n_replay alerts" >&2
# The same alerts as the host's binary when there is one (same source).
if [ -x "$SRC/build/newsradar" ]; then
    rc=0
    "$SRC/build/newsradar" replay -c "$SRC/config/newsradar.yaml" "$SRC/config/demo/articles.jsonl" \
        2>/dev/null | jq -r '.alert_id + " " + .state' | sort >"$W/replay-host.states" || rc=$?
    diff "$W/replay-host.states" "$W/replay.states" >&2 || die "the image's replay differs from build/newsradar's"
fi
if "${R[@]}" --entrypoint /usr/local/bin/newsradar-healthcheck "$IMG"; then
    die "the health probe passed with nothing listening"
fi
"${R[@]}" --entrypoint /usr/local/bin/newsradar-healthcheck "$IMG" --self-test >/dev/null

# ---- 3. beside a real broker ------------------------------------------------------------------
# health NAME SECONDS: the image's own HEALTHCHECK (podman runs it on demand).
health() {
    local i
    for ((i = 0; i < $2 * 2; i++)); do
        podman healthcheck run "$1" >/dev/null 2>&1 && return 0
        [ "$(podman inspect "$1" --format '{{.State.Running}}')" = true ] || return 1
        sleep 0.5
    done
    return 1
}
topics() { # BOOTSTRAP: the topics of the shipped config, as in production
    local spec
    for spec in articles:6 articles.dlq:3 articles.enriched:6 alerts:3 newsradar.counts:12; do
        bash "$SRC/tests/kafka/kafka-run-class.sh" topics --bootstrap-server "$1" --create \
            --if-not-exists --replication-factor 1 --topic "${spec%%:*}" --partitions "${spec##*:}" >/dev/null
    done
    bash "$SRC/tests/kafka/kafka-run-class.sh" topics --bootstrap-server "$1" --create --if-not-exists \
        --replication-factor 1 --topic newsradar.windows --partitions 12 --config cleanup.policy=compact \
        --config segment.ms=3600000 --config min.cleanable.dirty.ratio=0.1 >/dev/null
}
# alert_states BOOTSTRAP: "id state" of every alert on the topic, sorted.
alert_states() {
    timeout 30 kcat -C -b "$1" -t alerts -o beginning -e -q -f '%s\n' | jq -r '.alert_id + " " + .state' | sort
}

ts "without a broker: live, not ready, retrying"
hport="$(free_port)"
dead="127.0.0.1:$(free_port)"
C=$P-run
containers+=("$C")
podman run -d --name "$C" --network host -e NEWSRADAR_KAFKA_BROKERS="$dead" \
    -e NEWSRADAR_HTTP_LISTEN=127.0.0.1 -e NEWSRADAR_HTTP_PORT="$hport" "$IMG" >/dev/null
health "$C" 30 || { podman logs "$C" | tail -20 >&2; die "never healthy without a broker"; }
sleep 15 # the old service exited after ~10 s
[ "$(podman inspect "$C" --format '{{.State.Running}}')" = true ] ||
    { podman logs "$C" | tail -20 >&2; die "exited without a broker"; }
podman healthcheck run "$C" >/dev/null || die "unhealthy without a broker after 15 s"
why="$(curl -s --max-time 5 "http://127.0.0.1:$hport/readyz" || true)"
case "$why" in "not ready: waiting for Kafka"*) ;; *) die "/readyz without a broker: '$why'" ;; esac
echo "no broker, 15 s: healthy, /readyz: $why" >&2
podman stop -t 30 "$C" >/dev/null
[ "$(podman inspect "$C" --format '{{.State.ExitCode}}')" = 0 ] || die "SIGTERM while waiting: not exit 0"
podman rm "$C" >/dev/null

ts "beside a real broker (tests/kafka/broker.sh)"
bs="$(NR_KAFKA_OWNER_PID=$$ bash "$SRC/tests/kafka/broker.sh" start "$kdir")"
topics "$bs"
podman run -d --name "$C" --network host -e NEWSRADAR_KAFKA_BROKERS="$bs" \
    -e NEWSRADAR_HTTP_LISTEN=127.0.0.1 -e NEWSRADAR_HTTP_PORT="$hport" "$IMG" >/dev/null
health "$C" 60 || { podman logs "$C" | tail -20 >&2; die "never healthy beside the broker"; }
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$hport/readyz" && break; sleep 0.5; done
curl -sf "http://127.0.0.1:$hport/readyz" >&2 || die "never ready beside the broker"
kcat -P -b "$bs" -t articles -X enable.idempotence=true -l "$SRC/config/demo/articles.jsonl"
for _ in $(seq 1 60); do
    alert_states "$bs" >"$W/kafka.states"
    [ "$(wc -l <"$W/kafka.states")" -ge "$n_replay" ] && break
    sleep 1
done
echo "alerts on the topic: $(wc -l <"$W/kafka.states"), replay: $n_replay" >&2
diff "$W/replay.states" "$W/kafka.states" >&2 || die "the container's alerts differ from replay's (< replay, > topic)"
t0=$SECONDS
podman stop -t 30 "$C" >/dev/null
stop_s=$((SECONDS - t0))
code="$(podman inspect "$C" --format '{{.State.ExitCode}}')"
echo "SIGTERM: exit $code after $stop_s s (grace 30 s)" >&2
[ "$code" = 0 ] && [ "$stop_s" -lt 30 ] || { podman logs "$C" | tail -20 >&2; die "SIGTERM: exit $code in $stop_s s"; }
# (to a file first: grep -q would end the pipe early, and pipefail fail it)
podman logs "$C" >"$W/run.log" 2>&1
grep -q 'stop requested: draining' "$W/run.log" || { tail -5 "$W/run.log" >&2; die "no drain logged after SIGTERM"; }
podman rm "$C" >/dev/null
bash "$SRC/tests/kafka/broker.sh" stop "$kdir" --rm

# ---- 3b. a secured broker: tests/kafka/test_secure.sh with the image's binary -------------------
# SASL_SSL with the image's librdkafka and OpenSSL: consume, alert and
# dead-letter; a wrong password and an untrusted CA refused with one line.
ts "SASL_SSL broker: tests/kafka/test_secure.sh with the image's newsradar (docker/nr-in-image.sh)"
mkdir -p "$W/secure"
rc=0
NR_IMAGE="$IMG" NR_IMAGE_SHARE="$W/secure" NR_IMAGE_PREFIX="$P-sec" TMPDIR="$W/secure" \
    bash "$SRC/tests/kafka/test_secure.sh" "$SRC/docker/nr-in-image.sh" "$SRC" >"$W/secure.log" 2>&1 ||
    rc=$?
grep -E '^\[[0-9:]+\] |^PASS' "$W/secure.log" | cut -c1-200 >&2 || true
[ "$rc" = 0 ] || { tail -n 40 "$W/secure.log" >&2; die "test_secure.sh with the image's newsradar exited $rc"; }

# ---- 4. the compose stack in its roles ---------------------------------------------------------
ts "images for the compose stack: Kafka (Debian JRE + Maven jars), kcat"
mkdir -p "$W/kctx"
cp -r "$NR_KAFKA_JARS" "$W/kctx/libs"
rm -f "$W/kctx/libs/.complete"
cp -r "$SRC/docker/kafka/bin" "$W/kctx/bin"
t0=$SECONDS
images+=("$KIMG" "$CIMG")
podman build -q --format docker --pull=never --network host --build-arg DEBIAN_IMAGE="$BASE" -f "$SRC/docker/kafka/Dockerfile" \
    -t "$KIMG" "$W/kctx" >"$W/kbuild.log" 2>&1 || { tail -n 30 "$W/kbuild.log" >&2; die "Kafka image build failed"; }
podman build -q --format docker --pull=never --network host --build-arg DEBIAN_IMAGE="$BASE" -f "$SRC/docker/kcat/Dockerfile" \
    -t "$CIMG" "$SRC/docker/kcat" >"$W/cbuild.log" 2>&1 || { tail -n 30 "$W/cbuild.log" >&2; die "kcat image build failed"; }
echo "Kafka image $(( $(podman image inspect "$KIMG" --format '{{.Size}}') / 1000000 )) MB," \
    "kcat image $(( $(podman image inspect "$CIMG" --format '{{.Size}}') / 1000000 )) MB, in $((SECONDS - t0)) s" >&2

ts "compose roles: kafka, kafka-init, newsradar, demo-producer (host network, loopback)"
compose="$SRC/docker/docker-compose.yml"
NR_PORT_BROKER="$(free_port)" NR_PORT_CONTROLLER="$(free_port)" NR_PORT_HOST="$(free_port)"
export NR_PORT_BROKER NR_PORT_CONTROLLER NR_PORT_HOST KAFKA_IMAGE="$KIMG" KCAT_IMAGE="$CIMG" NR_IMAGE_BUILT="$IMG"
role() { # SERVICE [podman run options...]: run the service detached, as the compose file has it
    local s="$1" a
    shift
    mapfile -d '' a < <(python3 "$SRC/docker/compose-roles.py" "$compose" args "$s") ||
        die "compose-roles: $s"
    containers+=("$P-$s")
    podman run -d --name "$P-$s" --network host "$@" "${a[@]}" >/dev/null
}
wait_exit() { # CONTAINER SECONDS: exit status 0 in time
    local i
    for ((i = 0; i < $2; i++)); do
        [ "$(podman inspect "$1" --format '{{.State.Running}}')" = false ] && break
        sleep 1
    done
    [ "$(podman inspect "$1" --format '{{.State.Status}}')" = exited ] &&
        [ "$(podman inspect "$1" --format '{{.State.ExitCode}}')" = 0 ] ||
        { podman logs "$1" 2>&1 | tail -20 >&2; die "$1 did not exit 0 within $2 s"; }
}
role kafka
khealth="$(python3 "$SRC/docker/compose-roles.py" "$compose" health kafka)"
ok=0
for _ in $(seq 1 60); do
    podman exec "$P-kafka" sh -c "$khealth" && { ok=1; break; }
    sleep 2
done
[ "$ok" = 1 ] || { podman logs "$P-kafka" 2>&1 | tail -30 >&2; die "the kafka service never passed its health check"; }
role kafka-init
wait_exit "$P-kafka-init" 120
podman logs "$P-kafka-init" >"$W/init.log" 2>&1
grep -qx newsradar.windows "$W/init.log" || { tail -5 "$W/init.log" >&2; die "kafka-init did not list newsradar.windows"; }
sport="$(free_port)"
role newsradar -e NEWSRADAR_HTTP_PORT="$sport" --stop-timeout 30
health "$P-newsradar" 60 || { podman logs "$P-newsradar" | tail -20 >&2; die "newsradar (compose role) never healthy"; }
role demo-producer
wait_exit "$P-demo-producer" 60
hbs="127.0.0.1:$NR_PORT_HOST"
for _ in $(seq 1 60); do
    alert_states "$hbs" >"$W/compose.states"
    [ "$(wc -l <"$W/compose.states")" -ge "$n_replay" ] && break
    sleep 1
done
echo "compose stack: $(wc -l <"$W/compose.states") alerts read on the host listener $hbs" >&2
diff "$W/replay.states" "$W/compose.states" >&2 || die "the compose stack's alerts differ from replay's"
podman stop -t 30 "$P-newsradar" >/dev/null
[ "$(podman inspect "$P-newsradar" --format '{{.State.ExitCode}}')" = 0 ] || die "compose newsradar: SIGTERM not exit 0"

ts "all passed (image $((size / 1000000)) MB, built in $build_s s)"
