"""A Faust table as the engine's store, with the changelog written by batch.

Faust's own `table[key] = value` takes the changelog partition from the event being
processed, so it only works while iterating one event at a time, and it queues each message
in Faust's producer buffer, which the stream waits on. The worker processes batches instead
(services/metrics/agents.py): each changed row updates the table's memory at once and joins
an outbox, which `publish()` hands to the producer in one go. Every row records its source
partition (`"p"`, services/core/kpi/rows.py), the changelog partition it belongs to, so
Faust's co-partitioning holds.

The outbox is first in, first out, and one publisher drains it at a time, so the changelog
receives the rows in the order the engine wrote them: the order the recovery argument of
services/core/kpi/engine.py needs. Faust acknowledges a batch only after its agent awaited
`publish()`, and flushes the producer before it commits, so a committed offset still implies
durable rows. A send that fails (or is cancelled) leaves its row and every later one in the
outbox, in order; whoever publishes next sends them (the agent retries, agents.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, MutableMapping
from typing import Any

from services.core.kpi.rows import StateRow


class TableStore(MutableMapping[str, StateRow]):
    """Reads and writes a Faust table's in-memory data; writes also join the outbox."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.outbox: list[tuple[int, str, StateRow | None]] = []
        self._publishing = asyncio.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        return self.table.data.get(key, default)

    def __getitem__(self, key: str) -> StateRow:
        row: StateRow = self.table.data[key]
        return row

    def __contains__(self, key: object) -> bool:
        return key in self.table.data

    def __setitem__(self, key: str, row: StateRow) -> None:
        self.table.data[key] = row
        self.outbox.append((row["p"], key, row))

    def __delitem__(self, key: str) -> None:
        partition = self[key]["p"]
        del self.table.data[key]
        self.outbox.append((partition, key, None))

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.table.data.keys()))

    def __len__(self) -> int:
        return len(self.table.data)

    async def publish(self) -> int:
        """Hand every row in the outbox to the producer, in order; returns how many.

        Raises what the producer raised; the rows not handed over stay in the outbox."""
        topic = self.table.changelog_topic
        name = topic.get_topic_name()
        producer = self.table.app.producer
        sent = 0
        async with self._publishing:
            while self.outbox:
                rows, self.outbox = self.outbox, []
                for n, (partition, key, row) in enumerate(rows):
                    key_bytes, _ = topic.prepare_key(key, None)
                    # A deleted row is a tombstone: no value, as Faust's own deletes.
                    value = None if row is None else topic.prepare_value(row, None)[0]
                    try:
                        await producer.send(name, key_bytes, value, partition, None, None)
                    except BaseException:
                        # The row that failed and those after it go back to the front, ahead
                        # of rows written meanwhile: the next publish sends them in order.
                        self.outbox[:0] = rows[n:]
                        raise
                    sent += 1
        return sent
