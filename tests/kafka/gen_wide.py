#!/usr/bin/env python3
"""gen_wide.py - articles that each name many countries, for many count
events per article (tests/kafka/test_svc_split.sh).

    gen_wide.py N START_ISO

Writes N JSON lines, one article each, published 20 s apart from START_ISO.
Each names 24 of the countries below in its own order, with an attack
sentence, so it gives one count event per country and rule; every article
has a source of its own and its sentences differ (numbers, order), so no
boilerplate is learnt and no two are near duplicates. Written for the test.
"""
import datetime as dt
import json
import random
import sys

COUNTRIES = [
    "Pakistan", "Afghanistan", "Nigeria", "Mali", "Somalia", "Syria", "Yemen", "Sudan",
    "Colombia", "Mexico", "Kenya", "Iraq", "Ethiopia", "Niger", "Burkina Faso", "Myanmar",
    "Haiti", "Libya", "Cameroon", "Mozambique", "Lebanon", "Iran", "Bangladesh", "Chad",
    "Peru", "Ecuador", "Uganda", "Tanzania", "Ghana", "Senegal", "Algeria", "Tunisia",
]
VERBS = ["met", "spoke with", "called", "wrote to", "briefed", "hosted"]


def main():
    n = int(sys.argv[1])
    start = dt.datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00"))
    rnd = random.Random(7)
    for i in range(n):
        cs = rnd.sample(COUNTRIES, 24)
        parts = []
        for k in range(0, 24, 3):
            a, b, c = cs[k:k + 3]
            parts.append(f"Envoys of {a} {rnd.choice(VERBS)} officials of {b} and {c} "
                         f"about {rnd.randint(2, 999)} pending cases.")
        body = (f"Gunmen attacked a convoy near the border on day {i}, killing "
                f"{rnd.randint(2, 40)} people. " + " ".join(parts))
        t = start + dt.timedelta(seconds=20 * i)
        print(json.dumps({
            "id": f"wide-{i:05d}", "title": f"Regional round-up number {i}",
            "body": body, "source": f"wide-source-{i:05d}",
            "published_at": t.strftime("%Y-%m-%dT%H:%M:%SZ")}))


if __name__ == "__main__":
    main()
