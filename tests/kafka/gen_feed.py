#!/usr/bin/env python3
"""gen_feed.py - a deterministic multi-day article feed with distinct bursts.

    gen_feed.py [--days 4] [--bursts 24] [--seed 11] [--rate 18] [--start ISO]

Writes JSON lines (one article each, sorted by published_at) to stdout and a
summary to stderr. Background: `rate` articles per hour of unrelated news and
a low, steady level of security news about many countries (what the spike
rules take as their baseline). Bursts: `bursts` episodes, each one
(country, topic) pair never used by another burst, of 9 to 14 reports within
two to three hours, spread over the days so that they do not overlap.

Every sentence is put together from parts (actors, numbers, places, times,
word order), so no two articles are near duplicates of each other (a burst
counts as many articles as it has), and no story sentence is repeated word
for word in four articles of one source (the background security news
comes from 30 outlets): the per-source boilerplate model (docs/article.md)
has nothing to learn, so the articles' tags and near-duplicate fingerprints
do not depend on which articles an instance saw before them, and a service
spread over partitions and instances must give replay's alerts exactly.
(Repeated text would be blanked from the articles after its fourth
sighting in whatever order each instance reads them; docs/operations.md.) The texts are written for this generator; the
country names are facts (they are what the shipped watchlist knows).

Used by tests/kafka/test_backlog.sh: the same file goes to `newsradar replay`
and, spread over several input partitions, to `newsradar run`.
"""
import argparse
import datetime as dt
import json
import random
import sys

COUNTRIES = [
    "Pakistan", "Afghanistan", "Nigeria", "Mali", "Somalia", "Syria", "Yemen", "Sudan",
    "Colombia", "Mexico", "Kenya", "Iraq", "Ethiopia", "Niger", "Burkina Faso", "Myanmar",
    "Haiti", "Libya", "Cameroon", "Mozambique", "Lebanon", "Iran", "Bangladesh", "Chad",
]

PLACES = ["the capital", "a northern district", "a border town", "the eastern province",
          "a southern city", "a market town", "the provincial capital", "a mountain valley"]

NUMS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "eleven", "twelve"]

# When a sentence says it happened: with the outlets below, a story
# sentence is rarely repeated word for word by one source, as in real copy
# (the boilerplate model, docs/article.md, learns what a source repeats).
WHEN = [f"{p}{d}" for d in ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                            "Sunday"] for p in ["on ", "early on ", "late on "]] + [
    "overnight", "this week", "at the weekend", "earlier in the day"]

# The low, steady security news comes from many outlets, not one.
BG_SOURCES = [f"{a} {b}" for a in ["North", "South", "East", "West", "Coast", "Valley"]
              for b in ["Herald", "Courier", "Post", "Observer", "Tribune"]]


def when(s, r):
    """s with a time phrase before its final full stop."""
    return s[:-1] + " " + r.choice(WHEN) + "." if s.endswith(".") else s

# Per topic: sentence builders for a burst report. Each takes (country, rng)
# and returns one sentence; a report uses three or four of them.
def _attack(c, r):
    return r.choice([
        f"Gunmen attacked a police post in {r.choice(PLACES)} of {c}, killing {r.choice(NUMS)} officers, officials said.",
        f"A roadside bomb struck a military convoy in {c} on the {r.choice(['main', 'old', 'coastal', 'river'])} road.",
        f"A suicide bombing near a {r.choice(['market', 'checkpoint', 'mosque', 'bus station'])} in {c} left {r.choice(NUMS)} people dead.",
        f"Militants claimed responsibility for the attack in {c} in a statement sent to reporters.",
        f"Security forces in {c} said {r.choice(NUMS)} soldiers were wounded when their outpost came under fire.",
        f"Hospital staff in {r.choice(PLACES)} of {c} said they had received {r.choice(NUMS)} injured after the blast.",
        f"The interior ministry of {c} condemned the bombing and ordered an inquiry.",
    ])


def _closure(c, r):
    return r.choice([
        f"Authorities in {c} closed the border crossing with its neighbour, stranding {r.choice(NUMS)} hundred trucks.",
        f"The main frontier crossing of {c} remained closed for a {r.choice(['second', 'third', 'fourth'])} day, traders said.",
        f"Officials in {c} sealed the border after a dispute over {r.choice(['customs fees', 'visa rules', 'security checks'])}.",
        f"Trade through the border posts of {c} came to a halt as the closure continued.",
        f"Travellers were stuck at the crossing point on the {c} side while the border was shut.",
        f"A spokesman in {c} said the border would remain closed until further notice.",
    ])


def _protest(c, r):
    return r.choice([
        f"Thousands of protesters marched in {r.choice(PLACES)} of {c} against rising fuel prices.",
        f"Police in {c} fired tear gas at demonstrators who blocked a {r.choice(['highway', 'bridge', 'square'])}.",
        f"Opposition supporters in {c} staged a rally and demanded the release of detained leaders.",
        f"Protests spread to {r.choice(NUMS)} cities in {c} on the {r.choice(['second', 'third', 'fourth'])} day of unrest.",
        f"Students in {c} joined the demonstrations, chanting slogans outside the parliament.",
        f"Shops closed in {r.choice(PLACES)} of {c} as protesters took to the streets.",
    ])


def _kidnap(c, r):
    return r.choice([
        f"Armed men kidnapped {r.choice(NUMS)} aid workers in {r.choice(PLACES)} of {c}, their employer said.",
        f"Kidnappers seized a group of travellers on a road in {c} and demanded a ransom.",
        f"Police in {c} said {r.choice(NUMS)} engineers had been abducted from a construction site.",
        f"Families of the hostages abducted in {c} appealed for their release.",
        f"The abduction of {r.choice(NUMS)} students in {c} was the latest in a wave of kidnappings.",
    ])


def _operation(c, r):
    return r.choice([
        f"The army of {c} launched a military operation against militant hideouts in {r.choice(PLACES)}.",
        f"Troops in {c} killed {r.choice(NUMS)} insurgents during a counter-terrorism operation, the military said.",
        f"Security forces in {c} conducted an offensive backed by helicopter gunships.",
        f"The operation in {c} entered its {r.choice(['second', 'third', 'fourth'])} day with a curfew in force.",
        f"Soldiers in {c} cleared {r.choice(NUMS)} villages during the security operation.",
    ])


TOPICS = {"attack": _attack, "closure": _closure, "protest": _protest,
          "kidnap": _kidnap, "operation": _operation}

TITLES = {
    "attack": ["Deadly attack in {c}", "{c}: bombing kills {n}", "Militants strike in {c}",
               "Attack on security forces in {c}", "Blast hits {c}"],
    "closure": ["{c} closes border crossing", "Border with {c} stays shut",
                "{c} seals frontier", "Trucks stranded as {c} border closed"],
    "protest": ["Protests in {c}", "{c}: police clash with protesters",
                "Demonstrations spread across {c}", "Rally in {c} turns tense"],
    "kidnap": ["Kidnapping in {c}", "{c}: aid workers abducted", "Ransom demanded in {c}",
               "Abductions rise in {c}"],
    "operation": ["{c} army launches operation", "Offensive in {c}",
                  "{c} troops kill insurgents", "Military operation in {c}"],
}

FILLER = [
    "The {w} index rose by {n} percent in early trading.",
    "Weather services forecast {w} conditions for the coming {n} days.",
    "The central bank kept its {w} rate at {n} basis points above the floor.",
    "A new {w} festival opened to {n} thousand visitors.",
    "The ministry published figures on {w} exports for {n} sectors.",
    "Engineers finished work on a {w} bridge {n} days ahead of schedule.",
    "The football league announced a {w} schedule of {n} rounds for the season.",
    "Researchers presented a study of {n} farms using {w} methods.",
]
WORDS = ["regional", "national", "coastal", "urban", "solar", "digital", "rural", "annual",
         "technology", "textile", "grain", "tourism", "mild", "cold", "dry", "wet"]


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(rng, topic, country, k):
    n = rng.randint(3, 4)
    sents = []
    while len(sents) < n:
        s = TOPICS[topic](country, rng)
        if s not in sents:
            sents.append(s)
    title = rng.choice(TITLES[topic]).format(c=country, n=rng.choice(NUMS))
    return title, " ".join(when(s, rng) for s in sents)


def filler(rng):
    return " ".join(when(rng.choice(FILLER).format(w=rng.choice(WORDS), n=rng.randint(1, 99)), rng)
                    for _ in range(rng.randint(2, 4)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--bursts", type=int, default=24)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--rate", type=float, default=18.0, help="background articles per hour")
    ap.add_argument("--start", default="2026-05-04T00:00:00Z")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    t0 = dt.datetime.strptime(a.start, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.timezone.utc).timestamp()
    span = a.days * 86400
    arts = []
    seq = 0

    def add(t, title, body, src):
        nonlocal seq
        seq += 1
        arts.append((t, seq, {"id": f"gf-{seq:06d}", "title": title, "body": body,
                              "url": f"https://example.org/gen/{seq}", "source": src,
                              "language": "en", "published_at": iso(t)}))

    # background: unrelated news, and now and then a security report about
    # a random country (the baseline the bursts stand out from)
    n_bg = int(a.rate * 24 * a.days)
    for _ in range(n_bg):
        t = t0 + rng.uniform(0, span)
        if rng.random() < 0.12:
            topic = rng.choice(sorted(TOPICS))
            c = rng.choice(COUNTRIES)
            title, body = report(rng, topic, c, 0)
            src = rng.choice(BG_SOURCES)
            add(t, title, body + " " + filler(rng), src)
        else:
            add(t, rng.choice(WORDS).capitalize() + " news roundup", filler(rng), "Daily Example")

    # bursts: distinct (country, topic) pairs in distinct time slots; the
    # first day is left to the baseline
    pairs = [(c, tp) for c in COUNTRIES for tp in sorted(TOPICS)]
    rng.shuffle(pairs)
    pairs = pairs[:a.bursts]
    first = t0 + 86400 * 0.75
    slot = (t0 + span - 4 * 3600 - first) / max(1, a.bursts)
    for i, (c, tp) in enumerate(pairs):
        start = first + i * slot + rng.uniform(0, slot * 0.3)
        n = rng.randint(9, 14)
        dur = rng.uniform(2, 3) * 3600
        for k in range(n):
            t = start + dur * (k / n) + rng.uniform(0, dur / n * 0.8)
            title, body = report(rng, tp, c, k)
            src = rng.choice(["Example Wire", "Sample Times", "Demo Press"])
            add(t, title, body, src)

    arts.sort(key=lambda x: (x[0], x[1]))
    out = sys.stdout
    for _, _, art in arts:
        out.write(json.dumps(art, ensure_ascii=False) + "\n")
    print(f"gen_feed: {len(arts)} articles over {a.days} days, {len(pairs)} bursts", file=sys.stderr)


if __name__ == "__main__":
    main()
