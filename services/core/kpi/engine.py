"""The streaming KPI engine of one event family: state in a key-value store, no I/O.

The store is a Faust table in production and a dict in tests. Exactly-once state under
at-least-once delivery rests on two facts (docs/architecture.md, "Recovery"):

* every row records the source offset it last applied, and a replayed event only touches
  rows that have not applied it yet;
* all rows written for one source partition go to one changelog partition, in order, so a
  crash loses a suffix of writes, never a write in the middle. Bucket rows are written
  before the entity row, so an entity row that applied an offset proves its buckets did.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from services.core.agreements import MeasurementParams
from services.core.events import EventBase
from services.core.kpi import keys
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.entities import (
    EntityEvent,
    compact,
    customer_call_facts,
    event_order,
    survey_facts,
    ticket_facts,
)
from services.core.kpi.facts import Fact, fact_difference
from services.core.kpi.retention import Retention
from services.core.kpi.windows import buckets_for
from services.core.topics import Family, event_key

FactsFn = Callable[[Sequence[EntityEvent], MeasurementParams], list[Fact]]
FACTS_OF: dict[Family, FactsFn] = {
    Family.TICKETS: ticket_facts,
    Family.CALLS: customer_call_facts,
    Family.SURVEYS: survey_facts,
}


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REPLAYED = "replayed"
    DUPLICATE = "duplicate"
    LATE = "late"
    UNKNOWN_AGREEMENT = "unknown_agreement"


@dataclass
class Engine:
    """Applies one family's events to the store; `dirty` lists rows the sink must save."""

    family: Family
    store: MutableMapping[str, Any]
    agreements: Mapping[str, MeasurementParams]
    retention: Retention
    dirty: set[str] = field(default_factory=set)
    # Bucket rows dropped from memory before the sink saved their last value.
    evicted: dict[str, Any] = field(default_factory=dict)
    # Called with (agreement id, entity events, fact) for each newly counted fact: lets the
    # worker feed histograms without the engine knowing about Prometheus.
    on_fact: Callable[[str, Sequence[EntityEvent], Fact], None] | None = None
    _expiry: dict[int, list[tuple[float, str]]] = field(default_factory=dict)

    def process(self, event: EventBase, partition: int, offset: int) -> Outcome:
        """Apply one event read from (`partition`, `offset`) of the family's topic."""
        params = self.agreements.get(event.agreement_id)
        if params is None:
            return Outcome.UNKNOWN_AGREEMENT
        ekey = keys.entity(event_key(event))
        entity = self.store.get(ekey)
        if entity is not None and entity["o"] >= offset:
            self._advance(event, partition, offset)
            return Outcome.REPLAYED
        wm_row = self.store.get(keys.watermark(partition))
        watermark = wm_row["t"] if wm_row else None
        at = event.occurred_at_epoch
        if watermark is not None and at < watermark - self.retention.lateness_seconds:
            return Outcome.LATE
        events: list[EntityEvent] = entity["ev"] if entity else []
        if any(e["id"] == event.event_id for e in events):
            return Outcome.DUPLICATE
        events = sorted([*events, compact(event)], key=event_order)
        old = [Fact.from_list(f) for f in entity["facts"]] if entity else []
        new = FACTS_OF[self.family](events, params)
        retract, add = fact_difference(old, new)
        self._apply_facts(params, partition, offset, retract, add, watermark)
        if self.on_fact is not None:
            for fact in add:
                self.on_fact(event.agreement_id, events, fact)
        expires = self.retention.entity_expiry(self.family, events, new, params)
        self.store[ekey] = {
            "p": partition,
            "o": offset,
            "ev": events,
            "facts": [f.to_list() for f in new],
            "x": expires,
        }
        heapq.heappush(self._expiry.setdefault(partition, []), (expires, ekey))
        if self.family is Family.TICKETS:
            self.dirty.add(ekey)  # the sink keeps the open-tickets view from ticket rows
        self._advance(event, partition, offset)
        return Outcome.ACCEPTED

    def _apply_facts(
        self,
        params: MeasurementParams,
        partition: int,
        offset: int,
        retract: list[Fact],
        add: list[Fact],
        watermark: float | None,
    ) -> None:
        changes: dict[str, Aggregate] = {}
        for facts, sign in ((retract, -1), (add, 1)):
            for fact in facts:
                for granularity, start in buckets_for(fact.at, params.zone):
                    if not self.retention.bucket_writable(granularity, start, watermark):
                        continue
                    bkey = keys.bucket(params.agreement_id, partition, granularity, start)
                    if bkey not in changes:
                        row = self.store.get(bkey)
                        if row is not None and row["o"] >= offset:
                            continue  # applied before a crash; the replay must not repeat it
                        changes[bkey] = Aggregate.from_dict(row["agg"]) if row else Aggregate()
                    changes[bkey].apply(fact, sign)
        for bkey, agg in changes.items():
            self.store[bkey] = {"p": partition, "o": offset, "agg": agg.to_dict()}
            self.dirty.add(bkey)

    def _advance(self, event: EventBase, partition: int, offset: int) -> None:
        """Move the partition's watermark and the agreement's stream time, then expire."""
        at = event.occurred_at_epoch
        for key in (keys.watermark(partition), keys.position(event.agreement_id, partition)):
            row = self.store.get(key)
            if row is None or (at > row["t"] and row["o"] < offset):
                self.store[key] = {"p": partition, "o": offset, "t": at}
                self.dirty.add(key)
        self._expire(partition, offset)

    def _expire(self, partition: int, offset: int) -> None:
        wm_row = self.store.get(keys.watermark(partition))
        if wm_row is None:
            return
        now = wm_row["t"]
        heap = self._expiry.get(partition, [])
        while heap and heap[0][0] < now:
            _, key = heapq.heappop(heap)
            row = self.store.get(key)
            if row is not None and row.get("x", float("inf")) < now:
                del self.store[key]
        for key in self.retention.expired_buckets(self.store, partition, now):
            if key in self.dirty:
                # Not saved yet: keep its final value for the sink, or it would be lost.
                self.evicted[key] = self.store[key]
                self.dirty.discard(key)
            del self.store[key]

    def rebuild_index(self, partitions: set[int]) -> int:
        """After recovery: re-index expiry and mark every owned row dirty; returns rows seen."""
        seen = 0
        for key, row in list(self.store.items()):
            if not isinstance(row, dict) or row.get("p") not in partitions:
                continue
            seen += 1
            if keys.is_entity(key):
                heapq.heappush(self._expiry.setdefault(row["p"], []), (row["x"], key))
                if self.family is Family.TICKETS:
                    self.dirty.add(key)
            else:
                self.dirty.add(key)
        return seen
