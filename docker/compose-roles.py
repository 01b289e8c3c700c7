#!/usr/bin/env python3
"""Run docker/docker-compose.yml's services with podman on the host network.

docker/test.sh uses this where no compose tool can run the stack as written
(podman-compose ignores depends_on conditions; bridge networks are not for
our CI machines): it reads each service's image, environment, entrypoint,
command, volumes and health check from the compose file and prints podman
run arguments (NUL-separated), with the stack's addresses moved to free
loopback ports:

    compose-roles.py COMPOSE args SERVICE   -> podman run arguments
    compose-roles.py COMPOSE health SERVICE -> the health check's shell command

Environment: NR_PORT_BROKER, NR_PORT_CONTROLLER, NR_PORT_HOST (the ports that
replace 9092, 9093 and 19092), and whatever ${VAR:-default} in the file names
(KAFKA_IMAGE, KCAT_IMAGE). NR_IMAGE_BUILT is the image of a service with
`build:`. A value still naming a compose address after the rewrite is an
error, so a reshaped compose file fails loudly.
"""
import json
import os
import re
import sys

import yaml


def expand(s):
    def var(m):
        name, default = m.group(1), m.group(3) or ""
        return os.environ.get(name) or default
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}", var, s)


def rewrite(s):
    b, c, h = (os.environ[k] for k in ("NR_PORT_BROKER", "NR_PORT_CONTROLLER", "NR_PORT_HOST"))
    s = str(s)
    for old, new in (("kafka:9092", f"127.0.0.1:{b}"), ("kafka:9093", f"127.0.0.1:{c}"),
                     ("localhost:9092", f"127.0.0.1:{b}"), ("127.0.0.1:19092", f"127.0.0.1:{h}"),
                     ("://:19092", f"://127.0.0.1:{h}"), ("://:9092", f"://127.0.0.1:{b}"),
                     ("://:9093", f"://127.0.0.1:{c}"), ("0.0.0.0", "127.0.0.1")):
        s = s.replace(old, new)
    if re.search(r"kafka:\d|:19092\b|:9092\b|:9093\b", s):
        sys.exit(f"compose-roles: an address left after the rewrite in {s!r}")
    return s


def main():
    path, what, name = sys.argv[1:4]
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    svc = doc["services"][name]
    if what == "health":
        test = svc["healthcheck"]["test"]
        if test[0] != "CMD-SHELL":
            sys.exit("compose-roles: only CMD-SHELL health checks")
        print(rewrite(test[1]))
        return
    out = []
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    for k, v in env.items():
        out += ["-e", f"{k}={rewrite(v)}"]
    base = os.path.dirname(os.path.abspath(path))
    for v in svc.get("volumes") or []:
        host, _, rest = v.partition(":")
        out += ["-v", f"{os.path.normpath(os.path.join(base, host))}:{rest}"]
    if "entrypoint" in svc:
        ep = svc["entrypoint"]
        out += ["--entrypoint", json.dumps(ep) if isinstance(ep, list) else ep]
    out.append(os.environ["NR_IMAGE_BUILT"] if "build" in svc else expand(svc["image"]))
    cmd = svc.get("command") or []
    if isinstance(cmd, str):
        cmd = cmd.split()
    out += [rewrite(c).replace("$$", "$") for c in cmd]
    sys.stdout.write("\0".join(out) + "\0")


main()
