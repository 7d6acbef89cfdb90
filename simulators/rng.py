"""Deterministic randomness: named child generators and cheap pre-drawn noise.

`random.Random(str)` seeds through SHA-512, so streams are stable across processes and do not
depend on hash randomisation. Every consumer asks for its own named stream, so adding a new
consumer never shifts the numbers another one draws.
"""

from __future__ import annotations

import itertools
import math
import random

_TABLE_SIZE = 1 << 14


def child(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


class NoiseTable:
    """Pre-drawn standard-normal noise, white and smoothed (AR(1)), sliced per series.

    Drawing a Gaussian per point dominates the cost of long series; slicing a shared table
    at a random offset keeps series independent enough while costing one list copy. The
    table itself is the same for every scenario (built once per process); only the offsets
    depend on the scenario's seed.
    """

    def __init__(self) -> None:
        white = _standard_normal(random.Random("noise-table"), _TABLE_SIZE)
        a = 0.85
        b = math.sqrt(1 - a * a)
        smooth = list(itertools.accumulate(white, lambda x, z: a * x + b * z, initial=0.0))[1:]  # AR(1)
        self._white = white + white
        self.normal_sample = white[:4096]
        # Per-scale factor tables for picking single draws without calling gauss(); built only for
        # scales that are asked for more draws than the table holds (long scenarios), because a
        # preset needs a few hundred draws per scale and building a table costs 16,384.
        self._factors: dict[tuple[float, bool], list[float]] = {}
        self._demand: dict[tuple[float, bool], int] = {}
        self._smooth = smooth + smooth

    def factors(self, rng: random.Random, n: int, scale: float, smooth: bool = False) -> list[float]:
        """Multiplicative noise `1 + scale * z` (floored at 0.05)."""
        key = (round(scale, 9), smooth)
        table = self._factors.get(key)
        if table is None:
            src = self._smooth if smooth else self._white
            demand = self._demand[key] = self._demand.get(key, 0) + n
            if demand <= _TABLE_SIZE:
                return [f if (f := 1.0 + scale * z) > 0.05 else 0.05 for z in self._take(src, rng, n)]
            half = [f if (f := 1.0 + scale * z) > 0.05 else 0.05 for z in src[:_TABLE_SIZE]]
            table = self._factors[key] = half + half
        return self._take(table, rng, n)

    def white(self, rng: random.Random, n: int) -> list[float]:
        return self._take(self._white, rng, n)

    def smooth(self, rng: random.Random, n: int) -> list[float]:
        return self._take(self._smooth, rng, n)

    @staticmethod
    def _take(table: list[float], rng: random.Random, n: int) -> list[float]:
        offset = rng.randrange(_TABLE_SIZE)
        if n <= _TABLE_SIZE:
            return table[offset:offset + n]
        reps = n // _TABLE_SIZE + 2
        return (table[:_TABLE_SIZE] * reps)[offset:offset + n]


def _standard_normal(rng: random.Random, n: int) -> list[float]:
    """`n` (even) draws of `rng.gauss(0, 1)`, the same numbers in the same order: its Box-Muller
    pairs, computed in one pass instead of one method call per draw."""
    u = [rng.random() for _ in range(n)]
    out: list[float] = []
    for angle, radius in zip(u[::2], u[1::2]):
        angle *= math.tau
        g = math.sqrt(-2.0 * math.log(1.0 - radius))
        out += (math.cos(angle) * g, math.sin(angle) * g)
    return out


_TABLE: NoiseTable | None = None


def noise_table() -> NoiseTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = NoiseTable()
    return _TABLE


# random.Random.randint/choice are pure-Python and dominate hot loops; these are not.
def randint(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def pick(rng: random.Random, seq):
    return seq[int(rng.random() * len(seq))]


def poisson_count(rng: random.Random, mean: float) -> int:
    """A cheap count with the right mean: floor plus a Bernoulli on the fraction."""
    if mean <= 0:
        return 0
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)
