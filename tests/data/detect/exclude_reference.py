#!/usr/bin/env python3
"""Reference values of the baseline with past alert episodes left out, for
tests/unit/test_detect_exclude.c.

Each case is a key's hourly baseline (72 buckets, bucket 0 at hour `shift`
of a UTC day, so bucket i is hour (i + shift) mod 24), the buckets of its past
episodes, and optionally an episode firing now (from a bucket on); the
window is the hour right after the baseline. Computed here from the formulas
of docs/alerts.md ("Past alert episodes"), independently of
src/detect_season.c and src/window.c, with the tails from scipy.stats:

    flat:     E = the episodes' buckets, used when the buckets outside E are
              more than those in it and at least one (the window is one
              bucket); expected = mean of the counts outside E
    daily:    per phase, E's buckets of the phase are left out when they are
              fewer than its other buckets; flat = mean over the buckets kept;
              rate(ph) = (sum(ph) + 2 flat) / (n(ph) + 2); expected =
              rate(phase of the window, hour shift)
    phi:      max(1, sum of squared residuals of the kept buckets around the
              flat mean (flat) or their phase rate (daily) / (kept - 1) /
              their mean)
    tails:    P(X >= count): scipy.stats.poisson.sf(count - 1, expected) and
              scipy.stats.nbinom.sf(count - 1, expected / (phi - 1), 1 / phi)

Writes tests/data/detect/exclude_baseline.tsv (one case a line):

    name season shift count firing_from episodes counts expected phi p_poisson p_negbin

where firing_from is -1 for none, episodes is "a-b,c-d" (bucket ranges,
inclusive; "-" for none) and counts the 72 counts joined by commas.

    python3 tests/data/detect/exclude_reference.py > tests/data/detect/exclude_baseline.tsv
"""
import random

from scipy import stats

N = 72
PRIOR = 2.0
FLOOR = 1e-3


def model(season, shift, counts, excluded):
    if season == "none":
        clean = [i for i in range(N) if not excluded[i]]
        n_ex = N - len(clean)
        use = clean if n_ex > 0 and len(clean) > n_ex and len(clean) >= 1 else list(range(N))
        mean = sum(counts[i] for i in use) / len(use)
        fit = {i: mean for i in use}
        expected = mean
    else:
        keep = []
        for ph in range(24):
            idx = [i for i in range(N) if (i + shift) % 24 == ph]
            ex = [i for i in idx if excluded[i]]
            cl = [i for i in idx if not excluded[i]]
            keep += cl if 0 < len(ex) < len(cl) else idx
        keep.sort()
        flat = sum(counts[i] for i in keep) / len(keep)
        rate = []
        for ph in range(24):
            kk = [i for i in keep if (i + shift) % 24 == ph]
            rate.append((sum(counts[i] for i in kk) + PRIOR * flat) / (len(kk) + PRIOR))
        fit = {i: rate[(i + shift) % 24] for i in keep}
        use = keep
        expected = rate[(N + shift) % 24]
    m = sum(counts[i] for i in use) / len(use)
    phi = 1.0
    if len(use) >= 2 and m > 0:
        ss = sum((counts[i] - fit[i]) ** 2 for i in use)
        phi = max(1.0, ss / (len(use) - 1) / m)
    return max(expected, FLOOR), phi


def tails(count, mu, phi):
    pp = stats.poisson.sf(count - 1, mu)
    if phi > 1 + 1e-9:
        pn = stats.nbinom.sf(count - 1, mu / (phi - 1), 1 / phi)
    else:
        pn = pp
    return pp, pn


def case(name, season, count, counts, episodes, firing_from=-1, shift=0):
    excluded = [False] * N
    for a, b in episodes:
        for i in range(a, b + 1):
            excluded[i] = True
    if firing_from >= 0:
        for i in range(firing_from, N):
            excluded[i] = True
    mu, phi = model(season, shift, counts, excluded)
    pp, pn = tails(count, mu, phi)
    eps = ",".join("%d-%d" % e for e in episodes) or "-"
    print("%s\t%s\t%d\t%d\t%d\t%s\t%s\t%.17g\t%.17g\t%.17g\t%.17g" % (
        name, season, shift, count, firing_from, eps, ",".join(map(str, counts)), mu, phi, pp, pn))


rng = random.Random(13)
quiet = [rng.choice((0, 0, 0, 1, 3)) for _ in range(N)]
story = list(quiet)
for i in range(30, 40):
    story[i] += 12
daily = [(rng.randint(6, 10) if 7 <= i % 24 < 10 else rng.choice((0, 0, 1, 2))) for i in range(N)]
# the same cycle seen from 08:00 (shift 8): the window is a morning hour
daily8 = [(rng.randint(6, 10) if 7 <= (i + 8) % 24 < 10 else rng.choice((0, 0, 1, 2)))
          for i in range(N)]
mornings8 = [(0, 1), (23, 25), (47, 49)]  # 07:00-09:59 of each day (day 1 from 08:00)
daily_story = list(daily)
for i in range(26, 30):  # a night story on day 2, 02:00-05:00
    daily_story[i] += 9

print("# name\tseason\tshift\tcount\tfiring_from\tepisodes\tcounts\texpected\tphi\tp_poisson\tp_negbin")
case("flat_no_episode", "none", 6, story, [])
case("flat_story", "none", 6, story, [(30, 39)])
case("flat_two_stories", "none", 5, story, [(30, 39), (50, 52)])
case("flat_mostly_episodes", "none", 6, story, [(0, 40)])  # more in E than out: kept
case("flat_firing_now", "none", 6, story, [(30, 39)], firing_from=66)
case("daily_no_episode", "daily", 7, daily_story, [])
case("daily_night_story", "daily", 7, daily_story, [(26, 29)])
# the window at 08:00 after three mornings: their 08:00 buckets are 0, 24, 48
case("daily_peak_fired_twice", "daily", 12, daily8, mornings8[:2], shift=8)  # 2 of 3: kept
case("daily_peak_fired_once", "daily", 12, daily8, mornings8[1:2], shift=8)  # 1 of 3: left out
case("daily_peak_fired_thrice", "daily", 12, daily8, mornings8 + [(71, 71)], shift=8)
case("daily_firing_now", "daily", 4, daily_story, [(26, 29)], firing_from=68)
