"""Mergeable per-bucket aggregates: counts, sums and sketches behind every figure.

An aggregate holds what the facts of one bucket (agreement x family x partition x
granularity x bucket start) add up to. Aggregates merge by addition, so windows are unions
of buckets and the API merges partitions. Applying a fact with sign -1 retracts it exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.sketch import Sketch

SUM_FIELDS = ("frt_seconds", "resolution_seconds", "asa_seconds", "aht_seconds", "survey_score")


class Aggregate:
    """Counts, sums and sketches of one bucket; zero-valued fields are not stored."""

    __slots__ = ("counts", "sketches", "sums")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.sums: dict[str, float] = {}
        self.sketches: dict[str, Sketch] = {}

    def _count(self, name: str, sign: int) -> None:
        value = self.counts.get(name, 0) + sign
        if value:
            self.counts[name] = value
        else:
            self.counts.pop(name, None)

    def _sum(self, name: str, amount: float) -> None:
        self.sums[name] = self.sums.get(name, 0.0) + amount

    def _sketch(self, name: str, value: float, sign: int) -> None:
        sketch = self.sketches.get(name)
        if sketch is None:
            sketch = self.sketches[name] = Sketch()
        sketch.add(value, sign)
        if sketch.is_empty:
            del self.sketches[name]

    def _duration(self, prefix: str, fact: Fact, sign: int, within: str | None) -> None:
        self._count(f"{prefix}_n", sign)
        if within and fact.ok:
            self._count(within, sign)
        self._sum(f"{prefix}_seconds", sign * fact.value)
        self._sketch(prefix, fact.value, sign)

    def apply(self, fact: Fact, sign: int = 1) -> None:
        """Add (sign=1) or retract (sign=-1) one fact."""
        kind = fact.kind
        if kind is FactKind.TICKET_CREATED:
            self._count("tickets_created", sign)
        elif kind is FactKind.FIRST_RESPONSE:
            self._duration("frt", fact, sign, "frt_within_target")
        elif kind is FactKind.RESOLUTION:
            self._duration("resolution", fact, sign, "resolution_within_target")
        elif kind is FactKind.HANDLED_CALL:
            self._duration("aht", fact, sign, None)
        elif kind is FactKind.TICKET_FCR:
            self._count("fcr_tickets_resolved", sign)
            if fact.ok:
                self._count("fcr_tickets_credited", sign)
        elif kind is FactKind.CALL_FCR:
            self._count("fcr_calls_handled", sign)
            if fact.ok:
                self._count("fcr_calls_credited", sign)
        elif kind is FactKind.CALL_OUTCOME:
            self._call_outcome(fact, sign)
        elif kind is FactKind.SURVEY:
            self._count("surveys_n", sign)
            if fact.ok:
                self._count("surveys_top2", sign)
            self._sum("survey_score", sign * fact.value)

    def _call_outcome(self, fact: Fact, sign: int) -> None:
        answered = fact.flag
        if fact.short:
            self._count("calls_short_abandoned", sign)
        elif answered:
            self._count("calls_answered", sign)
            self._sum("asa_seconds", sign * fact.value)
            if fact.ok:
                self._count("calls_answered_within_threshold", sign)
        else:
            self._count("calls_abandoned", sign)

    def merge(self, other: Aggregate) -> None:
        for name, count in other.counts.items():
            self._count(name, count)
        for name, amount in other.sums.items():
            self._sum(name, amount)
        for name, sketch in other.sketches.items():
            self.sketches.setdefault(name, Sketch()).merge(sketch)

    @property
    def is_empty(self) -> bool:
        return not self.counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "sums": {k: v for k, v in self.sums.items() if k in SUM_FIELDS},
            "sketches": {k: s.to_dict() for k, s in self.sketches.items()},
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Aggregate:
        agg = cls()
        agg.counts = {k: int(v) for k, v in raw.get("counts", {}).items()}
        agg.sums = {k: float(v) for k, v in raw.get("sums", {}).items()}
        agg.sketches = {k: Sketch(v) for k, v in raw.get("sketches", {}).items()}
        return agg


def merge_all(aggregates: Iterable[Aggregate]) -> Aggregate:
    total = Aggregate()
    for agg in aggregates:
        total.merge(agg)
    return total
