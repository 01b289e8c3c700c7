#!/usr/bin/env python3
"""Reference values of the baseline with past alert episodes left out, for
tests/unit/test_detect_exclude.c (checked against this file by ctest
detect_reference: tests/data/detect/check_reference.sh).

Each case is a key's hourly baseline (n buckets, 72 unless said, bucket 0
starting `shift` hours after 2023-11-15T00:00:00Z), the buckets of its past
episodes, and optionally an episode firing now (from a bucket on); the
window is the `window_h` hours right after the baseline. The first counted
event is `first_min` minutes into bucket 0, so bucket 0 was observed for
(60 - first_min) / 60 of its length (its weight w; every other bucket 1).
Computed here from the formulas of docs/alerts.md ("Seasonal baselines",
"Past alert episodes"), independently of src/detect_season.c and
src/window.c, with the phase of an hour taken from its calendar date
(datetime: the UTC hour of the day, or hour of the week from Thursday
00:00, the epoch's weekday) and the tails from scipy.stats:

    flat:     E = the episodes' buckets, left out when the observed time
              outside E is more than the time in E and at least one window;
              expected = window x (counts outside E) / max(window, observed
              time outside E)  (all buckets when E is not left out)
    seasonal: per phase (hour of day for daily, of week for weekly), E's
              buckets of the phase are left out when their observed time is
              less than that of its other buckets; flat = counts / observed
              time of the buckets kept; rate(ph) = (sum(ph) + 2 flat) /
              (n(ph) + 2), n(ph) the observed time of the phase's kept
              buckets; expected = sum of rate(phase) over the window's hours
    phi:      with W the kept buckets' observed time and m = their counts /
              W: max(1, sum over kept buckets of (count - w x fit)^2 /
              (W - 1) / m), fit = m (flat) or the bucket's phase rate; 1
              when W < 2 or m = 0
    tails:    P(X >= count): scipy.stats.poisson.sf(count - 1, expected) and
              scipy.stats.nbinom.sf(count - 1, expected / (phi - 1), 1 / phi)

Writes tests/data/detect/exclude_baseline.tsv (one case a line):

    name season shift window_h first_min count firing_from episodes counts
    expected phi p_poisson p_negbin

where firing_from is -1 for none, episodes is "a-b,c-d" (bucket ranges,
inclusive; "-" for none) and counts the n counts joined by commas.

    python3 tests/data/detect/exclude_reference.py > tests/data/detect/exclude_baseline.tsv
"""
import datetime
import random

from scipy import stats

PRIOR = 2.0
FLOOR = 1e-3
DAY0 = datetime.datetime(2023, 11, 15, tzinfo=datetime.timezone.utc)


def phase(season, shift, i):
    t = DAY0 + datetime.timedelta(hours=shift + i)
    if season == "daily":
        return t.hour
    return ((t.weekday() - 3) % 7) * 24 + t.hour  # weekday(): Monday 0, Thursday 3


def model(season, shift, counts, excluded, window, w):
    n = len(counts)
    if season == "none":
        t_ex = sum(w[i] for i in range(n) if excluded[i])
        t_clean = sum(w) - t_ex
        if t_ex > 0 and t_clean > t_ex and t_clean >= window:
            use = [i for i in range(n) if not excluded[i]]
        else:
            use = list(range(n))
        t_use = sum(w[i] for i in use)
        expected = sum(counts[i] for i in use) * window / max(window, t_use)
        mean = sum(counts[i] for i in use) / t_use
        fit = {i: mean for i in use}
    else:
        ph_of = [phase(season, shift, i) for i in range(n + window)]
        keep = []
        for ph in sorted(set(ph_of[:n])):
            idx = [i for i in range(n) if ph_of[i] == ph]
            t_ex = sum(w[i] for i in idx if excluded[i])
            t_cl = sum(w[i] for i in idx if not excluded[i])
            keep += [i for i in idx if not excluded[i]] if 0 < t_ex < t_cl else idx
        keep.sort()
        flat = sum(counts[i] for i in keep) / max(window, sum(w[i] for i in keep))
        rate = {}
        for ph in set(ph_of):
            kk = [i for i in keep if ph_of[i] == ph]
            rate[ph] = (sum(counts[i] for i in kk) + PRIOR * flat) / (sum(w[i] for i in kk) + PRIOR)
        fit = {i: rate[ph_of[i]] for i in keep}
        use = keep
        expected = sum(rate[ph_of[n + h]] for h in range(window))
    t_use = sum(w[i] for i in use)
    m = sum(counts[i] for i in use) / t_use
    phi = 1.0
    if t_use >= 2 and m > 0:
        ss = sum((counts[i] - w[i] * fit[i]) ** 2 for i in use)
        phi = max(1.0, ss / (t_use - 1) / m)
    return max(expected, FLOOR), phi


def tails(count, mu, phi):
    pp = stats.poisson.sf(count - 1, mu)
    if phi > 1 + 1e-9:
        pn = stats.nbinom.sf(count - 1, mu / (phi - 1), 1 / phi)
    else:
        pn = pp
    return pp, pn


def case(name, season, count, counts, episodes, firing_from=-1, shift=0, window=1, first_min=0):
    n = len(counts)
    excluded = [False] * n
    for a, b in episodes:
        for i in range(a, b + 1):
            excluded[i] = True
    if firing_from >= 0:
        for i in range(firing_from, n):
            excluded[i] = True
    w = [1.0] * n
    w[0] = (60 - first_min) / 60
    mu, phi = model(season, shift, counts, excluded, window, w)
    pp, pn = tails(count, mu, phi)
    eps = ",".join("%d-%d" % e for e in episodes) or "-"
    print("%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%.17g\t%.17g\t%.17g\t%.17g" % (
        name, season, shift, window, first_min, count, firing_from, eps,
        ",".join(map(str, counts)), mu, phi, pp, pn))


rng = random.Random(13)
quiet = [rng.choice((0, 0, 0, 1, 3)) for _ in range(72)]
story = list(quiet)
for i in range(30, 40):
    story[i] += 12
daily = [(rng.randint(6, 10) if 7 <= i % 24 < 10 else rng.choice((0, 0, 1, 2))) for i in range(72)]
# the same cycle seen from 08:00 (shift 8): the window is a morning hour
daily8 = [(rng.randint(6, 10) if 7 <= (i + 8) % 24 < 10 else rng.choice((0, 0, 1, 2)))
          for i in range(72)]
mornings8 = [(0, 1), (23, 25), (47, 49)]  # 07:00-09:59 of each day (day 1 from 08:00)
daily_story = list(daily)
for i in range(26, 30):  # a night story on day 2, 02:00-05:00
    daily_story[i] += 9

print("# name\tseason\tshift\twindow_h\tfirst_min\tcount\tfiring_from\tepisodes\tcounts\texpected\tphi\tp_poisson\tp_negbin")
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
# a 6 h window: flat (6 x the mean) and daily over the night phases 00:00-05:59
case("flat_6h_story", "none", 20, story, [(30, 39)], window=6)
case("daily_6h_night_story", "daily", 14, daily_story, [(26, 29)], window=6)
# the first event 30 / 40 / 20 minutes into bucket 0: the bucket's empty start
# was not observed (weight 1/2, 1/3, 2/3), not a stretch of zeros; that event
# is one more article in bucket 0
story1 = [story[0] + 1] + story[1:]
daily_story1 = [daily_story[0] + 1] + daily_story[1:]
case("flat_mid_bucket_story", "none", 6, story1, [(30, 39)], first_min=30)
case("daily_mid_bucket", "daily", 7, daily_story1, [], first_min=40)
case("daily_6h_mid_bucket_story", "daily", 14, daily_story1, [(26, 29)], window=6, first_min=20)
# the first event in the last minute of its bucket, with less than a window
# of history: the mean is over at least one window, as the flat mean's, not
# count / (1/60)
case("daily_first_minute_59", "daily", 3, [1], [], first_min=59)
case("daily_6h_first_minute_59", "daily", 4, [1, 2], [], window=6, first_min=59)
# weekly: three weeks from Monday 08:00 (shift 5 d 8 h), window Monday 08:00;
# weekdays busy 08:00-17:59, nights and weekends quiet, a Monday-morning
# peak 08:00-09:59 every week, a story on the Wednesday of week 2
weekly_shift = 5 * 24 + 8
weekly = []
for i in range(3 * 168):
    t = DAY0 + datetime.timedelta(hours=weekly_shift + i)
    if t.weekday() < 5 and 8 <= t.hour < 18:
        c = rng.randint(2, 5) + (rng.randint(5, 8) if t.weekday() == 0 and t.hour < 10 else 0)
    else:
        c = rng.choice((0, 0, 0, 1))
    weekly.append(c)
weekly_story = list(weekly)
for i in range(168 + 50, 168 + 56):  # Wednesday of week 2, 10:00-15:59
    weekly_story[i] += 10
mondays = [(0, 1), (168, 169), (336, 337)]
case("weekly_no_episode", "weekly", 14, weekly_story, [], shift=weekly_shift)
case("weekly_story", "weekly", 14, weekly_story, [(218, 223)], shift=weekly_shift)
case("weekly_peak_fired_twice", "weekly", 14, weekly_story, mondays[:2] + [(218, 223)],
     shift=weekly_shift)  # 2 of 3 Mondays: kept
case("weekly_peak_fired_once", "weekly", 14, weekly_story, mondays[1:2] + [(218, 223)],
     shift=weekly_shift)  # 1 of 3: left out
case("weekly_6h_mid_bucket_firing_now", "weekly", 40, weekly_story, [(218, 223)],
     firing_from=500, shift=weekly_shift, window=6, first_min=45)
