#!/bin/bash
# Container health probe: GET http://127.0.0.1:$NEWSRADAR_HTTP_PORT/healthz
# (default 9464) and succeed on HTTP 200. Pure bash (/dev/tcp), so the
# runtime image needs no curl. --self-test checks the probe itself against a
# closed port (must fail) without a running service.
set -u
port="${NEWSRADAR_HTTP_PORT:-9464}"
path="${NEWSRADAR_HEALTH_PATH:-/healthz}"

probe() {
    local status
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
    IFS= read -r -t 2 status <&3 || return 1
    exec 3<&-
    case "$status" in
    "HTTP/1."[01]" 200"*) return 0 ;;
    *) return 1 ;;
    esac
}

if [ "${1:-}" = --self-test ]; then
    # Port 1 on loopback is never our service: the probe must say unhealthy.
    if timeout 5 bash -c "$(declare -f probe); path='$path'; probe 1" 2>/dev/null; then
        echo "healthcheck self-test: probe succeeded against a closed port" >&2
        exit 1
    fi
    echo "healthcheck self-test: ok"
    exit 0
fi
timeout 3 bash -c "$(declare -f probe); path='$path'; probe '$port'" 2>/dev/null
