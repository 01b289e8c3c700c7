#!/usr/bin/env python3
"""Write big_story.jsonl: one big story, then a smaller second one.

A quiet key (an attack in Pakistan reported every ~4 hours) for 10 days,
with a big story on day 3: 12 articles an hour for 24 hours (288). On day 6,
two days after the big story ended, a second, smaller story: 7 articles
within an hour. Deterministic (fixed seed); every body is a distinct text,
so no article is a near duplicate of another.

With the default `exclude_alerts: true` (big_story.yaml) both stories fire:
the big story's buckets stay out of the baseline, so the second one is
judged against the quiet days. With `exclude_alerts: false` the big story
raises the 7 d baseline to ~2.4 articles an hour and the second story
(7 articles, ratio ~2.9 < min_ratio 3) is missed; the big story even
resolves while it goes on, its own articles in its baseline, and fires again
as a second episode (tests/cli/exclude_alerts.sh).

    python3 tests/data/replay/gen_big_story.py   # from the source root
"""
import json
import os
import random
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = datetime(2024, 5, 1, 0, 0, 0, tzinfo=timezone.utc)
WORDS = (
    "market river school bridge council harvest railway festival museum "
    "hospital airport factory village stadium library election weather "
    "parliament highway province district mountain valley coast harbour "
    "journalist teacher farmer engineer student officer doctor driver "
    "morning evening night week month season report statement meeting "
    "convoy checkpoint compound building vehicle station office street"
).split()
rng = random.Random(20240501)

times = []
t = T0 + timedelta(minutes=rng.randint(0, 60))
while t < T0 + timedelta(days=10):  # the quiet key: one every ~4 h
    times.append(t)
    t += timedelta(minutes=rng.randint(180, 300))
big = T0 + timedelta(days=2, hours=6)  # day 3, 06:00 to 06:00 the next day
for h in range(24):
    for i in range(12):
        times.append(big + timedelta(hours=h, minutes=5 * i, seconds=rng.randint(0, 59)))
second = T0 + timedelta(days=5, hours=14)  # day 6, 14:00
times += [second + timedelta(minutes=7 * i, seconds=rng.randint(0, 30)) for i in range(7)]
times.sort()

with open(os.path.join(HERE, "big_story.jsonl"), "w") as f:
    for i, t in enumerate(times):
        body = ("An attack was reported in Pakistan. "
                + " ".join(rng.choice(WORDS) for _ in range(30)) + ".")
        f.write(json.dumps({
            "id": "b%d" % i,
            "title": "Attack reported in Pakistan",
            "body": body,
            "url": "https://news.example.org/b%d" % i,
            "source": "example-wire",
            "published_at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }) + "\n")
