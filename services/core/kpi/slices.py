"""Breakdowns: which slice (dimension = value) of each dimension a fact is counted in.

Why here and not in the facts: the facts of an entity stay what docs/kpis.md defines; a
`Slicer` labels them afterwards with `Fact.dims`, and the engine counts a labelled fact in
the bucket of every slice it names as well as in the totals. The labels are part of the
fact, so a retraction leaves exactly the slices its addition entered, even when the team
mapping has changed since (docs/kpis.md, "Breakdowns").

Dimensions apply to families: tickets by `priority`, `channel`, `agent`, `team`; calls by
`queue`, `agent`, `team`; surveys by none. An item that no agent handled is in agent and
team `none`; an agent that no team lists is in team `unassigned`. Each agreement keeps at
most `max_values` values per dimension (per source partition): later values go to `other`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.core.contract.events import (
    CallAnswered,
    CallOffered,
    EventBase,
    TicketCreated,
    TicketReplied,
    TicketResolved,
)
from services.core.contract.topics import Family
from services.core.kpi.entities import EntityEvent, compact
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.params import MeasurementParams

NONE, OTHER, UNASSIGNED = "none", "other", "unassigned"
DIMENSIONS = ("priority", "channel", "queue", "agent", "team")
FAMILY_DIMENSIONS: dict[Family, tuple[str, ...]] = {
    Family.TICKETS: ("priority", "channel", "agent", "team"),
    Family.CALLS: ("queue", "agent", "team"),
    Family.SURVEYS: (),
}
# Slices are kept in hour and month buckets: the 24 h and 7 d windows, day steps and months
# need no minute buckets (60 times the memory), and a quarter is its three months merged
# (services/core/kpi/slice_windows.py), which saves a third of the slice writes.
SLICE_GRANULARITIES = frozenset({"hour", "month"})
RESERVED = frozenset({NONE, OTHER, UNASSIGNED})


def values_key(agreement_id: str, partition: int, dimension: str) -> str:
    """Store row of the values a partition admitted for one agreement's dimension."""
    return f"v|{agreement_id}|{partition}|{dimension}"


def sliced_buckets(
    buckets: Sequence[tuple[str, float]], fact: Fact
) -> Iterator[tuple[str, float, str]]:
    """(granularity, start, slice) of every bucket `fact` counts in; slice "" is the totals."""
    for granularity, start in buckets:
        yield granularity, start, ""
        if fact.dims and granularity in SLICE_GRANULARITIES:
            for slice_ in fact.dims:
                yield granularity, start, slice_


def extra_fields(event: EventBase) -> EntityEvent:
    """The event fields breakdowns need beyond `entities.compact`."""
    if isinstance(event, TicketCreated):
        return {"channel": event.channel.value}
    if isinstance(event, TicketReplied | TicketResolved | CallAnswered) and event.agent_id:
        return {"aid": event.agent_id}
    if isinstance(event, CallOffered):
        return {"queue": event.queue}
    return {}


def ticket_labels(events: Sequence[EntityEvent], facts: Sequence[Fact]) -> list[dict[str, str]]:
    """Per fact of one ticket: priority, channel and agent (docs/kpis.md, "Breakdowns")."""
    created = next((e for e in events if e["k"] == "ticket.created"), None)
    if created is None:
        return [{} for _ in facts]
    base = {"priority": str(created["priority"]), "channel": str(created.get("channel", NONE))}
    replies = [e for e in events if e["k"] == "ticket.replied" and e["agent"]]
    responder = str(replies[0].get("aid", NONE)) if replies else NONE
    resolvers, resolved = [], False  # the effective resolutions, in the facts' order
    for e in events:
        if e["k"] == "ticket.resolved" and not resolved:
            resolvers.append(str(e.get("aid", NONE)))
            resolved = True
        elif e["k"] == "ticket.reopened" and resolved:
            resolved = False
    next_resolver = iter(resolvers)
    labels = []
    for fact in facts:
        agent = NONE
        if fact.kind is FactKind.FIRST_RESPONSE:
            agent = responder
        elif fact.kind is FactKind.RESOLUTION:
            agent = next(next_resolver, NONE)
        elif fact.kind is FactKind.TICKET_FCR:
            agent = resolvers[0] if resolvers else NONE
        labels.append({**base, "agent": agent})
    return labels


def call_labels(events: Sequence[EntityEvent], facts: Sequence[Fact]) -> list[dict[str, str]]:
    """Per fact of one customer's calls: its call's queue and agent.

    A fact is matched to its call by kind and instant (the offer for an outcome, the
    completion for AHT and call FCR), not by its place in the list, so the labels do not
    depend on the order `entities.customer_call_facts` lists facts in.
    """
    calls: dict[str, list[EntityEvent]] = {}
    for e in events:
        calls.setdefault(e["call"], []).append(e)
    outcomes: dict[float, list[dict[str, str]]] = {}
    completions: dict[float, list[dict[str, str]]] = {}
    for call_events in calls.values():
        offered = next((e for e in call_events if e["k"] == "call.offered"), None)
        answered = next((e for e in call_events if e["k"] == "call.answered"), None)
        queue = str(offered.get("queue", NONE)) if offered else NONE
        agent = str(answered.get("aid", NONE)) if answered else NONE
        if offered is not None:
            after = call_events[call_events.index(offered) + 1 :]
            outcome = next(
                (e for e in after if e["k"] in ("call.answered", "call.abandoned")), None
            )
            if outcome is not None:
                who = str(outcome.get("aid", NONE)) if outcome["k"] == "call.answered" else NONE
                outcomes.setdefault(offered["t"], []).append({"queue": queue, "agent": who})
        for e in call_events:
            if e["k"] == "call.completed":
                completions.setdefault(e["t"], []).append({"queue": queue, "agent": agent})
    taken: dict[tuple[FactKind, float], int] = {}
    labels: list[dict[str, str]] = []
    for fact in facts:
        pool = outcomes if fact.kind is FactKind.CALL_OUTCOME else completions
        candidates = pool.get(fact.at, [])
        n = taken.get((fact.kind, fact.at), 0)
        taken[(fact.kind, fact.at)] = n + 1
        labels.append(dict(candidates[n]) if n < len(candidates) else {})
    return labels


@dataclass
class Slicer:
    """Labels facts with their slices, admitting at most `max_values` values per dimension."""

    max_values: int = 100
    _teams: dict[str, tuple[Mapping[str, Sequence[str]], dict[str, str]]] = field(
        default_factory=dict, repr=False
    )

    def compact(self, event: EventBase) -> EntityEvent:
        """`entities.compact` plus the fields the labels need."""
        return compact(event) | extra_fields(event)

    def team_of(self, params: MeasurementParams, agent: str) -> str:
        if agent == NONE:
            return NONE
        cached = self._teams.get(params.agreement_id)
        if cached is None or cached[0] is not params.teams:
            members = {a: team for team, agents in params.teams.items() for a in agents}
            cached = self._teams[params.agreement_id] = (params.teams, members)
        return cached[1].get(agent, UNASSIGNED)

    def label(
        self,
        family: Family,
        events: Sequence[EntityEvent],
        facts: list[Fact],
        params: MeasurementParams,
        rows: MutableMapping[str, Any],
        partition: int,
        offset: int,
    ) -> list[Fact]:
        """`facts` with their `dims`; admits new values in `rows` (staged with the batch)."""
        dimensions = FAMILY_DIMENSIONS[family]
        if not dimensions or not facts:
            return facts
        raw = (
            ticket_labels(events, facts) if family is Family.TICKETS else call_labels(events, facts)
        )
        labelled = []
        admitted: dict[tuple[str, str], str] = {}  # an entity's facts share most values
        for fact, label in zip(facts, raw, strict=True):
            if not label:
                labelled.append(fact)
                continue
            label["team"] = self.team_of(params, label["agent"])
            dims = []
            for d in dimensions:
                slice_ = admitted.get((d, label[d]))
                if slice_ is None:
                    value = self._admit(rows, params.agreement_id, partition, offset, d, label[d])
                    slice_ = admitted[(d, label[d])] = f"{d}={value}"
                dims.append(slice_)
            # The constructor, not dataclasses.replace: this runs for every fact of a batch.
            f = fact
            labelled.append(Fact(f.kind, f.at, f.value, f.ok, f.flag, f.short, tuple(dims)))
        return labelled

    def _admit(
        self,
        rows: MutableMapping[str, Any],
        agreement_id: str,
        partition: int,
        offset: int,
        dimension: str,
        value: str,
    ) -> str:
        if value in RESERVED:
            return value
        key = values_key(agreement_id, partition, dimension)
        row = rows.get(key)
        admitted: list[str] = row["vals"] if row else []
        if value in admitted:
            return value
        if len(admitted) >= self.max_values:
            return OTHER
        rows[key] = {"p": partition, "o": offset, "vals": [*admitted, value]}
        return value
