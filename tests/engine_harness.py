"""Runs the pure engines over a list of events the way the Faust topology does.

Events are routed to a family and a partition by their Kafka key (same rule as the
ingest publisher uses: the key decides the partition), and each partition has its own offset
sequence, so tests exercise the per-partition watermarks and offsets of production.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from services.core.contract.events import EventBase
from services.core.contract.topics import Family, event_key, family_of
from services.core.kpi import keys
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.engine import Engine, Outcome
from services.core.kpi.params import MeasurementParams
from services.core.kpi.retention import Retention
from services.core.kpi.windows import WindowResult, evaluate

PARTITIONS = 3


def partition_of(event: EventBase, partitions: int = PARTITIONS) -> int:
    return zlib.crc32(event_key(event).encode()) % partitions


class Harness:
    def __init__(
        self,
        agreements: Mapping[str, MeasurementParams],
        retention: Retention | None = None,
        stores: dict[Family, MutableMapping[str, Any]] | None = None,
    ) -> None:
        self.agreements = agreements
        self.stores = stores or {family: {} for family in Family}
        self.engines = {
            family: Engine(family, self.stores[family], agreements, retention or Retention())
            for family in Family
        }
        self.next_offset: dict[tuple[Family, int], int] = {}
        self.log: list[tuple[Family, int, int, EventBase]] = []
        # What the sink would have saved to PostgreSQL: rows outlive their eviction from
        # the engine's memory, as they do in the database.
        self.saved: dict[tuple[Family, str], dict[str, Any]] = {}
        self.flush_every = 7

    def publish(self, events: Iterable[EventBase]) -> None:
        """Append events to their topic partitions (the log), without processing them."""
        for event in events:
            family = family_of(event.type)
            partition = partition_of(event)
            offset = self.next_offset.get((family, partition), 0)
            self.next_offset[(family, partition)] = offset + 1
            self.log.append((family, partition, offset, event))

    def consume(
        self, log: Iterable[tuple[Family, int, int, EventBase]] | None = None, batch: int = 1
    ) -> list[Outcome]:
        """Process the log `batch` events at a time, writing the staged rows after each batch."""
        entries = list(self.log if log is None else log)
        outcomes = []
        for n, first in enumerate(range(0, len(entries), batch)):
            for family, partition, offset, event in entries[first : first + batch]:
                outcomes.append(self.engines[family].stage(event, partition, offset))
            for engine in self.engines.values():
                engine.write()
            # Flush now and then, as the worker's timer does: rows may leave memory between
            # two flushes, and their last value must still reach the database.
            if n % self.flush_every == 0:
                self.flush()
        self.flush()
        return outcomes

    def flush(self) -> None:
        for family, engine in self.engines.items():
            for key in engine.dirty:
                row = engine.store.get(key)
                if row is not None:
                    self.saved[(family, key)] = row
            engine.dirty.clear()
            engine.release(set(engine.expired))

    def buckets_of(self, agreement_id: str) -> list[tuple[str, float, Aggregate]]:
        rows = []
        for (_, key), row in self.saved.items():
            if key.startswith("b|") and keys.parse_bucket(key)[0] == agreement_id:
                if keys.bucket_slice(key):
                    continue  # a breakdown slice, not the totals
                _, _, granularity, start = keys.parse_bucket(key)
                rows.append((granularity, start, Aggregate.from_dict(row["agg"])))
        return rows

    def slice_buckets_of(
        self, agreement_id: str, dimension: str
    ) -> list[tuple[str, str, float, Aggregate]]:
        """(value, granularity, start, aggregate) of the saved slices of `dimension`."""
        rows = []
        prefix = f"{dimension}="
        for (_, key), row in self.saved.items():
            slice_ = keys.bucket_slice(key) if key.startswith("b|") else ""
            if slice_.startswith(prefix) and keys.parse_bucket(key)[0] == agreement_id:
                _, _, granularity, start = keys.parse_bucket(key)
                value = slice_[len(prefix) :]
                rows.append((value, granularity, start, Aggregate.from_dict(row["agg"])))
        return rows

    def stream_time(self, agreement_id: str) -> float | None:
        times = [
            row["t"]
            for (_, key), row in self.saved.items()
            if key.startswith("s|") and keys.parse_position(key)[0] == agreement_id
        ]
        return max(times) if times else None

    def evaluate(self, agreement_id: str, window: str, at: float | None = None) -> WindowResult:
        stream_time = at if at is not None else self.stream_time(agreement_id)
        assert stream_time is not None
        return evaluate(
            self.buckets_of(agreement_id), self.agreements[agreement_id], stream_time, window
        )
