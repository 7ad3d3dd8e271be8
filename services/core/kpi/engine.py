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
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from services.core.contract.events import EventBase
from services.core.contract.topics import Family, event_key
from services.core.kpi import breaches, keys, pending, rows
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
from services.core.kpi.pending import PendingRows
from services.core.kpi.retention import Retention
from services.core.kpi.rows import BucketRow, EntityRow, PositionRow, StateRow
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
    """Applies one family's events to the store (rows typed in services/core/kpi/rows.py).

    `dirty` lists the rows the sink has not saved yet; the sink reads them through
    `pending_rows()` and reports what it saved through `mark_saved()`.
    """

    family: Family
    store: MutableMapping[str, StateRow]
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
        entity = rows.entity_row(self._rows, ekey)
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
            current = pending.breaches_of(entity, params)
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
        row = rows.position_row(self._rows, keys.position(agreement_id, partition))
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
        row: EntityRow = {
            "p": partition,
            "o": offset,
            "a": agreement_id,
            "ev": events,
            "x": expires,
        }
        if facts is None:
            row["tomb"] = True
        else:
            row["facts"] = [f.to_list() for f in facts]
        if breached is not None:
            row["br"] = [b.to_list() for b in breached]
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
                row = rows.bucket_row(self._rows, bkey)
                # Applied before a crash: the replay must not repeat it.
                applied = row is not None and row["o"] >= offset
                changes[bkey] = None if applied else rows.live_aggregate(row)
            agg = changes[bkey]
            if agg is not None:
                agg.apply(fact, sign)
        for bkey, agg in changes.items():
            if agg is None:
                continue
            # Staged rows hold the live aggregate; `_encode_row` serialises it once per batch.
            bucket: BucketRow = {"p": partition, "o": offset, "agg": agg}
            self._rows[bkey] = bucket
            self.dirty.add(bkey)
            agreement_id, _, _, _ = keys.parse_bucket(bkey)
            self._buckets.setdefault((agreement_id, partition), set()).add(bkey)

    def _advance(self, event: EventBase, partition: int, offset: int) -> None:
        """Move the agreement's stream position (its watermark) on the partition, then expire."""
        at = event.occurred_at_epoch
        key = keys.position(event.agreement_id, partition)
        row = rows.position_row(self._rows, key)
        if row is None or (at > row["t"] and row["o"] < offset):
            position: PositionRow = {"p": partition, "o": offset, "t": at}
            self._rows[key] = position
            self.dirty.add(key)
        self._expire(event.agreement_id, partition)

    def _expire(self, agreement_id: str, partition: int) -> None:
        now = self._watermark(agreement_id, partition)
        if now is None:
            return
        heap = self._expiry.get((agreement_id, partition), [])
        while heap and heap[0][0] < now:
            _, key = heapq.heappop(heap)
            row = rows.entity_row(self._rows, key)
            if row is not None and row.get("x", float("inf")) < now:
                self._forget(key, row, agreement_id)
        bucket_keys = self._buckets.get((agreement_id, partition), set())
        self.expired.update(
            self.retention.expired_buckets(bucket_keys, agreement_id, partition, now)
        )

    def _forget(self, key: str, row: EntityRow, agreement_id: str) -> None:
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
        breached = None if params is None else pending.breaches_of(row, params)
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

    def pending_rows(self, owned: Collection[int] | None = None) -> PendingRows:
        """The unsaved rows of the `owned` partitions (None: every partition), typed.

        Pass the result to `mark_saved` once it is saved. Rows of other partitions are not
        listed but count as saved then: their owner saves them (after a takeover, every row).
        """
        tickets = self.family is Family.TICKETS  # the sink keeps open and breached tickets
        store, agreements = self.store, self.agreements
        return pending.collect(store, agreements, self.dirty, self.expired, owned, tickets)

    def mark_saved(self, saved: PendingRows) -> int:
        """Note that `saved` reached the database; returns how many expired rows left the store.

        A row that changed since `pending_rows` stays unsaved. Call between batches, as
        `release` says.
        """
        store = self.store
        self.dirty -= {k for k, v in saved.versions.items() if pending.version(store, k) == v}
        return self.release(k for k in saved.expired if saved.owns(pending.partition(store, k)))

    def ticket_breaches(
        self, owned: set[int], among: Iterable[str]
    ) -> list[tuple[str, str, list[Breach]]]:
        """(agreement id, ticket id, its breaches) of the ticket rows `among` of `owned` partitions.

        The whole current list per ticket: the sink replaces the ticket's saved breaches by
        it, so a retraction deletes and a replay or a takeover rewrites the same rows.
        """
        if self.family is not Family.TICKETS:
            return []
        changes = pending.ticket_changes(self.store, self.agreements, owned, among)
        return [
            (c.agreement_id, c.ticket_id, c.breaches) for c in changes if c.breaches is not None
        ]

    def rebuild_index(self, partitions: set[int]) -> int:
        """After recovery: re-index expiry and mark every owned row dirty; returns rows seen."""
        seen = 0
        for key, row in list(self.store.items()):
            if not isinstance(row, dict) or row.get("p") not in partitions:
                continue
            seen += 1
            if keys.is_entity(key):
                entity = cast(EntityRow, row)
                # Rows written before watermarks were per agreement do not name theirs.
                agreement_id = entity.get("a") or _agreement_of(key, self.agreements)
                heap = self._expiry.setdefault((agreement_id, entity["p"]), [])
                heapq.heappush(heap, (entity["x"], key))
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


def _facts_of(family: Family, entity: EntityRow | None, params: MeasurementParams) -> list[Fact]:
    """The facts an entity row counted: stored, or re-derived from a tombstone's events."""
    if entity is None:
        return []
    if "facts" in entity:
        return [Fact.from_list(f) for f in entity["facts"]]
    return FACTS_OF[family](entity["ev"], params)


def _encode_row(key: str, row: Any) -> Any:
    agg = row.get("agg") if keys.is_bucket(key) else None
    if isinstance(agg, Aggregate):
        return {**row, "agg": agg.to_dict()}
    return row
