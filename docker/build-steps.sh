#!/usr/bin/env bash
# The container image's build, as a script: docker/Dockerfile RUNs these steps,
# and CI runs `build-steps.sh ci` on the host, so a broken step (a missing
# package, a config the image patches that changed shape, a library the slim
# runtime lacks) fails CI even where Docker is not available.
#
#   build-steps.sh build-deps                 apt: compiler, cmake, ninja, -dev libs
#   build-steps.sh runtime-deps               apt: only the shared libraries
#   build-steps.sh build SRC OUT              configure + build newsradar (Release)
#   build-steps.sh install SRC OUT DESTDIR    binary, config, health probe under DESTDIR
#   build-steps.sh check-runtime DESTDIR      every library the binary links is in
#                                             the runtime package list (or base)
#   build-steps.sh verify DESTDIR             `newsradar check` on the installed config
#   build-steps.sh ci [SRC]                   build+install+check-runtime+verify in a
#                                             temp dir, on the host's packages
#
# Image layout: /usr/local/bin/newsradar, /usr/local/bin/newsradar-healthcheck,
# /etc/newsradar/{newsradar.yaml,watchlists/,rules/}. The installed
# newsradar.yaml is the shipped one with three values taken from the
# environment (the config loader's ${NAME} substitution):
#   kafka.brokers <- NEWSRADAR_KAFKA_BROKERS, http.listen <- NEWSRADAR_HTTP_LISTEN,
#   http.port <- NEWSRADAR_HTTP_PORT (which the health probe reads too).
set -euo pipefail

# Hyperscan is x86-64 only in Debian: elsewhere newsradar builds without it
# (the Aho-Corasick matcher is always there).
arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
with_hs=ON
[ "$arch" = amd64 ] || with_hs=OFF

build_pkgs=(build-essential cmake ninja-build pkg-config
    librdkafka-dev libjansson-dev libyaml-dev libutf8proc-dev libjsmn-dev libmicrohttpd-dev
    libstemmer-dev libcld2-dev)
runtime_pkgs=(librdkafka1 libjansson4 libyaml-0-2 libutf8proc2 libmicrohttpd12 libstemmer0d libcld2-0)
if [ "$with_hs" = ON ]; then
    build_pkgs+=(libhyperscan-dev)
    runtime_pkgs+=(libhyperscan5)
fi
# In every Debian image already (debian:bookworm-slim included).
base_pkgs=(libc6 libgcc-s1 libstdc++6)

die() { echo "build-steps: $*" >&2; exit 1; }

# Leaves no package lists, downloaded .debs nor package caches behind: in an
# image they would stay in the layer (an 80 MB bigger runtime image on a base
# without Debian's docker-clean apt configuration).
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@"
    apt-get clean
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
}

step_build() {
    local src="$1" out="$2"
    cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DNR_BUILD_TESTS=OFF -DNR_BUILD_BENCH=OFF -DNR_SANITIZE=OFF -DNR_WITH_HYPERSCAN="$with_hs"
    ninja -C "$out" newsradar
}

# Replace the value of the one line matching $2 in $1 by $3, and fail unless
# exactly one line matched: the shipped config changing shape must break the
# image build loudly, not ship a container that ignores its environment.
set_value() {
    local file="$1" pattern="$2" value="$3" n
    n="$(grep -c -E "$pattern" "$file" || true)"
    [ "$n" = 1 ] || die "$file: expected one line matching '$pattern', found $n"
    sed -i -E "s|($pattern)[^#]*|\\1$value|" "$file"
}

step_install() {
    local src="$1" out="$2" dest="$3" etc
    [ -x "$out/newsradar" ] || die "no $out/newsradar: run the build step first"
    install -D -m 0755 "$out/newsradar" "$dest/usr/local/bin/newsradar"
    install -D -m 0755 "$src/docker/healthcheck.sh" "$dest/usr/local/bin/newsradar-healthcheck"

    etc="$dest/etc/newsradar"
    rm -rf "$etc"
    mkdir -p "$etc"
    install -m 0644 "$src/config/newsradar.yaml" "$etc/newsradar.yaml"
    # Every directory the main file may name (watchlists/, rules/, topics/);
    # not the demo feed nor the generator of countries.yaml.
    for d in "$src"/config/*/; do
        d="$(basename "$d")"
        [ "$d" = demo ] && continue
        cp -R "$src/config/$d" "$etc/$d"
    done
    set_value "$etc/newsradar.yaml" '^  brokers: ' '"${NEWSRADAR_KAFKA_BROKERS}"'
    set_value "$etc/newsradar.yaml" '^  listen: ' '"${NEWSRADAR_HTTP_LISTEN}"'
    # plain, not quoted: an integer (the loader expands ${NAME} in numbers too)
    set_value "$etc/newsradar.yaml" '^  port: ' '${NEWSRADAR_HTTP_PORT}'
    chmod -R a+rX,go-w "$etc"
}

# The shared libraries the binary itself links (NEEDED), resolved through
# ldd, each mapped to its Debian package, must be runtime_pkgs or base_pkgs.
step_check_runtime() {
    local dest="$1" bin lib path pkg ok bad=0
    bin="$dest/usr/local/bin/newsradar"
    [ -x "$bin" ] || die "no $bin"
    for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
        path="$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')"
        [ -n "$path" ] && [ "$path" != "not" ] || die "$lib: not found by ldd"
        path="$(readlink -f "$path")"
        # dpkg knows the /usr/lib path; merged-/usr systems may report /lib.
        pkg="$(dpkg -S "$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null ||
            dpkg -S "/usr$path" 2>/dev/null || true)"
        pkg="${pkg%%:*}"
        [ -n "$pkg" ] || die "$lib ($path): no Debian package owns it"
        ok=0
        for p in "${runtime_pkgs[@]}" "${base_pkgs[@]}"; do
            [ "$p" = "$pkg" ] && ok=1
        done
        if [ "$ok" = 1 ]; then
            echo "runtime: $lib <- $pkg"
        else
            echo "runtime: $lib <- $pkg: NOT in the runtime package list" >&2
            bad=1
        fi
    done
    [ "$bad" = 0 ] || die "add the missing packages to runtime_pkgs in docker/build-steps.sh"
}

step_verify() {
    local dest="$1"
    NEWSRADAR_KAFKA_BROKERS="${NEWSRADAR_KAFKA_BROKERS:-kafka:9092}" \
        NEWSRADAR_HTTP_LISTEN="${NEWSRADAR_HTTP_LISTEN:-0.0.0.0}" \
        NEWSRADAR_HTTP_PORT="${NEWSRADAR_HTTP_PORT:-9464}" \
        "$dest/usr/local/bin/newsradar" check -c "$dest/etc/newsradar/newsradar.yaml"
    "$dest/usr/local/bin/newsradar-healthcheck" --self-test
}

# The health probe against a stand-in server: 200 on /healthz -> healthy,
# 503 -> unhealthy. Host only (needs python3, which the image lacks).
probe_test() {
    local probe="$1" code port pid rc
    command -v python3 >/dev/null || { echo "build-steps: no python3, probe test skipped"; return 0; }
    for code in 200 503; do
        coproc SRV {
            exec python3 -c '
import http.server, sys
code = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(code if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b"ok\n")
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
srv.handle_error = lambda *a: None  # the probe hangs up after the status line
print(srv.server_port, flush=True)
srv.handle_request()
' "$code"
        }
        pid=$SRV_PID
        read -r -t 10 port <&"${SRV[0]}" || die "probe test: stand-in server did not start"
        rc=0
        NEWSRADAR_HTTP_PORT="$port" "$probe" || rc=$?
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        if [ "$code" = 200 ] && [ "$rc" -ne 0 ]; then die "probe: unhealthy on HTTP 200"; fi
        if [ "$code" != 200 ] && [ "$rc" -eq 0 ]; then die "probe: healthy on HTTP $code"; fi
    done
    echo "healthcheck: 200 -> healthy, 503 -> unhealthy"
}

step_ci() {
    local src="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}" tmp
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/nr-image.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    step_build "$src" "$tmp/build" >"$tmp/build.log" 2>&1 || { tail -n 40 "$tmp/build.log" >&2; die "build failed"; }
    step_install "$src" "$tmp/build" "$tmp/destdir"
    step_check_runtime "$tmp/destdir"
    step_verify "$tmp/destdir"
    probe_test "$tmp/destdir/usr/local/bin/newsradar-healthcheck"
    echo "build-steps: image build steps OK (arch $arch, hyperscan $with_hs)"
}

cmd="${1:-}"
shift || true
case "$cmd" in
build-deps) apt_install "${build_pkgs[@]}" ;;
runtime-deps) apt_install "${runtime_pkgs[@]}" ;;
build) step_build "${1:?SRC}" "${2:?OUT}" ;;
install) step_install "${1:?SRC}" "${2:?OUT}" "${3:?DESTDIR}" ;;
check-runtime) step_check_runtime "${1:?DESTDIR}" ;;
verify) step_verify "${1:?DESTDIR}" ;;
ci) step_ci "$@" ;;
*)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
