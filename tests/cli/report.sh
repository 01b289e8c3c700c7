#!/usr/bin/env bash
# report.sh - `newsradar replay --report FILE.html`: a back-test whose
# articles carry hostile text (markup, a javascript: link, quotes, NUL,
# invalid UTF-8) gives a page that names every alert by its alert_id,
# escapes the text, loads nothing and runs no script; then Debian's chromium
# renders it headless at 1280 px and at a phone width (390 px): the
# screenshots are not blank and show the timeline's colours, the rendered
# DOM holds the SVG timelines, and at 390 px the page does not overflow
# sideways (wide tables and charts scroll inside their own boxes).
#
# Without chromium the browser half is skipped (exit 77) outside CI and
# fails in CI (CI=true), where tests/install-deps.sh installs it.
#
# usage: bash tests/cli/report.sh NEWSRADAR-BINARY SOURCE-ROOT
set -u

nr=${1:?usage: report.sh NEWSRADAR-BINARY SOURCE-ROOT}
src=${2:?usage: report.sh NEWSRADAR-BINARY SOURCE-ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# ---- the feed: a quiet day, then a burst in Pakistan with hostile titles ----
python3 - "$tmp/feed.jsonl" <<'EOF'
import json, sys
out = open(sys.argv[1], "wb")
def art(i, day, hh, mm, title, url, source):
    return {"id": "r%d" % i, "title": title, "body": title + ". Officials said more later.",
            "url": url, "source": source,
            "published_at": "2024-05-%02dT%02d:%02d:00Z" % (day, hh, mm)}
n = 0
lines = []
for h in range(0, 24, 6):                      # quiet baseline: one article every 6 h
    n += 1
    lines.append(art(n, 1, h, 10, "Attack reported in Pakistan", "https://news.example.org/%d" % n,
                     "example-wire"))
hostile = [
    ('Attack in Pakistan <script>alert("x")</script>', "javascript:alert(1)", "evil<b>wire</b>"),
    ("Attack in Pakistan \"><img src=x onerror=alert(2)>", "https://e.example.org/a?x=1&y=\"2\"",
     "q'uote"),
    ("Attack in Pakistan \u0000 after NUL & more", "https://e.example.org/nul", None),
    ("Attack in Pakistan </svg></style><style>body{display:none}</style>",
     "  https://e.example.org/space", "wire"),
    ("Attack in Pakistan: mortar attack", "https://e.example.org/5", "wire"),
]
for k, (t, u, s) in enumerate(hostile):
    n += 1
    a = art(n, 2, 9, 5 + 5 * k, t, u, s)
    if s is None:
        del a["source"]
    lines.append(a)
for a in lines:
    out.write(json.dumps(a).encode() + b"\n")
# one line with invalid UTF-8 in the title (replay repairs it)
out.write(b'{"id":"r-bad","title":"Attack in Pakistan \xff\xfe bytes","published_at":"2024-05-02T09:40:00Z"}\n')
EOF

cfg="$src/tests/data/replay/config/newsradar.yaml"
"$nr" replay -q -c "$cfg" --report "$tmp/report.html" "$tmp/feed.jsonl" >"$tmp/alerts.jsonl" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || fail "replay --report: exit $rc: $(head -5 "$tmp/err")"
[ -s "$tmp/report.html" ] || { fail "no report written"; exit 1; }
html="$tmp/report.html"

n_alerts=$(wc -l <"$tmp/alerts.jsonl")
[ "$n_alerts" -ge 2 ] || fail "the feed should raise alerts (firing + escalated), got $n_alerts"
for id in $(jq -r .alert_id "$tmp/alerts.jsonl" | sort -u); do
    grep -q "$id" "$html" || fail "alert $id is not in the report"
done
# every (alert_id, state) row is there
rows=$(grep -o '<tr><td><code>[0-9a-f]\{16\}</code></td><td>[a-z]*</td>' "$html" | wc -l)
[ "$rows" -eq "$n_alerts" ] || fail "report lists $rows alert rows, replay wrote $n_alerts alerts"

# ---- hostile text stays text --------------------------------------------------
grep -qi '<script' "$html" && fail "a <script> element in the page"
grep -qi '<img' "$html" && fail "an <img> element in the page"
grep -q 'href="javascript' "$html" && fail "a javascript: link"
grep -Eq '<[^>]* onerror=' "$html" && fail "an onerror attribute on an element"
grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' "$html" || fail "the <script> title is not shown escaped"
grep -q 'evil&lt;b&gt;wire&lt;/b&gt;' "$html" || fail "the source is not escaped"
grep -q 'q&#39;uote' "$html" || fail "a quote in the source is not escaped"
grep -q 'x=1&amp;y=&quot;2&quot;' "$html" || fail "the URL is not escaped in its attribute"
grep -q 'href="  https' "$html" && fail "a URL with leading spaces became a link"
# exactly one <style> element (ours); the title's </style><style> is text
[ "$(grep -o '<style>' "$html" | wc -l)" -eq 1 ] || fail "more than one <style> element"
python3 - "$html" <<'EOF' || fail "the page is not valid UTF-8 or holds a NUL"
import sys
b = open(sys.argv[1], "rb").read()
b.decode("utf-8")
assert b"\x00" not in b
EOF

# ---- self-contained: nothing fetched ------------------------------------------
grep -Eqi '<(link|iframe|object|embed|img|script)\b' "$html" && fail "an element that loads something"
grep -Eqi '<[^>]*[[:space:]](src|srcset)=' "$html" && fail "a src attribute"
grep -Eqi '@import|url\(' "$html" && fail "a resource reference in CSS (@import, url())"
grep -q '<svg' "$html" || fail "no SVG timeline"
grep -q 'class="ep-firing"' "$html" || fail "no firing episode shaded"
grep -q 'class="threshold"' "$html" || fail "no threshold line"
grep -q 'name="viewport"' "$html" || fail "no viewport meta (phones)"

# ---- a bad --report path fails before the replay, leaving nothing -------------
"$nr" replay -q -c "$cfg" --report "$tmp/no/such/dir/r.html" "$tmp/feed.jsonl" >/dev/null 2>"$tmp/err2"
rc=$?
[ "$rc" -eq 1 ] || fail "--report into a missing directory: exit $rc, want 1"
grep -q -- '--report' "$tmp/err2" || fail "--report error message: $(cat "$tmp/err2")"
"$nr" replay -q -c "$tmp/missing.yaml" --report "$tmp/cfgfail.html" "$tmp/feed.jsonl" >/dev/null 2>&1
[ -e "$tmp/cfgfail.html" ] && fail "a failed replay left an (empty) report behind"

# ---- the browser ----------------------------------------------------------------
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    if [ "${CI:-}" = "true" ]; then
        fail "chromium is not installed (tests/install-deps.sh installs it)"
    else
        echo "report.sh: chromium not installed: browser checks skipped" >&2
        [ "$failures" -eq 0 ] && exit 77
    fi
    exit 1
fi

chrome() { # chrome ARGS... : headless, no network, its own profile
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --no-first-run --disable-extensions --disable-background-networking \
        --user-data-dir="$tmp/profile" "$@" 2>>"$tmp/chrome.log"
}

for w in 1280 390; do
    chrome --window-size=$w,1800 --screenshot="$tmp/shot$w.png" "file://$html" >/dev/null
    [ -s "$tmp/shot$w.png" ] || { fail "no screenshot at $w px: $(tail -3 "$tmp/chrome.log")"; continue; }
    python3 - "$tmp/shot$w.png" "$w" <<'EOF' || fail "screenshot at $w px"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), "unexpected PNG format %d/%d" % (depth, ctype)
assert w == int(sys.argv[2]), "width %d" % w
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, rows, o = bytearray(stride), [], 0
for y in range(h):
    f, line = raw[o], bytearray(raw[o + 1:o + 1 + stride])
    o += 1 + stride
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
colours, dark, blue, total = set(), 0, 0, 0
for line in rows[::2]:
    for x in range(0, stride, bpp * 2):
        r, g, b = line[x], line[x + 1], line[x + 2]
        colours.add((r >> 4, g >> 4, b >> 4))
        total += 1
        dark += r + g + b < 384
        blue += abs(r - 0x1f) < 40 and abs(g - 0x5f) < 40 and abs(b - 0xbf) < 40
assert len(colours) >= 8, "blank: %d colours" % len(colours)
assert dark > total // 200, "blank: %d dark pixels of %d" % (dark, total)
assert blue > 0, "no pixel of the window-count line's colour"
EOF
done

# The rendered DOM and the layout at both widths: a wrapper page (the test's,
# not the report's) loads the report in a frame of each width and writes what
# it measures into its own DOM, which --dump-dom prints.
cat >"$tmp/measure.html" <<'EOF'
<!DOCTYPE html><html><body><pre id="out"></pre>
<iframe id="w1280" src="report.html" style="width:1280px;height:900px;border:0"></iframe>
<iframe id="w390" src="report.html" style="width:390px;height:900px;border:0"></iframe>
<script>
window.onload = function () {
  var out = [];
  ["w1280", "w390"].forEach(function (id) {
    var d = document.getElementById(id).contentDocument;
    var svg = d.querySelectorAll("svg").length;
    var parts = d.querySelectorAll("svg rect.ep-firing, svg polyline.count, svg polyline.threshold").length;
    var sw = d.documentElement.scrollWidth, cw = d.documentElement.clientWidth;
    var s0 = d.querySelector("svg"), box = s0 ? s0.getBoundingClientRect() : {width: 0, height: 0};
    out.push(id + " svg=" + svg + " parts=" + parts + " scroll=" + sw + " client=" + cw +
             " chart=" + Math.round(box.width) + "x" + Math.round(box.height));
  });
  document.getElementById("out").textContent = out.join("\n");
};
</script></body></html>
EOF
chrome --allow-file-access-from-files --virtual-time-budget=10000 --dump-dom \
    "file://$tmp/measure.html" >"$tmp/dom.html"
python3 - "$tmp/dom.html" <<'EOF' || fail "rendered layout: $(grep -o 'w[0-9]* [^<]*' "$tmp/dom.html")"
import re, sys
dom = open(sys.argv[1]).read()
got = dict((m.group(1), m.group(2)) for m in re.finditer(r"(w1280|w390) ([^\n<]*)", dom))
assert set(got) == {"w1280", "w390"}, "no measurements: %r" % dom[:300]
for k, v in got.items():
    f = dict(x.split("=") for x in v.split())
    assert int(f["svg"]) >= 1 and int(f["parts"]) >= 3, "%s: SVG elements missing: %s" % (k, v)
    assert int(f["scroll"]) <= int(f["client"]) + 1, "%s: the page overflows sideways: %s" % (k, v)
    cw, ch = (int(x) for x in f["chart"].split("x"))
    assert cw >= 300 and ch >= 100, "%s: the chart is too small: %s" % (k, v)
print("\n".join("%s %s" % kv for kv in sorted(got.items())))
EOF

[ "$failures" -eq 0 ] || { echo "report.sh: $failures failure(s)" >&2; exit 1; }
echo "report.sh: ok"
