#!/usr/bin/env bash
# docker/k8s/ checked without a cluster:
#   1. kubernetes-validate (PyPI; it bundles the Kubernetes API's JSON
#      schemas, so it runs offline once installed) --strict on every
#      manifest: unknown fields and wrong types fail;
#   2. what the deployment needs, read from the manifests: probes on
#      /healthz (liveness) and /readyz (readiness), a grace period longer
#      than the ConfigMap's kafka.flush_timeout, uid/gid 10001, non-root,
#      read-only root filesystem, every mount backed by a volume, the
#      ConfigMap and the Service wired to the pods, no StatefulSet;
#   3. `newsradar check` of the ConfigMap's configuration, with its
#      /etc/newsradar/ paths pointed at this tree's config/.
#   bash test_manifests.sh NEWSRADAR SOURCE_ROOT
# The tool is installed once into a venv under the cache directory
# ($NR_CACHE_DIR, default ~/.cache/newsradar); without it and without PyPI
# the test fails, saying so.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: test_manifests.sh NEWSRADAR SOURCE_ROOT" >&2; exit 2; }
nr="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
src="$(cd "$2" && pwd)"
k8s="$src/docker/k8s"
cache="${NR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/newsradar}"
venv="$cache/venv-k8s"
want=1.37.0 # kubernetes-validate; it validates against Kubernetes 1.37 by default

if [ "$("$venv/bin/kubernetes-validate" --version 2>/dev/null)" != "$want" ]; then
    echo "installing kubernetes-validate $want into $venv"
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv" ||
        { echo "FAIL: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$want" ||
        { rm -rf "$venv"; echo "FAIL: could not install kubernetes-validate $want from PyPI" >&2; exit 1; }
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/nr-k8s.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# 1. schemas
"$venv/bin/kubernetes-validate" --strict --quiet "$k8s"/*.yaml ||
    { echo "FAIL: docker/k8s manifests do not validate against the Kubernetes schemas" >&2; exit 1; }
echo "schemas: $(ls "$k8s"/*.yaml | wc -l) manifests valid (kubernetes-validate $want, --strict)"

# 2. structure; writes the ConfigMap's files into $work/site
"$venv/bin/python" - "$k8s" "$work/site" <<'PY'
import glob, os, re, sys
import yaml

k8s, out = sys.argv[1], sys.argv[2]
docs = []
for f in sorted(glob.glob(os.path.join(k8s, "*.yaml"))):
    docs += [(os.path.basename(f), d) for d in yaml.safe_load_all(open(f)) if d]
bad = []
def need(cond, msg):
    if not cond:
        bad.append(msg)
kinds = {}
for f, d in docs:
    kinds.setdefault(d["kind"], []).append(d)
need("StatefulSet" not in kinds, "a StatefulSet: state is in the changelog topic, a Deployment is enough")
for k in ("Deployment", "ConfigMap", "Service"):
    need(len(kinds.get(k, [])) == 1, f"expected one {k}, found {len(kinds.get(k, []))}")
if bad:
    print("\n".join("FAIL: " + b for b in bad), file=sys.stderr)
    sys.exit(1)
dep, cm, svc = kinds["Deployment"][0], kinds["ConfigMap"][0], kinds["Service"][0]
pod = dep["spec"]["template"]["spec"]
labels = dep["spec"]["template"]["metadata"]["labels"]
need(all(labels.get(k) == v for k, v in dep["spec"]["selector"]["matchLabels"].items()),
     "the Deployment's selector does not match its pod labels")
(c,) = pod["containers"]
psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
need(psc.get("runAsUser") == 10001 and psc.get("runAsGroup") == 10001, "pod not run as uid/gid 10001")
need(psc.get("runAsNonRoot") is True, "runAsNonRoot is not true")
need(csc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true")
need(csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false")
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
def probe(name, path):
    p = c.get(name)
    need(p is not None, f"no {name}")
    if p:
        g = p.get("httpGet", {})
        need(g.get("path") == path, f"{name} asks {g.get('path')!r}, not {path}")
        need(g.get("port") in ports or g.get("port") in ports.values(), f"{name} port {g.get('port')!r} is not a container port")
probe("livenessProbe", "/healthz")
probe("readinessProbe", "/readyz")
vols = {v["name"]: v for v in pod.get("volumes", [])}
for m in c.get("volumeMounts", []):
    need(m["name"] in vols, f"mount {m['name']} has no volume")
    v = vols.get(m["name"], {})
    need(m.get("readOnly") is True or "emptyDir" in v, f"mount {m['mountPath']} is writable and not an emptyDir")
cms = [v["configMap"]["name"] for v in vols.values() if "configMap" in v]
need(cm["metadata"]["name"] in cms, f"ConfigMap {cm['metadata']['name']} is not mounted")
need(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), "the Service selects no pod of the Deployment")
for p in svc["spec"]["ports"]:
    tp = p.get("targetPort", p["port"])
    need(tp in ports or tp in ports.values(), f"Service targetPort {tp!r} is not a container port")
# The config the container runs is the ConfigMap's.
cmd = c.get("command", []) + c.get("args", [])
cfg_path = cmd[cmd.index("-c") + 1] if "-c" in cmd else ""
mount = [m for m in c.get("volumeMounts", []) if vols.get(m["name"], {}).get("configMap", {}).get("name") == cm["metadata"]["name"]]
need(bool(mount) and cfg_path == os.path.join(mount[0]["mountPath"], "newsradar.yaml"),
     f"the container runs -c {cfg_path!r}, not the ConfigMap's newsradar.yaml")
conf = yaml.safe_load(cm["data"]["newsradar.yaml"])
ft = str(conf.get("kafka", {}).get("flush_timeout", "10s"))
m = re.fullmatch(r"(\d+)(ms|s|m)", ft)
need(m is not None, f"flush_timeout {ft!r} not understood by this test")
if m:
    secs = int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60}[m.group(2)]
    grace = pod.get("terminationGracePeriodSeconds", 30)
    # the service's own shutdown deadline: 2 * flush_timeout + 20 s
    need(grace > 2 * secs + 20,
         f"terminationGracePeriodSeconds {grace} <= 2 * kafka.flush_timeout {ft} + 20 s")
# every ${VAR} of the config is set in the container's env
env = {e["name"] for e in c.get("env", [])}
for var in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", cm["data"]["newsradar.yaml"]):
    need(var in env, f"the config reads ${{{var}}}, which the container's env does not set")
if bad:
    print("\n".join("FAIL: " + b for b in bad), file=sys.stderr)
    sys.exit(1)
os.makedirs(out)
for name, text in cm["data"].items():
    open(os.path.join(out, name), "w").write(text)
print(f"structure: probes, grace {pod.get('terminationGracePeriodSeconds')} s > flush_timeout {ft}, "
      "uid 10001, read-only root, mounts, ConfigMap and Service wiring ok")
PY

# 3. the ConfigMap's configuration, on this tree's shipped files
sed "s|/etc/newsradar/|$src/config/|g" "$work/site/newsradar.yaml" >"$work/site/newsradar.local.yaml"
NEWSRADAR_KAFKA_BROKERS=127.0.0.1:9092 NEWSRADAR_HTTP_PORT=9464 KAFKA_PASSWORD=x \
    "$nr" check -c "$work/site/newsradar.local.yaml" >"$work/check.out" 2>&1 ||
    { cat "$work/check.out" >&2; echo "FAIL: newsradar check of the ConfigMap's newsradar.yaml" >&2; exit 1; }
echo "check: $(cat "$work/check.out")"
echo "PASS: docker/k8s manifests"
