#!/usr/bin/env python3
"""gen_officials.py - write watchlists/officials.yaml from officials.tsv.

Input (facts only): officials.tsv next to this script, one office-holder a
line (format in its header): heads of state and government and the foreign,
defence and interior ministers of the UN member states, and the heads of
the main international organisations, with the name variants the press
uses. The facts were compiled by hand from public knowledge; the as-of date
is AS_OF below and in the TSV header: offices change, update the TSV.

Why generated: about a thousand entries kept by hand in YAML drift (ids,
quoting, duplicate aliases); regenerating is deterministic (TSV order, no
timestamps), so the committed file must equal the output, which
tests/cli/shipped_config.sh checks.

The script refuses to write a file the loader would reject or that would
tag the wrong person: an unknown country code, two rows with the same id,
two people claiming the same alias (compared case-folded, accents
stripped, as the tagger normalises text), or an alias containing a
country's name or demonym ("Mohammed VI of Morocco": the longer match
would hide the country mention; a name that contains one, "Israel Katz",
is the person's own) are errors; a duplicate alias
within one person is dropped silently. Pakistan/Afghanistan officials live
in watchlists/afpak.yaml; a row whose name that file already has is an
error (the loader would reject the clash anyway, this says why earlier).

officials_i18n.tsv adds the names other languages' press writes (scripts,
transliterations, Russian case forms), one line per official and group of
languages; they follow the official's aliases under a comment naming the
languages and pass the same checks. A line naming no official of
officials.tsv is an error.

Usage: gen_officials.py [-o OUT]   (stdlib only, Python 3)
"""
import argparse
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
TSV = os.path.join(HERE, "officials.tsv")
I18N = os.path.join(HERE, "officials_i18n.tsv")
COUNTRIES = os.path.join(HERE, "watchlists", "countries.yaml")
AFPAK = os.path.join(HERE, "watchlists", "afpak.yaml")
AS_OF = "late 2025"
# International organisations: the first column of their rows. Their
# officials get no country: (the organisation is named in the role) and an
# id prefixed with the lower-cased code.
ORGS = {
    "UN": "United Nations and its agencies",
    "EU": "European Union",
    "NATO": "North Atlantic Treaty Organization",
    "AUC": "African Union Commission",  # not "AU": that is Australia
    "LAS": "League of Arab States",
    "GCC": "Gulf Cooperation Council",
    "OIC": "Organisation of Islamic Cooperation",
    "OSCE": "Organization for Security and Co-operation in Europe",
    "ASEAN": "Association of Southeast Asian Nations",
    "ECOWAS": "Economic Community of West African States",
    "IMF": "International Monetary Fund",
    "WB": "World Bank Group",
    "ICC": "International Criminal Court",
}
# The 193 UN member states, to report coverage in the file header.
UN_MEMBERS = set("""
AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG
BF BI CV KH CM CA CF TD CL CN CO KM CG CR CI HR CU CY CZ KP CD DK DJ DM DO EC
EG SV GQ ER EE SZ ET FJ FI FR GA GM GE DE GH GR GD GT GN GW GY HT HN HU IS IN
ID IR IQ IE IL IT JM JP JO KZ KE KI KW KG LA LV LB LS LR LY LI LT LU MG MW MY
MV ML MT MH MR MU MX FM MD MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG MK NO OM
PK PW PA PG PY PE PH PL PT QA KR RO RU RW KN LC VC WS SM ST SA SN RS SC SL SG
SK SI SB SO ZA SS ES LK SD SR SE CH SY TJ TZ TH TL TG TO TT TN TR TM TV UG UA
AE GB US UY UZ VU VE VN YE ZM ZW""".split())
OPTIONS = ("case", "ambiguous")
# YAML 1.1 reads these plain scalars as booleans/null.
YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def key(text):
    """The form the tagger compares: case-folded, marks stripped, one kind
    of apostrophe and dash, hyphens as spaces, single spaces."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("\u2019", "'").replace("\u2018", "'")
    t = re.sub("[\u2010-\u2015-]", " ", t)
    return " ".join(t.casefold().split())


def ascii_id(text):
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("\u0131", "i").replace("\u0142", "l").replace("\u0111", "d")
    t = t.replace("\u00f8", "o").replace("\u00df", "ss").replace("\u00fe", "th")
    t = t.replace("\u00f0", "d").replace("\u00e6", "ae")
    t = re.sub(r"['\u2019]", "", t.lower())
    t = re.sub(r"[^a-z0-9]+", "_", t).strip("_")
    t = "_".join(w for w in t.split("_") if len(w) > 1)  # "Amina J. Mohammed"
    if not t:
        die("cannot make an id from %r" % text)
    return t


def die(msg):
    sys.stderr.write("gen_officials.py: %s\n" % msg)
    sys.exit(1)


def read_countries(path):
    """Country ids, and the keys of every country name, alias and demonym
    (a line scan of the generated file's fixed layout)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    codes = set(re.findall(r'^  - id: "?([A-Z]{2})"?$', text, re.M))
    words = set()
    for line in text.splitlines():
        m = re.match(r'    name: "?([^"]+)"?$', line) or \
            re.match(r'      - (?:\{ text: )?"?([^",}]+)', line)
        if m:
            words.add(key(m.group(1)))
        m = re.match(r"    demonyms: \[(.*)\]$", line)
        if m:
            for d in m.group(1).split(", "):
                d = re.sub(r'^\{ text: |, (case|ambiguous): true|\s*\}$|"', "", d)
                words.add(key(d))
    words.discard("")
    return codes, words


def country_in(k, words):
    """The country words found as whole words in the alias key k."""
    padded = " %s " % k
    return {w for w in words if " %s " % w in padded or " %s's " % w in padded}


def afpak_names(path):
    """Canonical names and plain aliases of the officials in afpak.yaml
    (a line scan: that file is hand-written in one layout)."""
    names = set()
    with open(path, encoding="utf-8") as f:
        kind = None
        for line in f:
            m = re.match(r"    kind: (\w+)", line)
            if m:
                kind = m.group(1)
            if kind != "official":
                continue
            m = (re.match(r"    name: (.+)", line) or
                 re.match(r"      - \{ text: ([^,}]+)", line) or
                 re.match(r"      - ([^{].*)", line))
            if m:
                names.add(key(m.group(1).strip()))
    return names


def parse_alias(v, where):
    opts = []
    m = re.fullmatch(r"(.*?)\s*\[([a-z,]+)\]", v)
    if m:
        v, opts = m.group(1), m.group(2).split(",")
        for o in opts:
            if o not in OPTIONS:
                die("%s: unknown option [%s]" % (where, o))
    if not v:
        die("%s: empty alias" % where)
    return v, tuple(opts)


def read_tsv(path, codes):
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = "%s:%d" % (os.path.basename(path), lineno)
            cols = line.split("\t")
            if len(cols) < 3 or len(cols) > 5:
                die("%s: expected COUNTRY<TAB>ROLE<TAB>NAME[<TAB>ALIASES"
                    "[<TAB>NOTE]], got %d columns" % (where, len(cols)))
            cols += [""] * (5 - len(cols))
            cc, role, name, aliases, note = (c.strip() for c in cols)
            if cc not in codes and cc not in ORGS:
                die("%s: %r is neither a country id of countries.yaml nor an "
                    "organisation (%s)" % (where, cc, ", ".join(sorted(ORGS))))
            if not role or not name:
                die("%s: empty role or name" % where)
            al = [parse_alias(a.strip(), where)
                  for a in aliases.split("|") if a.strip()]
            rows.append((cc, role, name, al, note, where))
    return rows


def read_i18n(path, names):
    """NAME -> [(languages, [(alias, opts)], where)] from officials_i18n.tsv."""
    extra = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = "%s:%d" % (os.path.basename(path), lineno)
            cols = [c.strip() for c in line.split("\t")]
            if len(cols) != 3:
                die("%s: expected NAME<TAB>LANGUAGES<TAB>ALIASES, got %d columns"
                    % (where, len(cols)))
            name, langs, aliases = cols
            if name not in names:
                die("%s: %r is no NAME of officials.tsv" % (where, name))
            if not re.fullmatch(r"[a-z]{2}( [a-z]{2})*", langs):
                die("%s: languages %r are not ISO 639-1 codes separated by "
                    "spaces" % (where, langs))
            al = [parse_alias(a.strip(), where)
                  for a in aliases.split("|") if a.strip()]
            if not al:
                die("%s: no alias" % where)
            extra.setdefault(name, []).append((langs, al, where))
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
    ap.add_argument("-o", "--output", help="output file (default stdout)")
    args = ap.parse_args()

    codes, cwords = read_countries(COUNTRIES)
    if not codes:
        die("%s: no country ids found" % COUNTRIES)
    afpak = afpak_names(AFPAK)
    if codes & set(ORGS):
        die("organisation codes %s are also country ids" % sorted(codes & set(ORGS)))
    rows = read_tsv(TSV, codes)
    extra = read_i18n(I18N, {r[2] for r in rows})

    owner = {}  # alias key -> (id, where), to reject collisions
    ids = {}
    out = []
    for cc, role, name, aliases, note, where in rows:
        eid = "%s_%s" % (cc.lower(), ascii_id(name))
        if eid in ids:
            die("%s: id %s already made at %s" % (where, eid, ids[eid]))
        ids[eid] = where
        seen = {key(name)}
        kept = []
        in_name = country_in(key(name), cwords)
        groups = [(None, aliases, where)] + extra.get(name, [])
        for langs, group, gwhere in groups:
            comment = langs is not None
            for text, opts in group:
                k = key(text)
                if k in seen:
                    continue
                hidden = country_in(k, cwords) - in_name
                if hidden:
                    die("%s: alias %r contains the country word %r: as the "
                        "longer match it would hide that country mention" %
                        (gwhere, text, sorted(hidden)[0]))
                seen.add(k)
                if comment:  # the languages, once above their first alias
                    kept.append(("# " + langs, None))
                    comment = False
                kept.append((text, opts))
        for k in seen:
            if k in afpak:
                die("%s: %r is already an official of afpak.yaml" % (where, k))
            if k in owner:
                die("%s: alias %r claimed by both %s (%s) and %s" %
                    (where, k, owner[k][0], owner[k][1], eid))
            owner[k] = (eid, where)

        if note:
            out.append("  # " + note)
        out.append("  - id: %s" % scalar(eid))
        out.append("    kind: official")
        out.append("    name: %s" % scalar(name))
        if cc in codes:
            out.append("    country: %s" % scalar(cc))
        out.append("    role: %s" % scalar(role))
        if kept:
            out.append("    aliases:")
            out += ["      " + t if o is None else "      - " + item(t, o)
                    for t, o in kept]

    if len(UN_MEMBERS) != 193 or not UN_MEMBERS <= codes:
        die("UN_MEMBERS is not 193 country ids of countries.yaml")
    n_un = len({r[0] for r in rows} & UN_MEMBERS)
    n_other = len({r[0] for r in rows if r[0] in codes} - UN_MEMBERS)
    text = ("# officials.yaml - heads of state and government, foreign, defence\n"
            "# and interior ministers, and heads of international organisations\n"
            "# (%d entries; %d of the 193 UN member states, %d other countries).\n"
            "# GENERATED by gen_officials.py from officials.tsv: edit that, then run\n"
            "#   python3 config/gen_officials.py -o config/watchlists/officials.yaml\n"
            "# Compiled from public knowledge as of %s; offices change: update\n"
            "# the TSV. Pakistan/Afghanistan officials are in afpak.yaml.\n"
            "# See docs/watchlists.md for the choices made.\n"
            "entities:\n" % (len(rows), n_un, n_other, AS_OF)) + "\n".join(out) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
