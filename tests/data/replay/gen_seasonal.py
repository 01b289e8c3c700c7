#!/usr/bin/env python3
"""Write seasonal_daily.jsonl: a three-week back-test with a strong daily cycle.

A topic that is busy every morning (a daily bulletin: 6-10 articles an hour
07:00-10:00 UTC) and quiet otherwise (an article every 3 hours or so), for
21 days, with one real spike at night: 6 articles between 02:00 and 02:40 on
day 18. Deterministic (fixed seed); every body is a distinct story, so no
article is a near duplicate of another.

With `seasonality: daily` (seasonal_daily.yaml) the only alerts are the
first morning (no history yet: cold start) and the night spike; with the
flat baseline (`seasonality: none`) the mornings fire too
(tests/cli/seasonal.sh measures both).

    python3 tests/data/replay/gen_seasonal.py   # from the source root
"""
import json
import os
import random
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = datetime(2024, 4, 1, 0, 0, 0, tzinfo=timezone.utc)
WORDS = (
    "market river school bridge council harvest railway festival museum "
    "hospital airport factory village stadium library election weather "
    "parliament highway province district mountain valley coast harbour "
    "journalist teacher farmer engineer student officer doctor driver "
    "morning evening night week month season report statement meeting "
    "convoy checkpoint compound building vehicle station office street"
).split()
rng = random.Random(20240401)

times = []
for day in range(21):
    base = T0 + timedelta(days=day)
    for hour in (7, 8, 9):  # the morning bulletin
        for _ in range(rng.randint(6, 10)):
            times.append(base + timedelta(hours=hour, minutes=rng.randint(0, 59),
                                          seconds=rng.randint(0, 59)))
    t = base + timedelta(minutes=rng.randint(0, 60))
    while t < base + timedelta(days=1):  # the rest of the day: one every ~3 h
        if not 7 <= t.hour < 10:
            times.append(t)
        t += timedelta(minutes=rng.randint(120, 240))
spike = T0 + timedelta(days=17, hours=2)
times += [spike + timedelta(minutes=8 * i) for i in range(6)]
times.sort()

with open(os.path.join(HERE, "seasonal_daily.jsonl"), "w") as f:
    for i, t in enumerate(times):
        body = ("An attack was reported in Pakistan. "
                + " ".join(rng.choice(WORDS) for _ in range(30)) + ".")
        f.write(json.dumps({
            "id": "s%d" % i,
            "title": "Attack reported in Pakistan",
            "body": body,
            "url": "https://news.example.org/s%d" % i,
            "source": "example-wire",
            "published_at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }) + "\n")
