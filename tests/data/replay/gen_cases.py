#!/usr/bin/env python3
"""Regenerate the article files of the replay cases (NAME.jsonl).

The expected alerts (NAME.expect.jsonl) are written by hand from what each
case is meant to show; this script only produces the inputs, deterministically
(fixed seed), so that every article body is a distinct story (simhashes far
apart) unless a case copies one on purpose.

    python3 tests/data/replay/gen_cases.py   # from the source root
"""
import json
import os
import random
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = datetime(2024, 3, 1, 10, 0, 0, tzinfo=timezone.utc)
WORDS = (
    "market river school bridge council harvest railway festival museum "
    "hospital airport factory village stadium library election weather "
    "parliament highway province district mountain valley coast harbour "
    "journalist teacher farmer engineer student officer doctor driver "
    "morning evening night week month season report statement meeting "
    "convoy checkpoint compound building vehicle station office street"
).split()

rng = random.Random(20240301)


def story(country, extra=""):
    words = [rng.choice(WORDS) for _ in range(60)]
    return (f"An attack was reported in {country}. {extra} "
            + " ".join(words) + ".").replace("  ", " ")


def art(i, minutes, country, body=None, extra="", title=None):
    t = T0 + timedelta(minutes=minutes)
    return {
        "id": f"a{i}",
        "title": title or f"Attack reported in {country}",
        "body": body if body is not None else story(country, extra),
        "url": f"https://news.example.org/{i}",
        "source": "example-wire",
        "published_at": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def write(name, arts):
    with open(os.path.join(HERE, name + ".jsonl"), "w") as f:
        for a in arts:
            f.write(json.dumps(a, ensure_ascii=False) + "\n")


def quiet(i, minutes):
    """An article that counts for nothing (no topic): moves stream time."""
    t = T0 + timedelta(minutes=minutes)
    return {"id": f"q{i}", "title": "Weather", "body": "Rain is expected in the hills.",
            "published_at": t.strftime("%Y-%m-%dT%H:%M:%SZ")}


# A first spike fires (cold start: the baseline is the floor, 0.5).
write("spike_fires", [art(i, i, "Pakistan") for i in range(1, 4)])

# 12 articles in 12 minutes: medium at 3, high at 6, critical at 12.
write("escalates", [art(i, i, "Pakistan") for i in range(1, 13)])

# The spike ends when its bucket leaves the 1 h window (stream time 11:00).
write("resolves", [art(i, i, "Pakistan") for i in range(1, 4)] + [quiet(1, 59), quiet(2, 60)])

# Second burst 80 min after the first firing: inside the 2 h cooldown, no
# alert. Third burst after the cooldown: a new episode, a new alert_id (the
# first burst is now baseline: 3 per hour, so 9 are needed).
write("cooldown",
      [art(i, i, "Pakistan") for i in range(1, 4)]
      + [art(i, 76 + i, "Pakistan") for i in range(4, 7)]
      + [art(i, 120 + i, "Pakistan") for i in range(7, 13)])

# The same article delivered twice counts once.
a = [art(i, i, "Pakistan") for i in range(1, 4)]
write("exact_duplicate", [a[0], a[0], a[1], a[2]])

# A syndicated copy (same body, other id and source) counts once and is
# listed with duplicate_of.
a = [art(i, i, "Pakistan") for i in range(1, 4)]
copy = dict(a[1], id="a2-copy", source="other-wire", url="https://other.example.org/2",
            published_at=(T0 + timedelta(minutes=2, seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ"))
write("near_duplicate", [a[0], a[1], copy, a[2]])

# An article 20 min late (beyond the 5 min grace) is still counted; one
# three days old is older than every ring: reported as late_dropped.
write("late_event", [art(1, 0, "Pakistan"), art(2, 30, "Pakistan"), art(3, 10, "Pakistan"),
                     art(4, -3 * 24 * 60, "Pakistan")])

# Steady news is not a spike: three a hour for 24 h. Only the cold start
# fires; once the first hours are baseline the ratio stays near 1.
steady = []
n = 0
for h in range(24):
    for k in range(3):
        n += 1
        steady.append(art(n, h * 60 + k * 20, "Pakistan"))
write("steady_baseline", steady)

# Keys are independent: Pakistan fires, Afghanistan does not until an
# article naming both gives it its third.
write("per_country_keys",
      [art(1, 1, "Pakistan"), art(2, 2, "Afghanistan"), art(3, 3, "Pakistan"),
       art(4, 4, "Afghanistan"), art(5, 5, "Pakistan"),
       art(6, 6, "Afghanistan", extra="Officials in Pakistan condemned it.")])

# max_keys 2 (eviction.yaml): the Pakistan key is evicted when India
# arrives, so its three articles never meet in one window.
write("eviction",
      [art(1, 1, "Pakistan"), art(2, 2, "Pakistan"), art(3, 3, "Afghanistan"),
       art(4, 4, "Afghanistan"), art(5, 5, "India"), art(6, 6, "Pakistan")])

# Country x group: three articles naming Pakistan and the TTP fire both rules.
write("cross_product",
      [art(i, i, "Pakistan", extra="The TTP claimed it.") for i in range(1, 4)])

# Places count for their country (places_count_for_country, on by
# default): five attacks in Peshawar, Quetta and Bannu that never say
# "Pakistan" fire attack_by_country for Pakistan at the third.
cities = ["Peshawar", "Quetta", "Bannu", "Quetta", "Peshawar"]
write("places_count_for_country", [art(i + 1, i + 1, c) for i, c in enumerate(cities)])

# ... and the same feed with the option off (places_count_off.yaml) fires
# nothing: no article names a country.
write("places_count_off", [art(i + 1, i + 1, c) for i, c in enumerate(cities)])

# An article naming Pakistan and two of its cities counts once for
# Pakistan: two such articles stay under min_count 3.
both = "Pakistan, Peshawar and Quetta"
write("places_count_once", [art(1, 1, both), art(2, 2, both)])

# Officials found by their role count as officials (officials_by_role.yaml,
# by: [official]): three reports name Iran's foreign minister in three
# ways ("Antony J. Blinken"-style initials fold away); the key is his folded
# name.
forms = ["Iranian Foreign Minister Abbas Araghchi held talks in Muscat.",
         "Abbas Araghchi, Iran's foreign minister, said the talks were useful.",
         "Foreign Minister Abbas A. Araghchi left the talks early. Araghchi said nothing."]
write("officials_by_role", [art(i + 1, i + 1, "Oman", body=b, title="Talks in Oman")
                            for i, b in enumerate(forms)])

# Issue 9: an RSS feed whose bodies are all one teaser. Six distinct
# attack stories must count as six, not as one story and four near
# duplicates: the near-duplicate simhash reads the title with the lead, and
# from the fourth article on the teaser is the source's boilerplate
# (article.boilerplate_min_articles) and blanked. Firing at the third
# article, like spike_fires, escalated to high at the sixth.
teaser = "Read the full story on our website."
titles = ["Bomb attack on a police post in Pakistan",
          "Pakistan: gunmen attack a bus near the border",
          "Attack on a market leaves Pakistan town in shock",
          "Pakistan says rocket attack hit an army camp",
          "Overnight attack on a checkpoint in Pakistan",
          "Second attack in a week on Pakistan rail line"]
feed = []
for i, ti in enumerate(titles):
    a = art(i + 1, i + 1, "Pakistan", body=teaser, title=ti)
    a["source"] = "rss.example"
    feed.append(a)
write("boilerplate_teaser", feed)

# One article 25 min late that names two countries makes two late count
# events: the out-of-order warning counts it as one article.
write("late_articles", [art(1, 0, "Pakistan"), art(2, 30, "Pakistan"),
                        art(3, 5, "Pakistan and in Afghanistan",
                            title="Attack reported in Pakistan and Afghanistan")])

# news-please records (preset): one without date_publish, downloaded eight
# months later, must not move stream time (0 late, the spike fires).
np = []
for i in range(1, 5):
    a = art(i, i * 5, "Pakistan")
    np.append({"url": a["url"], "title": a["title"], "maintext": a["body"],
               "source_domain": "news.example.org",
               "date_publish": a["published_at"].replace("T", " ").rstrip("Z"),
               "date_download": "2024-11-20 10:00:00"})
np[2]["date_publish"] = None
write("news_please_undated", np)
