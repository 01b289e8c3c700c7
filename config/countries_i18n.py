"""countries_i18n.py - country names in other languages, for gen_countries.py.

Two sources, facts only:
  * Debian's iso-codes message catalogues (LOCALEDIR/*/LC_MESSAGES/
    iso_3166-1.mo, ~150 languages): the translation of each country's name,
    official name and common name; read with Python's gettext module;
  * countries_i18n.tsv (hand-kept, next to this file): demonyms and the
    inflected forms a stemmer does not reach (Russian cases, German genitive,
    French/Spanish/Portuguese gender and number), common words no country
    may take, and translations to drop. Russian single-word names and
    German names also get their regular case forms by rule (below).

A translation is skipped, and reported on stderr with the reason, when:
  * two countries' translations are the same text (a catalogue error such
    as "Republica Dominicana" for Iran, or a genuinely shared name such as
    "Samoa" or "Congo"): neither country gets it;
  * it equals an alias of another country from the English data, or any
    name or alias in the other watchlists (watchlists/*.yaml: a place
    "Marawi" and Maori "Marāwi" for Malawi cannot both stand);
  * it is too short to be safe as a word (fewer than 4 letters in an
    alphabet, 3 in Arabic script, 2 in Han/kana or an abugida/syllabary
    (Indic, Thai, Ethiopic: consonants counted), 3 Hangul syllables);
  * it is a common word: a lower-case word of the hunspell dictionary of a
    major news language other than its own (Esperanto "Domingo" for the
    Dominican Republic is Spanish "domingo", Sunday; Pashto "پلاو" for
    Palau is pilaf, listed by hand), or in the common-word list of countries_i18n.tsv;
    only short words (<= 7 letters) of scripts with case are tested, and
    countries_i18n.tsv may keep one ("França": Italian "franca");
  * it is dropped in countries_i18n.tsv (a dropped catalogue error takes
    no name from the country that has it: fa "فلسطین" for Eritrea);
  * it is one lower-case or dictionary word split out of a parenthesis
    (pl "Palestyna (państwo)", ro "Insulele virgine (britanice)"): a
    qualifier, not a name (a capitalised one such as "(Malwinen)" stays);
  * it has no letter of its catalogue's main script (si "cqDw" for Chad,
    Devanagari in the Telugu catalogue), unless it is the English name;
  * it is an index form ("Korea, Republic of") or names a part
    ("(French part)"); the head of an index form (fr "Russie, Fédération
    de": "Russie") is a candidate of its own, dropped if another country
    claims it too (fr "Corée"), if it is an English word (fr "Christmas,
    Île": the English dictionary, proper nouns included) or if another
    country has it as a full name (el "Κονγκό" stays the Republic of the
    Congo's); it never adds its languages to a full name.
"""
import gettext
import glob
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
I18N_TSV = os.path.join(HERE, "countries_i18n.tsv")
LOCALEDIR = os.environ.get("ISO_CODES_LOCALEDIR", "/usr/share/locale")
FIELDS = ("alias", "demonym", "drop", "common", "keep")
HUNSPELL = os.environ.get("HUNSPELL_DIR", "/usr/share/hunspell")
# The dictionaries read for common words (Debian hunspell-* packages, all
# installed by tests/install-deps.sh so that every machine generates the
# same file): language -> file.
DICTS = {"ar": "ar", "de": "de_DE", "en": "en_US", "es": "es_ES", "fa": "fa_IR", "fr": "fr_FR",
         "it": "it_IT", "nl": "nl_NL", "pt": "pt_PT", "ru": "ru_RU", "tr": "tr_TR"}


def english_words(die):
    """Every entry of the English dictionary, proper nouns too, as keys."""
    path = os.path.join(HUNSPELL, DICTS["en"] + ".dic")
    if not os.path.exists(path):
        die("%s not found (install Debian's hunspell dictionaries: tests/install-deps.sh)" % path)
    with open(path, encoding="utf-8", errors="replace") as f:
        next(f, None)  # the word count
        return {key(line.split("/", 1)[0].strip()) for line in f}


def common_words(die):
    """{key: set(langs)} of the lower-case entries of the dictionaries."""
    out = {}
    for lang, name in sorted(DICTS.items()):
        path = os.path.join(HUNSPELL, name + ".dic")
        if not os.path.exists(path):
            die("%s not found (install Debian's hunspell dictionaries: tests/install-deps.sh)"
                % path)
        with open(path, encoding="utf-8", errors="replace") as f:
            next(f, None)  # the word count
            for line in f:
                w = line.split("/", 1)[0].strip()
                if not w or not w[0].isalpha() or w[0] != w[0].lower() or " " in w:
                    continue
                out.setdefault(key(w), set()).add(lang)
    return out

# The mark ranges text.c strips, and its Arabic-script folds (text.h).
_STRIP = [(0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
          (0xFE20, 0xFE2F), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670),
          (0x06D6, 0x06ED)]
_FOLD = {0x0643: 0x06A9, 0x06AA: 0x06A9, 0x064A: 0x06CC, 0x0649: 0x06CC, 0x0626: 0x06CC,
         0x0623: 0x0627, 0x0625: 0x0627, 0x0622: 0x0627, 0x0671: 0x0627, 0x0624: 0x0648,
         0x0629: 0x0647, 0x06C1: 0x0647, 0x06C2: 0x0647, 0x06C3: 0x0647, 0x06BE: 0x0647,
         0x06D5: 0x0647, 0x06C0: 0x0647}
_DROP = {0x00AD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0x2060, 0xFEFF, 0x0640}


def key(text):
    """The form the tagger compares (text.h), closely enough to find
    collisions: NFKD, case-folded, text.c's marks stripped, Arabic letter
    variants folded, dashes and hyphens as spaces, single spaces."""
    out = []
    for ch in unicodedata.normalize("NFKD", text.casefold()):
        cp = ord(ch)
        if cp in _DROP or any(a <= cp <= b for a, b in _STRIP):
            continue
        cp = _FOLD.get(cp, cp)
        ch = chr(cp)
        if ch in "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212":
            ch = " "
        out.append(ch)
    t = "".join(out).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(t.split())


def _script(ch):
    cp = ord(ch)
    if 0x0600 <= cp <= 0x08FF or 0xFB50 <= cp <= 0xFEFF:
        return "arabic"
    if 0x0590 <= cp <= 0x05FF:
        return "arabic"  # Hebrew: consonantal too, same minimum
    if 0xAC00 <= cp <= 0xD7AF:
        return "hangul"
    if 0x0900 <= cp <= 0x109F or 0x1200 <= cp <= 0x139F or 0x1780 <= cp <= 0x17FF:
        return "syllabic"  # Indic, Thai, Lao, Myanmar (abugidas), Ethiopic, Khmer
    if 0x3040 <= cp <= 0x30FF or 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF:
        return "han"
    return "alpha"


MIN_LETTERS = {"alpha": 4, "arabic": 3, "han": 2, "hangul": 3, "syllabic": 2}


def too_short(k):
    letters = [c for c in k if c.isalpha()]
    if not letters:
        return True
    return len(letters) < MIN_LETTERS[_script(letters[0])]


def other_watchlist_names(skip):
    """{key: "entity-ish label"} of every name, alias and demonym string in
    the watchlists next to countries.yaml (read as text: every `name:`,
    `text:`, list item and inline list item), so a translation never takes
    what another watchlist holds."""
    out = {}
    for path in sorted(glob.glob(os.path.join(HERE, "watchlists", "*.yaml"))):
        if os.path.basename(path) == skip:
            continue
        label = "watchlists/" + os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = re.sub(r"\s+#.*$", "", line.rstrip("\n"))
                m = re.match(r"\s*(?:-\s+)?(?:name|aliases|demonyms|text)?:?\s*(.*)$", line)
                vals = []
                for m2 in re.finditer(r"text:\s*(\"[^\"]*\"|'[^']*'|[^,}]+)", line):
                    vals.append(m2.group(1))
                mm = re.match(r"\s*(?:name|aliases|demonyms):\s*(.+)$", line)
                if mm:
                    v = mm.group(1)
                    if v.startswith("["):
                        vals += [x for x in re.split(r",\s*", v.strip("[]")) if "text:" not in x]
                    else:
                        vals.append(v)
                mm = re.match(r"\s*-\s+(?!id:|\{)(.+)$", line)
                if mm and ":" not in mm.group(1).split("\"")[0]:
                    vals.append(mm.group(1))
                for v in vals:
                    v = v.strip().strip("{}").strip()
                    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                        v = v[1:-1]
                    if v:
                        out.setdefault(key(v), label)
    return out


def cased_short(k):
    """Is k one short word (<= 7 letters) of a script with case? Only
    those are tested against the dictionaries: a long name is a cognate
    (German "Georgien", French "géorgien"), and scripts without case
    (Arabic, Han) list proper names in lower case like any word."""
    if " " in k or len(k) > 7:
        return False
    return all(c.isalpha() and (c.upper() != c or c.lower() != c.upper()) for c in k) and \
        any(c.upper() != c for c in k)


def read_tsv(path, die):
    """CODE<TAB>LANG<TAB>FIELD<TAB>VALUE[ [opts]][ | VALUE...] -> list of
    (code, lang, field, value, lineno, opts). CODE '*' with FIELD common:
    words no country may take."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 4 or cols[2] not in FIELDS or not re.fullmatch(r"[a-z]{2,3}|\*", cols[1]):
                die("%s:%d: expected CODE<TAB>LANG<TAB>%s<TAB>VALUES" % (path, lineno, "|".join(FIELDS)))
            code, lang, field, values = cols
            for v in values.split(" | "):
                v = v.strip()
                opts = ()
                m = re.fullmatch(r"(.*?)\s*\[([a-z,]+)\]", v)
                if m:
                    v, opts = m.group(1), tuple(m.group(2).split(","))
                    if any(o not in ("case", "ambiguous") for o in opts):
                        die("%s:%d: unknown option in [%s]" % (path, lineno, m.group(2)))
                if not v:
                    die("%s:%d: empty value" % (path, lineno))
                rows.append((code, lang, field, v, lineno, opts))
    return rows


# ---- regular inflections ---------------------------------------------------
_RU_HUSH = set("жшчщц")
_RU_VELAR = set("гкхжшчщ")


def ru_cases(name):
    """Case forms of a single-word Russian country name (nominative given).
    Indeclinable names (ending in о, е, и, у, ю, э) get none."""
    if " " in name or "-" in name or not re.fullmatch(r"[А-ЯЁ][а-яё]+", name):
        return []
    if name.endswith("ия"):
        s = name[:-2]
        return [s + "ии", s + "ию", s + "ией"]
    if name.endswith("я"):
        s = name[:-1]
        return [s + "и", s + "е", s + "ю", s + "ей"]
    if name.endswith("а"):
        s = name[:-1]
        gen = s + ("и" if s[-1] in _RU_VELAR else "ы")
        ins = s + ("ей" if s[-1] in _RU_HUSH else "ой")
        return [gen, s + "е", s + "у", ins]
    if name.endswith("й"):
        s = name[:-1]
        return [s + "я", s + "ю", s + "ем", s + "е"]
    if name.endswith("ь"):
        s = name[:-1]
        return [s + "я", s + "ю", s + "ем", s + "е"]
    if name[-1] in "оеиуюэы":
        return []
    ins = "ем" if name[-1] in _RU_HUSH else "ом"
    return [name + "а", name + "у", name + ins, name + "е"]


def de_genitive(name):
    """German genitive -s of a single-word neuter/masculine country name
    ("Pakistans", "Chinas"); feminine names (-ei, -e) and names ending in a
    sibilant take none."""
    if " " in name or "-" in name or not re.fullmatch(r"[A-ZÄÖÜ][a-zäöüß]+", name):
        return []
    if name.endswith(("s", "x", "z", "ß", "e", "ei")):
        return []
    return [name + "s"]


def _script_name(ch):
    """Unicode script of a letter, from its character name (LATIN, CYRILLIC,
    SINHALA...): finer than _script, which groups the alphabets."""
    try:
        s = unicodedata.name(ch).split()[0]
    except ValueError:
        return "?"
    return "CJK" if s in ("HIRAGANA", "KATAKANA") else s  # Japanese mixes them


def catalogue_script(texts):
    """The script most letters of one catalogue's translations are in."""
    count = {}
    for t in texts:
        for ch in t:
            if ch.isalpha():
                s = _script_name(ch)
                count[s] = count.get(s, 0) + 1
    return max(sorted(count), key=lambda s: count[s]) if count else None


def translations(iso, die):
    """{code: {key: (text, set(langs), field, bare, head)}} from every
    catalogue. head: the text only ever came as the head of an index form.
    bare: the text only ever came split out of a parenthesis, a qualifier
    ("Palestyna (państwo)") more often than a name."""
    out = {}
    heads = {}
    junk = []
    mos = sorted(glob.glob(os.path.join(LOCALEDIR, "*", "LC_MESSAGES", "iso_3166-1.mo")))
    for mo in mos:
        loc = mo.split(os.sep)[-3]
        lang = re.split(r"[_@]", loc)[0]
        if lang == "en":
            continue
        with open(mo, "rb") as f:
            tr = gettext.GNUTranslations(f)
        got = []
        for c in iso:
            for field in ("name", "official_name", "common_name"):
                v = c.get(field)
                if not v:
                    continue
                t = tr.gettext(v).strip()
                if not t:
                    continue  # a name written as in English still gets the
                    # language's inflections (German "Pakistans")
                got.append((c["alpha_2"], field, t, t == v))
        script = catalogue_script(t for _, _, t, same in got if not same)
        for code, field, t, same in got:
            # a translation with no letter of the catalogue's script is a
            # catalogue error (si "cqDw" for Chad, legacy-font bytes), unless
            # it is the English name kept as is
            if (not same and script
                    and not any(ch.isalpha() and _script_name(ch) == script for ch in t)):
                junk.append("%s %r (%s): no letter of the catalogue's script (%s)"
                            % (code, t, lang, script))
                continue
            m = re.fullmatch(r"(.*?)\s*[(（](.*)[)）]", t)
            parts = [(m.group(1), False, False), (m.group(2), True, False)] if m else [(t, False, False)]
            # the head of an index form is the name the press uses (fr
            # "Russie, Fédération de": "Russie"; tr "Rusya Federasyonu" is
            # no index form): kept only if no other country has it
            # (i18n_aliases), so "Corée, République de" gives nothing
            m = re.fullmatch(r"([^,;()（）]+?)\s*[,;].*", t)
            if m:
                parts.append((m.group(1), False, True))
            for part, bare, head in parts:
                part = part.strip()
                if not part:
                    continue
                d = (heads if head else out).setdefault(code, {})
                k = key(part)
                if k in d:
                    d[k][1].add(lang)
                    if not bare:
                        d[k][3] = False
                else:
                    d[k] = [part, {lang}, field, bare, head]
    # a head only adds a name no catalogue gives in full: it never lends
    # its languages to a full name (cy "Korea" for KP stays a common word
    # in de although de's index form "Korea, Demokratische ..." heads so)
    for code, hd in heads.items():
        d = out.setdefault(code, {})
        for k, v in hd.items():
            if k not in d:
                d[k] = v
    return out, len(mos), junk


def note(langs):
    ls = sorted(langs)
    return " ".join(ls) if len(ls) <= 8 else " ".join(ls[:8]) + " +%d" % (len(ls) - 8)


def i18n_aliases(iso, base_keys, die, report):
    """Per country: [(text, opts, field, note)] to add after the English
    aliases. base_keys: {key: code} of the English data (names, aliases,
    demonyms). report(msg) is called once per skipped translation."""
    rows = read_tsv(I18N_TSV, die)
    codes = {c["alpha_2"] for c in iso}
    common = {key(v) for code, lang, f, v, _, _ in rows if f == "common"}
    drop = {(code, key(v)) for code, lang, f, v, _, _ in rows if f == "drop"}
    keep = {(code, key(v)) for code, lang, f, v, _, _ in rows if f == "keep"}
    for code, lang, f, v, ln, _ in rows:
        if code != "*" and code not in codes:
            die("countries_i18n.tsv:%d: %s is not an ISO 3166-1 alpha-2 code" % (ln, code))
    trans, n_catalogues, junk = translations(iso, die)
    for msg in junk:
        report(msg)
    words = common_words(die)
    en_words = english_words(die)
    others = other_watchlist_names("countries.yaml")

    cand = {}  # code -> {key: [text, langs, field, hand, opts]}
    bare = set()  # (code, key) only ever split out of a parenthesis
    heads = set()  # (code, key) only ever the head of an index form
    from_catalogue = {(code, k) for code, d in trans.items() for k in d}

    def qualifier(k, text):
        """A bare word split out of a parenthesis that is lower case or a
        dictionary word, in a script with case: a qualifier, not a name."""
        return (" " not in k and text[0].lower() != text[0].upper()
                and (k in words or text[0] != text[0].upper()))

    for code, d in trans.items():
        for k, (text, langs, field, is_bare, is_head) in d.items():
            cand.setdefault(code, {})[k] = [text, set(langs), "alias", False, ()]
            if is_bare:
                bare.add((code, k))
            if is_head:
                heads.add((code, k))
    # hand-kept rows
    for code, lang, f, v, ln, opts in rows:
        if f not in ("alias", "demonym"):
            continue
        d = cand.setdefault(code, {})
        k = key(v)
        if k in d:
            d[k][1].add(lang)
            d[k][3] = True
            d[k][4] = opts or d[k][4]
            heads.discard((code, k))
            if f == "demonym":
                d[k][2] = "demonym"
        else:
            d[k] = [v, {lang}, f, True, opts]

    # regular inflections of the translated and hand-kept names, for each
    # language the name is in (German "Russland", a hand-kept alias: "Russlands")
    for code, d in list(cand.items()):
        # a snapshot: the languages a form gets below do not inflect it again
        for k, text, langs, field in [(k, v[0], set(v[1]), v[2]) for k, v in d.items()]:
            if field != "alias" or ((code, k) in bare and qualifier(k, text)):
                continue
            if (code, k) in heads:
                continue  # de "Korea, Republik": no "Koreas" for one Korea
            forms = []
            # Russian hand rows list their cases already (and "-ей" of one
            # is not a nominative): only catalogue names get the rule
            if "ru" in langs and (code, k) in from_catalogue:
                forms += [(f, "ru") for f in ru_cases(text)]
            if "de" in langs:
                forms += [(f, "de") for f in de_genitive(text)]
            for f, lang in forms:
                fk = key(f)
                if fk not in d:
                    d[fk] = [f, {lang}, "alias", False, ()]
                else:
                    d[fk][1].add(lang)
                    heads.discard((code, fk))
    # a dropped catalogue error takes no name from another country, nor
    # does the head of an index form: a name two countries claim goes to
    # neither, unless only one claims it as more than an index head
    owners = {}
    full = {}
    for code, d in cand.items():
        for k in d:
            if (code, k) not in drop:
                owners.setdefault(k, set()).add(code)
                if (code, k) not in heads:
                    full.setdefault(k, set()).add(code)
    for k, codes in owners.items():
        if len(full.get(k, ())) == 1:
            owners[k] = full[k]

    # the heads that begin another country's name ("Îles Vierges")
    starts = {}
    head_keys = {k for _, k in heads}
    for code, d in cand.items():
        for k in d:
            words_k = k.split(" ")
            for n in range(1, len(words_k)):
                h = " ".join(words_k[:n])
                if h in head_keys:
                    starts.setdefault(h, set()).add(code)
    result = {}
    for code in sorted(cand):
        for k in sorted(cand[code], key=lambda x: (cand[code][x][0].casefold(), x)):
            text, langs, field, hand, opts = cand[code][k]
            why = None
            if k in base_keys:
                if base_keys[k] != code:
                    why = "is an alias of %s" % base_keys[k]
                else:
                    continue  # the English data has it already
            elif k in others:
                why = "is in %s" % others[k]
            elif (code, k) in drop:
                why = "dropped in countries_i18n.tsv"
            elif len(owners[k]) > 1 or code not in owners[k]:
                why = "shared by %s" % " ".join(sorted(owners[k]))
            elif k in common:
                why = "a common word"
            elif (not hand and (code, k) in bare and (code, k) not in keep
                  and qualifier(k, text)):
                why = ("a bare word from a parenthesis, lower case or in a dictionary"
                       " (a qualifier, not a name)")
            elif (not hand and (code, k) not in keep and cased_short(k)
                  and words.get(k, set()) - langs):
                why = "a common word in %s" % " ".join(sorted(words[k] - langs))
            elif (code, k) in drop:
                why = "dropped in countries_i18n.tsv"
            elif not hand and too_short(k):
                why = "too short"
            elif (code, k) in heads and k in en_words:
                # fr "Christmas, Île", "Norfolk, Île": an English word
                why = "the head of an index form and an English word"
            elif (code, k) in heads and starts.get(k, set()) - {code}:
                # fr "Îles Vierges, États-Unis" beside "Îles Vierges britanniques"
                why = "the head of an index form and the start of a name of %s" % (
                    " ".join(sorted(starts[k] - {code})))
            elif "," in text or ";" in text:
                why = "an index form"
            if why:
                report("%s %r (%s): %s" % (code, text, note(langs), why))
                continue
            result.setdefault(code, []).append((text, opts, field, note(langs)))
    return result, n_catalogues
