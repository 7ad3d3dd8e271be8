"""What the sink must save, and what it saved: the engine's side of a flush.

The sink (services/metrics/sink.py) copies changed rows to PostgreSQL now and then while the
agent keeps changing them. It asks the engine for the rows to save (`Engine.pending_rows`),
as typed changes it needs no row key or row layout for, writes them, then tells the engine
they were saved (`Engine.mark_saved`). A row that changed in the meantime stays pending, and
an expired bucket row leaves the store only once saved: deleting it first would lose its last
value from PostgreSQL if the worker died in between.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.core.kpi import breaches, keys, rows
from services.core.kpi.breaches import Breach
from services.core.kpi.entities import EntityEvent
from services.core.kpi.facts import Fact
from services.core.kpi.params import MeasurementParams


@dataclass(frozen=True, slots=True)
class BucketChange:
    """One partition's partial aggregate of a bucket of the totals or of a slice."""

    agreement_id: str
    partition: int
    granularity: str
    start: float
    slice: str  # "" for the totals, else "dimension=value" (docs/kpis.md, "Breakdowns")
    aggregate: dict[str, Any]  # `Aggregate.to_dict()`


@dataclass(frozen=True, slots=True)
class PositionChange:
    """An agreement's stream position (its watermark) on a partition."""

    agreement_id: str
    partition: int
    watermark: float


@dataclass(frozen=True, slots=True)
class TicketChange:
    """A ticket's current events and breaches (tickets family only)."""

    agreement_id: str
    ticket_id: str
    events: list[EntityEvent]
    # None for a tombstone saved before rows kept breaches: its saved breaches stay as they are.
    breaches: list[Breach] | None


@dataclass(frozen=True)
class PendingRows:
    """The changed rows of the owned partitions; `versions` and `expired` are the engine's."""

    buckets: list[BucketChange]
    positions: list[PositionChange]
    tickets: list[TicketChange]
    owned: Collection[int] | None
    versions: Mapping[str, int | None]
    expired: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.versions and not self.expired

    @property
    def size(self) -> int:
        """How many changed rows (of every partition) this covers."""
        return len(self.versions)

    def owns(self, partition: int | None) -> bool:
        return partition is not None and (self.owned is None or partition in self.owned)


def collect(
    store: Mapping[str, Any],
    agreements: Mapping[str, MeasurementParams],
    dirty: Iterable[str],
    expired: Iterable[str],
    owned: Collection[int] | None,
    tickets: bool,
) -> PendingRows:
    """The rows among `dirty` to save; `tickets`: list the ticket rows too."""
    dirty = set(dirty)
    pending = PendingRows(
        [], [], [], owned, {k: version(store, k) for k in dirty}, frozenset(expired)
    )
    for key in dirty:
        if keys.is_bucket(key):
            bucket = rows.bucket_row(store, key)
            if bucket is not None and pending.owns(bucket["p"]):
                agreement_id, partition, granularity, start = keys.parse_bucket(key)
                agg = rows.encoded(bucket["agg"])
                slice_ = keys.bucket_slice(key)
                change = BucketChange(agreement_id, partition, granularity, start, slice_, agg)
                pending.buckets.append(change)
        elif keys.is_position(key):
            position = rows.position_row(store, key)
            if position is not None and pending.owns(position["p"]):
                agreement_id, partition = keys.parse_position(key)
                pending.positions.append(PositionChange(agreement_id, partition, position["t"]))
    if tickets:
        pending.tickets.extend(ticket_changes(store, agreements, owned, dirty))
    return pending


def ticket_changes(
    store: Mapping[str, Any],
    agreements: Mapping[str, MeasurementParams],
    owned: Collection[int] | None,
    among: Iterable[str],
) -> list[TicketChange]:
    """The ticket rows among the keys `among` of `owned` partitions whose agreement is known.

    Deleted rows are not listed: their breaches stay saved (docs/reports.md, retention).
    """
    found = []
    for key in among:
        row = rows.entity_row(store, key) if keys.is_entity(key) else None
        if row is None or (owned is not None and row["p"] not in owned):
            continue
        agreement_id = rows.agreement_of(key, row, agreements)
        if agreement_id is None:
            continue
        ticket_id = key[len(keys.entity(agreement_id)) + 1 :]
        breached = breaches_of(row, agreements[agreement_id])
        found.append(TicketChange(agreement_id, ticket_id, row["ev"], breached))
    return found


def breaches_of(entity: rows.EntityRow | None, params: MeasurementParams) -> list[Breach] | None:
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


def version(store: Mapping[str, Any], key: str) -> int | None:
    """The last offset the row at `key` applied; None once it is gone."""
    row = store.get(key)
    return None if row is None else int(row["o"])


def partition(store: Mapping[str, Any], key: str) -> int | None:
    row = store.get(key)
    return None if row is None else int(row["p"])
