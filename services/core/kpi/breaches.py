"""Breached tickets: the first responses and resolutions of a ticket that missed their target.

The monthly report lists the worst of them (docs/reports.md), long after the ticket's state
row has expired, so the worker saves them to PostgreSQL. The engine keeps each ticket's
current breaches in its entity row (key `br`), updated with the same retract-and-add
difference it applies to the buckets. That difference, not the ticket's current facts, is
what stays right after a tombstone (services/core/kpi/tombstones.py): a tombstone re-derives
only some of the ticket's facts, but the difference it gives equals the full history's. The
list rides along with the row through the changelog, so recovery and replays restore it
exactly as they restore the buckets (docs/architecture.md, "Recovery").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from services.core.kpi.entities import EntityEvent
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.params import ClockTargetName, MeasurementParams

# KPI name of a breach per fact kind, and the clock target it is judged against.
_KPI = {FactKind.FIRST_RESPONSE: "frt", FactKind.RESOLUTION: "resolution"}
_TARGET: dict[str, ClockTargetName] = {
    "frt": "frt_target_seconds",
    "resolution": "resolution_target_seconds",
}


@dataclass(frozen=True, slots=True)
class Breach:
    """One clock of a ticket over its target; `at` (the reply or resolution) names the cycle."""

    kpi: str
    at: float
    measured_seconds: float
    target_seconds: float
    priority: str

    @property
    def overrun_seconds(self) -> float:
        return self.measured_seconds - self.target_seconds

    def to_list(self) -> list[Any]:
        return [self.kpi, self.at, self.measured_seconds, self.target_seconds, self.priority]

    @classmethod
    def from_list(cls, raw: Sequence[Any]) -> Breach:
        kpi, at, measured, target, priority = raw
        return cls(str(kpi), float(at), float(measured), float(target), str(priority))


def ticket_priority(events: Sequence[EntityEvent]) -> str | None:
    """The priority the ticket was created with (the one its targets use), if created."""
    created = next((e for e in events if e["k"] == "ticket.created"), None)
    return None if created is None else str(created["priority"])


def breach_of(fact: Fact, priority: str, params: MeasurementParams) -> Breach | None:
    """The breach a fact records, or None if it is no clock fact or was within target."""
    kpi = _KPI.get(fact.kind)
    if kpi is None or fact.ok:
        return None
    # The target in effect at the fact's instant: the one entities.ticket_facts judged by.
    target = params.clock_target(_TARGET[kpi], priority, fact.at)
    return Breach(kpi, fact.at, fact.value, target, priority)


def updated(
    current: Iterable[Breach],
    retract: Iterable[Fact],
    add: Iterable[Fact],
    priority: str | None,
    params: MeasurementParams,
) -> list[Breach]:
    """`current` with the clock facts of `retract` removed and the breaches of `add` added.

    A retracted fact removes the breach of its KPI and instant whatever its value: a
    correction that brings the clock within target, or changes the overrun, replaces it.
    """
    gone = {(_KPI[f.kind], f.at) for f in retract if f.kind in _KPI}
    kept = {(b.kpi, b.at): b for b in current if (b.kpi, b.at) not in gone}
    if priority is not None:
        for fact in add:
            breach = breach_of(fact, priority, params)
            if breach is not None:
                kept[(breach.kpi, breach.at)] = breach
    return sorted(kept.values(), key=lambda b: (b.kpi, b.at))


def derived(facts: Iterable[Fact], priority: str | None, params: MeasurementParams) -> list[Breach]:
    """The breaches among a ticket's facts (rows saved before the engine kept `br`)."""
    return updated([], [], facts, priority, params)
