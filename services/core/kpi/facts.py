"""Facts: what one ticket, call or survey contributes to the KPIs.

The engine derives an entity's facts from its events; when a new event changes them, the
difference (facts removed, facts added) is applied to the aggregates. Facts are small,
hashable and JSON-friendly so an entity's current facts can live in its state row.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FactKind(StrEnum):
    TICKET_CREATED = "ticket_created"
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    TICKET_FCR = "ticket_fcr"
    CALL_OUTCOME = "call_outcome"
    HANDLED_CALL = "handled_call"
    CALL_FCR = "call_fcr"
    SURVEY = "survey"


@dataclass(frozen=True, slots=True)
class Fact:
    """One measured item.

    `at` is the attribution instant (epoch seconds). `value` is the measured duration or
    score; `ok` is the item's pass/fail flag (within target, answered within threshold,
    FCR credited, top-2-box); `flag` is a second flag where a kind needs one (answered vs
    abandoned for call outcomes, short abandon). `dims` holds the item's breakdown slices,
    e.g. `("priority=high", "agent=A1")` (services/core/kpi/slices.py): part of the fact,
    so a retraction leaves exactly the slices its addition entered.
    """

    kind: FactKind
    at: float
    value: float = 0.0
    ok: bool = False
    flag: bool = False
    short: bool = False
    dims: tuple[str, ...] = ()

    def to_list(self) -> list[Any]:
        raw: list[Any] = [self.kind.value, self.at, self.value, self.ok, self.flag, self.short]
        if self.dims:  # rows without breakdowns keep their old, shorter form
            raw.append(list(self.dims))
        return raw

    @classmethod
    def from_list(cls, raw: list[Any]) -> Fact:
        kind, at, value, ok, flag, short = raw[:6]
        dims = tuple(raw[6]) if len(raw) > 6 else ()
        return cls(FactKind(kind), float(at), float(value), bool(ok), bool(flag), bool(short), dims)


def fact_difference(old: list[Fact], new: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """Multiset difference: (facts to retract, facts to add) to go from `old` to `new`."""
    remaining = list(new)
    retract: list[Fact] = []
    for fact in old:
        try:
            remaining.remove(fact)
        except ValueError:
            retract.append(fact)
    return retract, remaining
