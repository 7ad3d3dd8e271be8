"""A quantile sketch that can merge, and also forget a value it was given.

Percentiles must merge across buckets and partitions (DDSketch does), and a late event can
change a value already counted, so the sketch must also remove. The log-spaced key mapping
and its 1 % relative-accuracy guarantee come from `ddsketch`; the store is a sparse
key -> count map that supports decrements and serialises to JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from ddsketch.mapping import LogarithmicMapping

RELATIVE_ACCURACY = 0.01
_MAPPING = LogarithmicMapping(RELATIVE_ACCURACY)
# Values below this count as zero: durations under a millisecond are not distinguishable.
_ZERO_THRESHOLD = 1e-3
_ZERO_KEY = "z"


class Sketch:
    """Sparse DDSketch of non-negative values with add, remove and merge."""

    __slots__ = ("_bins",)

    def __init__(self, bins: Mapping[str, int] | None = None) -> None:
        self._bins: dict[str, int] = dict(bins or {})

    @staticmethod
    def _key(value: float) -> str:
        if value < 0 or math.isnan(value):
            raise ValueError(f"sketch values must be non-negative numbers, got {value!r}")
        if value < _ZERO_THRESHOLD:
            return _ZERO_KEY
        return str(_MAPPING.key(value))

    def add(self, value: float, count: int = 1) -> None:
        key = self._key(value)
        new = self._bins.get(key, 0) + count
        if new < 0:
            raise ValueError("sketch count would go negative: removing a value never added")
        if new == 0:
            self._bins.pop(key, None)
        else:
            self._bins[key] = new

    def merge(self, other: Sketch) -> None:
        for key, count in other._bins.items():
            self._bins[key] = self._bins.get(key, 0) + count

    @property
    def is_empty(self) -> bool:
        return not self._bins  # zero counts are never stored

    @property
    def count(self) -> int:
        return sum(self._bins.values())

    def quantile(self, q: float) -> float | None:
        """Estimate of the value of rank floor(q * (n - 1)), within the relative accuracy."""
        n = self.count
        if n == 0:
            return None
        rank = math.floor(q * (n - 1))
        seen = self._bins.get(_ZERO_KEY, 0)
        if seen > rank:
            return 0.0
        for key in sorted(int(k) for k in self._bins if k != _ZERO_KEY):
            seen += self._bins[str(key)]
            if seen > rank:
                return float(_MAPPING.value(key))
        raise AssertionError("unreachable: rank below total count")

    def items(self) -> list[tuple[float, int]]:
        """(representative value, count) of every bin, in value order: the sketch's data
        quantised to its relative accuracy (the effect bootstrap resamples these)."""
        zero = [(0.0, self._bins[_ZERO_KEY])] if _ZERO_KEY in self._bins else []
        keys = sorted(int(k) for k in self._bins if k != _ZERO_KEY)
        return zero + [(float(_MAPPING.value(k)), self._bins[str(k)]) for k in keys]

    def to_dict(self) -> dict[str, int]:
        return dict(self._bins)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sketch) and self._bins == other._bins

    def __repr__(self) -> str:
        return f"Sketch(n={self.count})"
