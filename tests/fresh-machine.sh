#!/usr/bin/env bash
# The proof that the README's two commands work on a fresh Debian 12 machine.
#
# Builds a minimal Debian 12 (bookworm) root with mmdebstrap (--variant=minbase:
# essential packages, apt and the "required" ones, nothing of this project),
# from the same apt sources and mirror options as this machine, unpacks the
# committed tree (git archive HEAD: no build dirs, no uncommitted files) into
# /home/ci/newsradar (HOME=/home/ci), and runs there, with chroot, exactly
# what the README says:
#
#     config/demo/run.sh
#     tests/run.sh
#
# Everything they need is installed inside by the scripts themselves (apt,
# Maven for the Kafka jars), over the host's network; tests only use
# 127.0.0.1. The chroot runs in its own mount and PID namespace (unshare):
# /proc, /dev and /sys are mounted there and unmounted by a trap, and the
# kernel drops them with the namespace on any other exit (even SIGKILL), so
# nothing stays mounted on the host and no process of the chroot (a Kafka
# broker, say) outlives the run.
#
# Downloads are cached between runs, nothing installed: downloaded .deb files
# (/var/cache/apt/archives) and the Maven repository (~/.m2 inside) are bind
# mounts of $NR_CACHE_DIR/fresh-machine/ (default ~/.cache/newsradar). Set
# NR_FRESH_CACHE=0 to download everything again.
#
# Environment: NR_FRESH_SOURCES (apt sources file, default the machine's
# Debian one), NR_FRESH_KEEP=1 (keep the root for a look afterwards; printed),
# NR_FRESH_TMP (parent of the root, default /var/tmp). Needs root (chroot,
# mount); re-runs itself with sudo otherwise. Inside the root NR_FRESH_MACHINE=1
# is set, so tests/run.sh does not start this script again.
# Cost: ~180 MB root, ~1.5 GB after the installs; one more full tests/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${NR_FRESH_MACHINE:-}" = 1 ]; then
    echo "fresh-machine: already inside the fresh root, not nesting" >&2
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "fresh-machine: needs root (chroot, mount)" >&2; exit 2; }
    exec sudo --preserve-env=NR_CACHE_DIR,NR_FRESH_CACHE,NR_FRESH_SOURCES,NR_FRESH_KEEP,NR_FRESH_TMP \
        bash "$0" "$@"
fi
if ! command -v mmdebstrap >/dev/null; then
    echo "fresh-machine: installing mmdebstrap" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi
git rev-parse --verify -q HEAD >/dev/null ||
    { echo "fresh-machine: not a git checkout; it copies the committed tree (git archive HEAD)" >&2; exit 2; }

# The machine's Debian sources, when they are bookworm's; mmdebstrap's default
# mirror otherwise. Mirror options (proxy, stale Release files) come along.
sources="${NR_FRESH_SOURCES:-}"
if [ -z "$sources" ]; then
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
        [ -s "$f" ] && grep -q '^[^#]*bookworm' "$f" && { sources="$f"; break; }
    done
fi
aptopts=()
for key in Acquire::Check-Valid-Until Acquire::Check-Date Acquire::Retries \
    Acquire::http::Proxy Acquire::https::Proxy Acquire::ForceIPv4; do
    val="$(apt-config dump "$key" | sed -n "s|^$key \"\(.*\)\";\$|\1|p" | head -n1)"
    [ -n "$val" ] && aptopts+=("--aptopt=$key \"$val\"")
done

cache=""
if [ "${NR_FRESH_CACHE:-1}" != 0 ]; then
    cache="${NR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/newsradar}/fresh-machine"
    mkdir -p "$cache/apt-archives" "$cache/m2"
fi

work="$(mktemp -d "${NR_FRESH_TMP:-/var/tmp}/newsradar-fresh.XXXXXX")"
root="$work/rootfs"
upid=""
cleanup() {
    local status=$?
    # Interrupted: unshare ignores SIGTERM while it waits, so SIGKILL the
    # namespace's init (its child); the kernel then kills every process of
    # the chroot and drops the namespace's mounts.
    if [ -n "$upid" ]; then
        kill -KILL $(cat "/proc/$upid/task/$upid/children" 2>/dev/null) 2>/dev/null || true
        wait "$upid" 2>/dev/null || true
    fi
    # The mounts live in the unshared namespace; this only matters if one
    # ever leaked into ours. Never delete through a mount point.
    local m
    for m in $(awk -v r="$root" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" || true
    done
    if [ "${NR_FRESH_KEEP:-}" = 1 ]; then
        echo "fresh-machine: root kept in $root" >&2
    elif awk -v r="$root" 'index($5, r) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
        echo "fresh-machine: $root still has mounts; not deleted" >&2
    else
        rm -rf --one-file-system "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start=$SECONDS
echo "== fresh-machine: mmdebstrap bookworm (minbase) from ${sources:-the default mirror}"
mmdebstrap --quiet --variant=minbase "${aptopts[@]}" bookworm "$root" ${sources:+"$sources"}
# What the installer (or a cloud image) writes and mmdebstrap does not.
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    "$(hostname)" >"$root/etc/hosts"
# The machine's own trust anchors (a TLS-inspecting egress proxy, a company
# CA), as a fresh machine on this network would have them: ca-certificates,
# when installed inside, adds them to the system and Java stores.
if [ -d /usr/local/share/ca-certificates ]; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
mkdir -p "$root/home/ci/newsradar"
git archive --format=tar HEAD | tar -x -C "$root/home/ci/newsradar"
echo "fresh-machine: root ready in $((SECONDS - start)) s ($(git rev-parse --short HEAD))"

# Runs in the new namespaces: mount, chroot, run the two commands, unmount.
inner='
set -euo pipefail
root="$1" cache="$2"
umount_all() { umount -R "$root/sys" "$root/dev" "$root/proc" 2>/dev/null || true
               [ -z "$cache" ] || umount "$root/var/cache/apt/archives" "$root/home/ci/.m2" 2>/dev/null || true; }
trap umount_all EXIT
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
if [ -n "$cache" ]; then
    mkdir -p "$root/home/ci/.m2"
    mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
    mount --bind "$cache/m2" "$root/home/ci/.m2"
fi
in_root() {
    chroot "$root" /usr/bin/env -i HOME=/home/ci LANG=C.UTF-8 TERM=dumb NR_FRESH_MACHINE=1 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /bin/bash -c "cd /home/ci/newsradar && $1"
}
for cmd in config/demo/run.sh tests/run.sh; do
    echo "== fresh-machine: $cmd"
    t=$SECONDS
    in_root "$cmd" || { echo "fresh-machine: $cmd FAILED after $((SECONDS - t)) s"; exit 1; }
    echo "fresh-machine: $cmd passed in $((SECONDS - t)) s"
done
'
# In the background and waited for, so that a signal runs the trap at once.
unshare --mount --pid --fork --kill-child bash -c "$inner" inner "$root" "$cache" &
upid=$!
wait "$upid"
upid=""
echo "fresh-machine: passed in $((SECONDS - start)) s"
