"""Poisson variates in O(1) each, for the measure-effect bootstrap (services/core/kpi/effect.py).

The standard library has no Poisson sampler. Small means use Knuth's product of uniforms;
from 10 on, Hörmann's PTRS transformed rejection ("The transformed rejection method for
generating Poisson random variables", 1993), the method numpy uses; both are exact.
"""

from __future__ import annotations

import math
import random


def poisson(lam: float, rng: random.Random) -> int:
    """One Poisson(`lam`) variate drawn with `rng`."""
    if lam < 10:
        limit, k, product = math.exp(-lam), 0, rng.random()
        while product > limit:
            k += 1
            product *= rng.random()
        return k
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        accept = -lam + k * loglam - math.lgamma(k + 1)
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= accept:
            return k
