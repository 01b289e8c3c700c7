#!/usr/bin/env python3
"""gen_countries.py - write watchlists/countries.yaml from ISO 3166-1 data.

Inputs (facts only):
  * Debian's iso-codes (package `iso-codes`): iso_3166-1.json with alpha_2,
    name, official_name and common_name for every ISO 3166-1 country;
  * countries_extra.tsv next to this script: hand-kept news names, variants,
    demonyms and the few case-sensitive or ambiguous aliases (format in its
    header).

Why generated: 249 entries kept by hand drift from the standard; regenerating
is deterministic (sorted by code, no timestamps), so the committed file must
equal the output, which tests/cli/shipped_config.sh checks.

The script refuses to write a file the loader would reject: two countries
claiming the same alias (compared case-folded, accents stripped, as the
tagger normalises text) is an error; a duplicate within one country is
dropped silently.

Country names in every language iso-codes translates, demonyms and
inflected forms come from countries_i18n.py (read its note); each such alias
carries a comment with the languages it is from.

Usage: gen_countries.py [--iso FILE] [-o OUT] [--report FILE]
(stdlib only, Python 3)
"""
import argparse
import json
import os
import re
import sys
import unicodedata

import countries_i18n

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ISO = os.environ.get("ISO_3166_JSON",
                             "/usr/share/iso-codes/json/iso_3166-1.json")
EXTRA = os.path.join(HERE, "countries_extra.tsv")
FIELDS = ("name", "alias", "demonym", "drop")
OPTIONS = ("case", "ambiguous")
# YAML 1.1 reads these plain scalars as booleans/null ("NO" is Norway).
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def key(text):
    """The form the tagger compares: case-folded, marks stripped, one kind
    of apostrophe and dash, single spaces."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("\u2019", "'").replace("\u2018", "'")
    t = re.sub("[\u2010-\u2015]", "-", t)
    return " ".join(t.casefold().split())


def die(msg):
    sys.stderr.write("gen_countries.py: %s\n" % msg)
    sys.exit(1)


def read_extra(path):
    extra = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 3 or cols[1] not in FIELDS:
                die("%s:%d: expected CODE<TAB>%s<TAB>VALUES" %
                    (path, lineno, "|".join(FIELDS)))
            code, field, values = cols
            for v in values.split(" | "):
                v = v.strip()
                opts = []
                m = re.fullmatch(r"(.*?)\s*\[([a-z,]+)\]", v)
                if m:
                    v, opts = m.group(1), m.group(2).split(",")
                    for o in opts:
                        if o not in OPTIONS:
                            die("%s:%d: unknown option [%s]" % (path, lineno, o))
                if not v:
                    die("%s:%d: empty value" % (path, lineno))
                extra.setdefault(code, []).append((field, v, tuple(opts), lineno))
    return extra


def scalar(s):
    if (re.fullmatch(r"[^\W\d_][\w .'()-]*[\w.)]", s) and
            s.lower() not in YAML_WORDS and ": " not in s):
        return s
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML one


def item(text, opts):
    if not opts:
        return scalar(text)
    parts = ["text: " + scalar(text)] + ["%s: true" % o for o in opts]
    return "{ " + ", ".join(parts) + " }"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iso", default=DEFAULT_ISO, help="iso_3166-1.json")
    ap.add_argument("-o", "--output", help="output file (default stdout)")
    ap.add_argument("--report", help="write the skipped translations and why here")
    args = ap.parse_args()

    with open(args.iso, encoding="utf-8") as f:
        iso = json.load(f)["3166-1"]
    extra = read_extra(EXTRA)
    codes = {c["alpha_2"] for c in iso}
    for code in extra:
        if code not in codes:
            die("countries_extra.tsv: %s is not an ISO 3166-1 alpha-2 code" % code)

    owner = {}  # alias key -> country code, to reject collisions
    base_keys = {}  # the same in countries_i18n's key, for the translations
    rows = []
    for c in sorted(iso, key=lambda c: c["alpha_2"]):
        code = c["alpha_2"]
        ex = extra.get(code, [])
        names = [v for f, v, _, _ in ex if f == "name"]
        if len(names) > 1:
            die("%s: more than one name" % code)
        name = names[0] if names else c.get("common_name", c["name"])
        if "," in name or "(" in name:
            die("%s: %r is not a news name; add a name line to "
                "countries_extra.tsv" % (code, name))
        drop = {key(v) for f, v, _, _ in ex if f == "drop"}

        cands = []  # (field, text, opts)
        for field in ("official_name", "name", "common_name"):
            v = c.get(field)
            if not v:
                continue
            v = re.sub(r"^the ", "", v)
            if "," in v:
                continue  # "Korea, Republic of": an index form, not prose
            m = re.fullmatch(r"(.*) \((.*)\)", v)  # "Holy See (Vatican City State)"
            for part in ([m.group(1), m.group(2)] if m else [v]):
                if "part" not in part:  # "(French part)"
                    cands.append(("alias", part, ()))
        cands += [(f, v, o) for f, v, o, _ in ex if f in ("alias", "demonym")]

        seen = {key(name)}
        aliases, demonyms = [], []
        # an iso-codes name listed in countries_extra.tsv with options takes
        # them ("Réunion [case]": the French word for a meeting)
        ex_opts = {key(v): o for f, v, o, _ in ex if f in ("alias", "demonym") and o}
        for field, text, opts in cands:
            k = key(text)
            if k in seen or k in drop:
                continue
            if not opts and k in ex_opts:
                text, opts = next((v, o) for f, v, o, _ in ex if key(v) == k and o)
            seen.add(k)
            (aliases if field == "alias" else demonyms).append((text, opts))
        for k in seen:
            if k in owner:
                die("alias %r claimed by both %s and %s" % (k, owner[k], code))
            owner[k] = code
        for t in [name] + [t for t, _ in aliases + demonyms]:
            base_keys.setdefault(countries_i18n.key(t), code)
        rows.append((code, name, aliases, demonyms))

    skipped = []
    i18n, n_cat = countries_i18n.i18n_aliases(iso, base_keys, die, skipped.append)
    out = []
    n_i18n = 0
    for code, name, aliases, demonyms in rows:
        extra_a = [(t, o, n) for t, o, f, n in i18n.get(code, []) if f == "alias"]
        extra_d = [(t, o, n) for t, o, f, n in i18n.get(code, []) if f == "demonym"]
        n_i18n += len(extra_a) + len(extra_d)
        out.append("  - id: %s" % scalar(code))
        out.append("    kind: country")
        out.append("    name: %s" % scalar(name))
        out.append("    code: %s" % scalar(code))
        if aliases or extra_a:
            out.append("    aliases:")
            out += ["      - " + item(t, o) for t, o in aliases]
            out += ["      - %s  # %s" % (item(t, o), n) for t, o, n in extra_a]
        if demonyms and not extra_d:
            out.append("    demonyms: [%s]" % ", ".join(item(t, o) for t, o in demonyms))
        elif demonyms or extra_d:
            out.append("    demonyms:")
            out += ["      - " + item(t, o) for t, o in demonyms]
            out += ["      - %s  # %s" % (item(t, o), n) for t, o, n in extra_d]

    text = ("# countries.yaml - every ISO 3166-1 country (%d entries).\n"
            "# GENERATED by gen_countries.py from Debian's iso-codes\n"
            "# (iso_3166-1.json and the iso_3166-1 translations of %d catalogues),\n"
            "# countries_extra.tsv and countries_i18n.tsv: edit those, then run\n"
            "#   python3 config/gen_countries.py -o config/watchlists/countries.yaml\n"
            "# Entity id and code are the alpha-2 code; name is the name used in\n"
            "# news; an alias from a translation or countries_i18n.tsv notes its\n"
            "# languages (ISO 639). %d such aliases; %d translations skipped\n"
            "# (gen_countries.py --report FILE lists them and why). See\n"
            "# docs/watchlists.md for the choices made.\n"
            "entities:\n" % (len(iso), n_cat, n_i18n, len(skipped))) + "\n".join(out) + "\n"
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            f.write("".join(x + "\n" for x in skipped))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
