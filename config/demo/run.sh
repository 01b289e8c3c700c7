#!/usr/bin/env bash
# The newcomer's first run: install what is missing, build newsradar, then
# run it offline on the bundled demo articles: validate the configuration,
# show the tags of one article, and replay the whole feed to get alerts.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash tests/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build newsradar >/dev/null

nr=build/newsradar
echo "== newsradar check -c config/newsradar.yaml"
"$nr" check -c config/newsradar.yaml
echo
echo "== newsradar tag (the first article of the border burst, demo-0490)"
grep -m1 '"demo-0490"' config/demo/articles.jsonl | "$nr" tag -c config/newsradar.yaml - |
    { command -v jq >/dev/null && jq . || cat; }
echo
echo "== newsradar replay -c config/newsradar.yaml config/demo/articles.jsonl"
status=0
"$nr" replay -c config/newsradar.yaml config/demo/articles.jsonl >build/demo-alerts.jsonl || status=$?
if command -v jq >/dev/null; then
    jq -c '{alert_id, rule, state, severity, dimensions: (.dimensions | map_values(.name)), count, baseline, score}' \
        build/demo-alerts.jsonl
else
    cat build/demo-alerts.jsonl
fi
echo "(full alerts in build/demo-alerts.jsonl; exit status $status: 3 means some demo lines were malformed on purpose)"
[ "$status" -eq 0 ] || [ "$status" -eq 3 ]
