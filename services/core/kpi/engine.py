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

Lateness is judged per agreement and partition: the watermark of an agreement on a
partition is its stream position there (the latest `occurred_at` among its accepted
events), so one agreement's events never make another agreement's late.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from services.core.contract.events import EventBase
from services.core.contract.topics import Family, event_key
from services.core.kpi import breaches, keys
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.breaches import Breach
from services.core.kpi.entities import (
    EntityEvent,
    compact,
    customer_call_facts,
    event_order,
    survey_facts,
    ticket_facts,
)
from services.core.kpi.facts import Fact, fact_difference
from services.core.kpi.limits import in_range
from services.core.kpi.params import MeasurementParams
from services.core.kpi.retention import Retention
from services.core.kpi.slices import Slicer, sliced_buckets
from services.core.kpi.tombstones import tombstone
from services.core.kpi.windows import buckets_for
from services.core.kpi.write_behind import WriteBehind

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
    OUT_OF_RANGE = "out_of_range"


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
    # The worker's wall clock (epoch seconds), for refusing events from the future; None in
    # tests and replays that must not depend on when they run.
    clock: Callable[[], float] | None = None
    # Labels facts with their breakdown slices (services/core/kpi/slices.py); None: totals only.
    slicer: Slicer | None = None
    # Expiry heaps and bucket keys per (agreement, partition): watermarks are per agreement.
    _expiry: dict[tuple[str, int], list[tuple[float, str]]] = field(default_factory=dict)
    _buckets: dict[tuple[str, int], set[str]] = field(default_factory=dict)
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
        """Apply one event to the staged rows; `write()` must follow before it is acked.

        Raises only before it changed anything, so a caller may refuse the event and go on.
        """
        at = event.occurred_at_epoch
        latest = self.clock() + self.retention.max_ahead_seconds if self.clock else None
        if not in_range(at, latest):
            return Outcome.OUT_OF_RANGE
        agreement_id = event.agreement_id
        params = self.agreements.get(agreement_id)
        if params is None:
            return Outcome.UNKNOWN_AGREEMENT
        ekey = keys.entity(event_key(event))
        entity = self._rows.get(ekey)
        if entity is not None and entity["o"] >= offset:
            self._advance(event, partition, offset)
            return Outcome.REPLAYED
        watermark = self._watermark(agreement_id, partition)
        if watermark is not None and at < watermark - self.retention.lateness_seconds:
            return Outcome.LATE
        events: list[EntityEvent] = entity["ev"] if entity else []
        if any(e["id"] == event.event_id for e in events):
            return Outcome.DUPLICATE
        compacted = compact(event) if self.slicer is None else self.slicer.compact(event)
        events = sorted([*events, compacted], key=event_order)
        old = _facts_of(self.family, entity, params)
        if self.slicer is not None and entity is not None and "facts" not in entity:
            # A tombstone's facts are re-derived: label them as the new ones are.
            old = self.slicer.label(
                self.family, entity["ev"], old, params, self._rows, partition, offset
            )
        new = FACTS_OF[self.family](events, params)
        if self.slicer is not None:
            new = self.slicer.label(self.family, events, new, params, self._rows, partition, offset)
        retract, add = fact_difference(old, new)
        changes = self._plan(params, partition, retract, add, watermark)
        expires = self.retention.entity_expiry(self.family, events, new, params)
        breached = None
        if self.family is Family.TICKETS:
            # A legacy tombstone (saved before rows kept breaches) keeps none: its saved
            # rows are left alone rather than replaced by a partial list.
            current = _breaches_of(entity, params)
            if current is not None:
                priority = breaches.ticket_priority(events)
                breached = breaches.updated(current, retract, add, priority, params)
        # Nothing above writes; nothing below raises on an event the contract accepts.
        self._apply(changes, partition, offset)
        if self.on_fact is not None:
            for fact in add:
                self.on_fact(agreement_id, events, fact)
        self._put_entity(ekey, agreement_id, partition, offset, events, new, expires, breached)
        self._advance(event, partition, offset)
        return Outcome.ACCEPTED

    def _watermark(self, agreement_id: str, partition: int) -> float | None:
        row = self._rows.get(keys.position(agreement_id, partition))
        return None if row is None else float(row["t"])

    def _put_entity(
        self,
        ekey: str,
        agreement_id: str,
        partition: int,
        offset: int,
        events: list[EntityEvent],
        facts: list[Fact] | None,
        expires: float,
        breached: list[Breach] | None = None,
    ) -> None:
        """Stage an entity row; a tombstone (`facts` None) keeps no facts: they are re-derived.

        A ticket row keeps its breaches (`br`, services/core/kpi/breaches.py), tombstones too.
        """
        row: dict[str, Any] = {"p": partition, "o": offset, "a": agreement_id, "ev": events}
        if facts is None:
            row["tomb"] = True
        else:
            row["facts"] = [f.to_list() for f in facts]
        if breached is not None:
            row["br"] = [b.to_list() for b in breached]
        row["x"] = expires
        self._rows[ekey] = row
        heapq.heappush(self._expiry.setdefault((agreement_id, partition), []), (expires, ekey))
        if self.family is Family.TICKETS:
            self.dirty.add(ekey)  # the sink keeps the open-tickets view from ticket rows

    def _plan(
        self,
        params: MeasurementParams,
        partition: int,
        retract: list[Fact],
        add: list[Fact],
        watermark: float | None,
    ) -> list[tuple[str, Fact, int]]:
        """(bucket key, fact, sign) of every change: calendar math that may raise, no writes."""
        changes = []
        for facts, sign in ((retract, -1), (add, 1)):
            for fact in facts:
                for granularity, start, slice_ in sliced_buckets(
                    buckets_for(fact.at, params.zone), fact
                ):
                    if self.retention.bucket_writable(granularity, start, watermark):
                        bkey = keys.bucket(
                            params.agreement_id, partition, granularity, start, slice_
                        )
                        changes.append((bkey, fact, sign))
        return changes

    def _apply(self, planned: list[tuple[str, Fact, int]], partition: int, offset: int) -> None:
        changes: dict[str, Aggregate | None] = {}
        for bkey, fact, sign in planned:
            if bkey not in changes:
                row = self._rows.get(bkey)
                # Applied before a crash: the replay must not repeat it.
                changes[bkey] = None if row is not None and row["o"] >= offset else _live(row)
            agg = changes[bkey]
            if agg is not None:
                agg.apply(fact, sign)
        for bkey, agg in changes.items():
            if agg is None:
                continue
            # Staged rows hold the live aggregate; `_encode_row` serialises it once per batch.
            self._rows[bkey] = {"p": partition, "o": offset, "agg": agg}
            self.dirty.add(bkey)
            agreement_id, _, _, _ = keys.parse_bucket(bkey)
            self._buckets.setdefault((agreement_id, partition), set()).add(bkey)

    def _advance(self, event: EventBase, partition: int, offset: int) -> None:
        """Move the agreement's stream position (its watermark) on the partition, then expire."""
        at = event.occurred_at_epoch
        key = keys.position(event.agreement_id, partition)
        row = self._rows.get(key)
        if row is None or (at > row["t"] and row["o"] < offset):
            self._rows[key] = {"p": partition, "o": offset, "t": at}
            self.dirty.add(key)
        self._expire(event.agreement_id, partition)

    def _expire(self, agreement_id: str, partition: int) -> None:
        now = self._watermark(agreement_id, partition)
        if now is None:
            return
        heap = self._expiry.get((agreement_id, partition), [])
        while heap and heap[0][0] < now:
            _, key = heapq.heappop(heap)
            row = self._rows.get(key)
            if row is not None and row.get("x", float("inf")) < now:
                self._forget(key, row, agreement_id)
        bucket_keys = self._buckets.get((agreement_id, partition), set())
        self.expired.update(
            self.retention.expired_buckets(bucket_keys, agreement_id, partition, now)
        )

    def _forget(self, key: str, row: dict[str, Any], agreement_id: str) -> None:
        """Replace an expired entity row by its tombstone, or delete it (tombstones too)."""
        events: list[EntityEvent] = row["ev"]
        kept = None
        if not row.get("tomb") and self.retention.keeps_tombstone(self.family, events):
            kept = tombstone(self.family, events)
        if kept is None:
            del self._rows[key]
            return
        expires = self.retention.tombstone_expiry(events)
        params = self.agreements.get(agreement_id)
        breached = None if params is None else _breaches_of(row, params)
        self._put_entity(key, agreement_id, row["p"], row["o"], kept, None, expires, breached)

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
                    agreement_id, partition, _, _ = keys.parse_bucket(key)
                    self._buckets.get((agreement_id, partition), set()).discard(key)
                    del self.store[key]
                    released += 1
        return released

    def ticket_breaches(
        self, owned: set[int], dirty: Iterable[str]
    ) -> list[tuple[str, str, list[Breach]]]:
        """(agreement id, ticket id, its breaches) of each dirty ticket row of `owned` partitions.

        The whole current list per ticket: the sink replaces the ticket's saved breaches by
        it, so a retraction deletes and a replay or a takeover rewrites the same rows.
        Deleted rows are not listed: their breaches stay saved (docs/reports.md, retention).
        """
        found: list[tuple[str, str, list[Breach]]] = []
        if self.family is not Family.TICKETS:
            return found
        for key in dirty:
            row: Any = self.store.get(key)
            if not keys.is_entity(key) or row is None or row.get("p") not in owned:
                continue
            agreement_id = row.get("a") or _agreement_of(key, self.agreements)
            params = self.agreements.get(agreement_id)
            if params is None:
                continue
            breached = _breaches_of(row, params)
            if breached is None:
                continue  # a tombstone saved before rows kept breaches: leave its rows be
            ticket_id = key[len(keys.entity(agreement_id)) + 1 :]
            found.append((agreement_id, ticket_id, breached))
        return found

    def rebuild_index(self, partitions: set[int]) -> int:
        """After recovery: re-index expiry and mark every owned row dirty; returns rows seen."""
        seen = 0
        for key, row in list(self.store.items()):
            if not isinstance(row, dict) or row.get("p") not in partitions:
                continue
            seen += 1
            if keys.is_entity(key):
                # Rows written before watermarks were per agreement do not name theirs.
                agreement_id = row.get("a") or _agreement_of(key, self.agreements)
                heap = self._expiry.setdefault((agreement_id, row["p"]), [])
                heapq.heappush(heap, (row["x"], key))
                if self.family is Family.TICKETS:
                    self.dirty.add(key)
            else:
                if keys.is_bucket(key):
                    agreement_id, partition, _, _ = keys.parse_bucket(key)
                    self._buckets.setdefault((agreement_id, partition), set()).add(key)
                self.dirty.add(key)
        return seen


def _agreement_of(ekey: str, agreements: Mapping[str, MeasurementParams]) -> str:
    """The agreement of an entity key `e|<agreement>/<id>`; ids may contain '/' too."""
    entity = ekey[len(keys.entity("")) :]
    known = (a for a in agreements if entity.startswith(f"{a}/"))
    return max(known, key=len, default=entity.split("/", 1)[0])


def _facts_of(
    family: Family, entity: dict[str, Any] | None, params: MeasurementParams
) -> list[Fact]:
    """The facts an entity row counted: stored, or re-derived from a tombstone's events."""
    if entity is None:
        return []
    if "facts" in entity:
        return [Fact.from_list(f) for f in entity["facts"]]
    return FACTS_OF[family](entity["ev"], params)


def _breaches_of(entity: dict[str, Any] | None, params: MeasurementParams) -> list[Breach] | None:
    """A ticket row's breaches: kept (`br`), derived from the facts of a row saved before
    rows kept them, or None for such a tombstone (its re-derived facts are partial)."""
    if entity is None:
        return []
    if "br" in entity:
        return [Breach.from_list(b) for b in entity["br"]]
    if "facts" not in entity:
        return None
    facts = [Fact.from_list(f) for f in entity["facts"]]
    return breaches.derived(facts, breaches.ticket_priority(entity["ev"]), params)


def _live(row: dict[str, Any] | None) -> Aggregate:
    if row is None:
        return Aggregate()
    agg = row["agg"]
    return agg if isinstance(agg, Aggregate) else Aggregate.from_dict(agg)


def _encode_row(key: str, row: Any) -> Any:
    agg = row.get("agg") if keys.is_bucket(key) else None
    if isinstance(agg, Aggregate):
        return {**row, "agg": agg.to_dict()}
    return row
