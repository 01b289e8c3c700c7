#!/usr/bin/env python3
"""Reference values of the negative-binomial tail for test_detect_negbin.c.

P(X >= k) for X ~ NB with mean mu and variance phi * mu, computed here
independently of src/detect.c: by summing the probability mass function
directly from k upwards (log-gamma terms, until they stop mattering), not by
the incomplete beta function's continued fraction that the C code uses.

    python3 tests/data/detect/negbin_reference.py > tests/data/detect/negbin_tail.tsv
"""
import math


def nb_tail(k, mu, phi):
    p = 1.0 / phi            # success probability
    r = mu / (phi - 1.0)     # size
    q = 1.0 - p
    def logpmf(j):
        return (math.lgamma(j + r) - math.lgamma(r) - math.lgamma(j + 1)
                + r * math.log(p) + j * math.log(q))
    # sum from the tail's largest term outwards: terms fall monotonically
    # beyond the mode, so stop once they are below 1e-18 of the sum
    terms, j = [], k
    while True:
        t = math.exp(logpmf(j))
        terms.append(t)
        if j > mu * 4 + 50 and t < 1e-18 * math.fsum(terms):
            break
        j += 1
        if j > k + 10_000_000:
            break
    return math.fsum(terms)


print("# k\tmu\tphi\tP(X >= k)")
for mu in (0.5, 1.3, 4.0, 12.5, 60.0):
    for phi in (1.5, 3.0, 10.0):
        for mult in (1, 2, 4, 8):
            k = max(1, int(round(mu * mult)))
            print("%d\t%r\t%r\t%.17g" % (k, mu, phi, nb_tail(k, mu, phi)))
