#!/usr/bin/env bash
# Install the Debian packages newsradar needs to build, test and benchmark.
# Idempotent: does nothing when everything is present.
set -euo pipefail

pkgs=(build-essential cmake ninja-build pkg-config
      librdkafka-dev libjansson-dev libyaml-dev libutf8proc-dev libjsmn-dev
      libmicrohttpd-dev libcmocka-dev libhyperscan-dev libstemmer-dev
      libcld2-dev libexttextcat-dev iso-codes
      hunspell-ar hunspell-de-de hunspell-en-us hunspell-es hunspell-fr hunspell-it
      hunspell-nl hunspell-pt-pt hunspell-ru hunspell-tr myspell-fa
      kcat jq valgrind clang libclang-rt-14-dev clang-format pmccabe  # pmccabe: tests/lint/limits.sh
      python3 python3-jsonschema python3-venv curl  # python3-venv: tests/k8s (kubernetes-validate)
      python3-scipy  # tests/data/detect/exclude_reference.py
      chromium fonts-dejavu-core)  # tests/cli/report.sh renders the replay report headless
with_kafka=0
for a in "$@"; do
    case "$a" in
    --with-kafka) with_kafka=1 pkgs+=(default-jre-headless maven openssl) ;; # openssl: test_secure.sh
    # docker/test.sh: podman (runc: crun refuses hybrid cgroups), base images
    --with-containers) pkgs+=(podman runc mmdebstrap uidmap fuse-overlayfs slirp4netns catatonit
        python3-yaml) ;;
    *) echo "usage: install-deps.sh [--with-kafka] [--with-containers]" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Java and Maven may come from outside Debian's packages on a developer's machine.
if [ "$with_kafka" = 1 ]; then
    command -v java >/dev/null && missing=("${missing[@]/default-jre-headless/}")
    command -v mvn >/dev/null && missing=("${missing[@]/maven/}")
fi
read -r -a missing <<<"${missing[*]:-}"
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
