"""Saving the worker's state to PostgreSQL: changed buckets, stream positions, open tickets,
and breached tickets.

The state tables are the truth; PostgreSQL holds a copy the API can merge across
partitions. Each flush writes the rows changed since the last one, for the partitions this
worker owns. After a takeover every owned row is written again, since the previous owner may
have died before its last flush. Writes are idempotent upserts, so repeating one is harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.engine import Engine
from services.core.kpi.open_tickets import open_ticket_view
from services.core.storage.open_tickets import (
    OpenTicketRow,
    delete_open_tickets,
    upsert_open_tickets,
)
from services.core.storage.repository import BucketRow, upsert_buckets, upsert_stream_positions
from services.core.storage.ticket_breaches import replace_ticket_breaches
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
        if keys.is_bucket(key):
            agreement_id, partition, granularity, start = keys.parse_bucket(key)
            slice_ = keys.bucket_slice(key)
            buckets.append(
                BucketRow(agreement_id, family, partition, granularity, start, row["agg"], slice_)
            )
        elif key.startswith("s|"):
            agreement_id, partition = keys.parse_position(key)
            positions.append((agreement_id, family, partition, row["t"]))
    return buckets, positions


def open_ticket_changes(
    engine: Engine, owned: set[int], dirty: Iterable[str]
) -> tuple[list[OpenTicketRow], list[tuple[str, str]]]:
    """From dirty ticket rows of `owned` partitions: open tickets to upsert, keys to delete.

    The entity key is `e|<agreement id>/<ticket id>`; ids may contain '/', so the agreement
    is the longest known agreement id the key starts with.
    """
    upserts: list[OpenTicketRow] = []
    deletes: list[tuple[str, str]] = []
    if engine.family is not Family.TICKETS:
        return upserts, deletes
    agreements = engine.agreements
    slashed = [a for a in agreements if "/" in a]
    for key in dirty:
        row: Any = engine.store.get(key)
        if not keys.is_entity(key) or row is None or row.get("p") not in owned:
            continue
        entity = key[len(keys.entity("")) :]
        agreement_id: str | None = entity.split("/", 1)[0]
        if slashed or agreement_id not in agreements:  # the rare case: search all ids
            agreement_id = max(
                (a for a in agreements if entity.startswith(f"{a}/")), key=len, default=None
            )
        if agreement_id is None:
            continue
        ticket_id = entity[len(agreement_id) + 1 :]
        try:
            view = open_ticket_view(row["ev"], engine.agreements[agreement_id])
        except (ValueError, OverflowError):
            # A row no deadline can be computed for (dates out of the calendar's range, from
            # before the engine refused them) must not stop every other row's flush.
            log.exception("open-ticket view of %s failed; left out", key)
            continue
        if view is None:
            deletes.append((agreement_id, ticket_id))
        else:
            upserts.append(OpenTicketRow(agreement_id, ticket_id, **asdict(view)))
    return upserts, deletes


async def flush(
    engine: Engine,
    owned: set[int],
    sessions: async_sessionmaker[AsyncSession],
    instruments: Instruments,
) -> int:
    """Write the engine's dirty rows; on failure keep them dirty for the next flush."""
    expired = set(engine.expired)
    dirty = set(engine.dirty)
    if not dirty and not expired:
        return 0
    # The agent keeps running while we await the database: remember which version of each
    # row we saved, and keep a row dirty if it changed in the meantime.
    saved_versions = {key: _version(engine, key) for key in dirty}
    buckets, positions = rows_to_save(engine, owned, dirty)
    open_tickets, closed_tickets = open_ticket_changes(engine, owned, dirty)
    breached = engine.ticket_breaches(owned, dirty)
    try:
        async with sessions() as session, session.begin():
            await upsert_buckets(session, buckets)
            await upsert_stream_positions(session, positions)
            await upsert_open_tickets(session, open_tickets)
            await delete_open_tickets(session, closed_tickets)
            await replace_ticket_breaches(session, breached)
    except Exception:
        instruments.flush_failures.inc()
        instruments.progress.flush_done(False, time.time())
        log.exception("flush of %d %s rows failed; retrying later", len(dirty), engine.family)
        return 0
    instruments.progress.flush_done(True, time.time())
    engine.dirty -= {k for k, v in saved_versions.items() if _version(engine, k) == v}
    engine.release(key for key in expired if _partition(engine, key) in owned)
    instruments.flushes.inc(len(buckets))
    return len(buckets)


def _version(engine: Engine, key: str) -> int | None:
    row: Any = engine.store.get(key)
    return None if row is None else int(row["o"])


def _partition(engine: Engine, key: str) -> int | None:
    row: Any = engine.store.get(key)
    return None if row is None else int(row["p"])
