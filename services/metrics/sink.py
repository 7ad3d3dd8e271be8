"""Saving the worker's state to PostgreSQL: changed bucket rows and stream positions.

The state tables are the truth; PostgreSQL holds a copy the API can merge across
partitions. Each flush writes the rows changed since the last one, for the partitions this
worker owns. After a takeover every owned row is written again, since the previous owner may
have died before its last flush. Writes are idempotent upserts, so repeating one is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.db.repository import BucketRow, upsert_buckets, upsert_stream_positions
from services.core.kpi import keys
from services.core.kpi.engine import Engine
from services.metrics.instruments import Instruments

log = logging.getLogger(__name__)


def rows_to_save(
    engine: Engine, owned: set[int], dirty: Iterable[str]
) -> tuple[list[BucketRow], list[tuple[str, str, int, float]]]:
    """The bucket rows and stream positions among `dirty` keys of `owned` partitions."""
    buckets: list[BucketRow] = []
    positions: list[tuple[str, str, int, float]] = []
    family = engine.family.value
    for key in dirty:
        row: Any = engine.store.get(key)
        if row is None or row.get("p") not in owned:
            continue
        if key.startswith("b|"):
            agreement_id, partition, granularity, start = keys.parse_bucket(key)
            buckets.append(
                BucketRow(agreement_id, family, partition, granularity, start, row["agg"])
            )
        elif key.startswith("s|"):
            agreement_id, partition = keys.parse_position(key)
            positions.append((agreement_id, family, partition, row["t"]))
    return buckets, positions


async def flush(
    engine: Engine,
    owned: set[int],
    sessions: async_sessionmaker[AsyncSession],
    instruments: Instruments,
) -> int:
    """Write the engine's dirty rows; on failure keep them dirty for the next flush."""
    dirty = set(engine.dirty)
    if not dirty:
        return 0
    # The agent keeps running while we await the database: remember which version of each
    # row we saved, and keep a row dirty if it changed in the meantime.
    saved_versions = {key: _version(engine, key) for key in dirty}
    buckets, positions = rows_to_save(engine, owned, dirty)
    try:
        async with sessions() as session, session.begin():
            await upsert_buckets(session, buckets)
            await upsert_stream_positions(session, positions)
    except Exception:
        instruments.flush_failures.inc()
        log.exception("flush of %d %s rows failed; retrying later", len(dirty), engine.family)
        return 0
    engine.dirty -= {k for k, v in saved_versions.items() if _version(engine, k) == v}
    instruments.flushes.inc(len(buckets))
    return len(buckets)


def _version(engine: Engine, key: str) -> int | None:
    row: Any = engine.store.get(key)
    return None if row is None else int(row["o"])
