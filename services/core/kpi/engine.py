"""The streaming KPI engine of one event family: state in a key-value store, no I/O.

The store is a Faust table in production and a dict in tests. Exactly-once state under
at-least-once delivery rests on two facts (docs/architecture.md, "Recovery"):

* every row records the source offset it last applied, and a replayed event only touches
  rows that have not applied it yet;
* all rows written for one source partition go to one changelog partition, in order, so a
  crash loses a suffix of writes, never a write in the middle. Bucket rows are written
  before the entity row, so an entity row that applied an offset proves its buckets did.

Events are staged in batches: `stage()` changes a write-behind view of the store, and
`write()` writes each changed row once, buckets first (services/core/kpi/write_behind.py).
The worker writes before it acknowledges the batch, so a committed offset still implies
durable writes; `process()` is one event staged and written.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
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
from services.core.kpi.slices import Slicer, sliced_buckets
from services.core.kpi.windows import buckets_for
from services.core.kpi.write_behind import WriteBehind
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
    # Bucket rows no window needs and no event may change any more. They stay in the store
    # until the sink has saved them (`release`): deleting first would lose their last value
    # from PostgreSQL if the worker died in between.
    expired: set[str] = field(default_factory=set)
    # Called with (agreement id, entity events, fact) for each newly counted fact: lets the
    # worker feed histograms without the engine knowing about Prometheus.
    on_fact: Callable[[str, Sequence[EntityEvent], Fact], None] | None = None
    # Labels facts with their breakdown slices (services/core/kpi/slices.py); None: totals only.
    slicer: Slicer | None = None
    _expiry: dict[int, list[tuple[float, str]]] = field(default_factory=dict)
    _rows: WriteBehind = field(init=False)

    def __post_init__(self) -> None:
        self._rows = WriteBehind(self.store, _encode_row)

    def process(self, event: EventBase, partition: int, offset: int) -> Outcome:
        """Apply one event read from (`partition`, `offset`) of the family's topic."""
        outcome = self.stage(event, partition, offset)
        self.write()
        return outcome

    def write(self) -> int:
        """Write the rows staged since the last call to the store; returns how many."""
        return self._rows.write()

    def stage(self, event: EventBase, partition: int, offset: int) -> Outcome:
        """Apply one event to the staged rows; `write()` must follow before it is acked."""
        params = self.agreements.get(event.agreement_id)
        if params is None:
            return Outcome.UNKNOWN_AGREEMENT
        ekey = keys.entity(event_key(event))
        entity = self._rows.get(ekey)
        if entity is not None and entity["o"] >= offset:
            self._advance(event, partition, offset)
            return Outcome.REPLAYED
        wm_row = self._rows.get(keys.watermark(partition))
        watermark = wm_row["t"] if wm_row else None
        at = event.occurred_at_epoch
        if watermark is not None and at < watermark - self.retention.lateness_seconds:
            return Outcome.LATE
        events: list[EntityEvent] = entity["ev"] if entity else []
        if any(e["id"] == event.event_id for e in events):
            return Outcome.DUPLICATE
        compacted = compact(event) if self.slicer is None else self.slicer.compact(event)
        events = sorted([*events, compacted], key=event_order)
        old = [Fact.from_list(f) for f in entity["facts"]] if entity else []
        new = FACTS_OF[self.family](events, params)
        if self.slicer is not None:
            new = self.slicer.label(self.family, events, new, params, self._rows, partition, offset)
        retract, add = fact_difference(old, new)
        self._apply_facts(params, partition, offset, retract, add, watermark)
        if self.on_fact is not None:
            for fact in add:
                self.on_fact(event.agreement_id, events, fact)
        expires = self.retention.entity_expiry(self.family, events, new, params)
        self._rows[ekey] = {
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
                for granularity, start, slice_ in sliced_buckets(
                    buckets_for(fact.at, params.zone), fact
                ):
                    if not self.retention.bucket_writable(granularity, start, watermark):
                        continue
                    bkey = keys.bucket(params.agreement_id, partition, granularity, start, slice_)
                    if bkey not in changes:
                        row = self._rows.get(bkey)
                        if row is not None and row["o"] >= offset:
                            continue  # applied before a crash; the replay must not repeat it
                        changes[bkey] = _live_aggregate(row)
                    changes[bkey].apply(fact, sign)
        for bkey, agg in changes.items():
            # Staged rows hold the live aggregate; `_encode_row` serialises it once per batch.
            self._rows[bkey] = {"p": partition, "o": offset, "agg": agg}
            self.dirty.add(bkey)

    def _advance(self, event: EventBase, partition: int, offset: int) -> None:
        """Move the partition's watermark and the agreement's stream time, then expire."""
        at = event.occurred_at_epoch
        for key in (keys.watermark(partition), keys.position(event.agreement_id, partition)):
            row = self._rows.get(key)
            if row is None or (at > row["t"] and row["o"] < offset):
                self._rows[key] = {"p": partition, "o": offset, "t": at}
                self.dirty.add(key)
        self._expire(partition, offset)

    def _expire(self, partition: int, offset: int) -> None:
        wm_row = self._rows.get(keys.watermark(partition))
        if wm_row is None:
            return
        now = wm_row["t"]
        heap = self._expiry.get(partition, [])
        while heap and heap[0][0] < now:
            _, key = heapq.heappop(heap)
            row = self._rows.get(key)
            if row is not None and row.get("x", float("inf")) < now:
                del self._rows[key]
        self.expired.update(self.retention.expired_buckets(self._rows, partition, now))

    def release(self, saved: Iterable[str]) -> int:
        """Delete the expired rows among `saved` that the sink holds; returns how many went.

        Call between batches, after the rows were saved: the deletions go to the changelog
        after every write that expired them, so the recovery argument holds.
        """
        released = 0
        for key in saved:
            if key in self.expired and key not in self.dirty:
                self.expired.discard(key)
                if key in self.store:
                    del self.store[key]
                    released += 1
        return released

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


def _live_aggregate(row: dict[str, Any] | None) -> Aggregate:
    if row is None:
        return Aggregate()
    agg = row["agg"]
    return agg if isinstance(agg, Aggregate) else Aggregate.from_dict(agg)


def _encode_row(key: str, row: Any) -> Any:
    agg = row.get("agg") if keys.is_bucket(key) else None
    if isinstance(agg, Aggregate):
        return {**row, "agg": agg.to_dict()}
    return row
