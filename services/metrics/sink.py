"""Saving the worker's state to PostgreSQL: changed buckets, stream positions, open tickets,
and breached tickets.

The state tables are the truth; PostgreSQL holds a copy the API can merge across
partitions. Each flush writes the rows changed since the last one, for the partitions this
worker owns. After a takeover every owned row is written again, since the previous owner may
have died before its last flush. Writes are idempotent upserts, so repeating one is harmless.
The engine says what to save (`Engine.pending_rows`, typed changes) and is told what was saved
(`Engine.mark_saved`): the sink neither reads the engine's row keys nor its row layout.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.kpi.breaches import Breach
from services.core.kpi.engine import Engine
from services.core.kpi.open_tickets import open_ticket_view
from services.core.kpi.pending import PendingRows
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
    family: str, pending: PendingRows
) -> tuple[list[BucketRow], list[tuple[str, str, int, float]]]:
    """The bucket rows and stream positions of `pending`, as the repository takes them."""
    buckets = [
        BucketRow(b.agreement_id, family, b.partition, b.granularity, b.start, b.aggregate, b.slice)
        for b in pending.buckets
    ]
    positions = [(p.agreement_id, family, p.partition, p.watermark) for p in pending.positions]
    return buckets, positions


def open_ticket_changes(
    engine: Engine, pending: PendingRows
) -> tuple[list[OpenTicketRow], list[tuple[str, str]]]:
    """From the ticket rows of `pending`: open tickets to upsert, (agreement, ticket) to delete."""
    upserts: list[OpenTicketRow] = []
    deletes: list[tuple[str, str]] = []
    for ticket in pending.tickets:
        params = engine.agreements.get(ticket.agreement_id)
        if params is None:
            continue
        try:
            view = open_ticket_view(ticket.events, params)
        except (ValueError, OverflowError):
            # A row no deadline can be computed for (dates out of the calendar's range, from
            # before the engine refused them) must not stop every other row's flush.
            log.exception("open-ticket view of %s failed; left out", ticket.ticket_id)
            continue
        if view is None:
            deletes.append((ticket.agreement_id, ticket.ticket_id))
        else:
            upserts.append(OpenTicketRow(ticket.agreement_id, ticket.ticket_id, **asdict(view)))
    return upserts, deletes


def ticket_breaches(pending: PendingRows) -> list[tuple[str, str, list[Breach]]]:
    """(agreement id, ticket id, its whole current list of breaches) of `pending`'s tickets.

    The sink replaces each ticket's saved breaches by the list, so a retraction deletes and
    a replay or a takeover rewrites the same rows; a legacy tombstone's are left alone.
    """
    return [
        (t.agreement_id, t.ticket_id, t.breaches) for t in pending.tickets if t.breaches is not None
    ]


async def flush(
    engine: Engine,
    owned: set[int],
    sessions: async_sessionmaker[AsyncSession],
    instruments: Instruments,
) -> int:
    """Save the engine's unsaved rows; on failure they stay unsaved for the next flush."""
    # The agent keeps running while we await the database: the engine keeps a row unsaved
    # if it changed in the meantime.
    pending = engine.pending_rows(owned)
    if pending.empty:
        return 0
    buckets, positions = rows_to_save(engine.family.value, pending)
    open_tickets, closed_tickets = open_ticket_changes(engine, pending)
    try:
        async with sessions() as session, session.begin():
            await upsert_buckets(session, buckets)
            await upsert_stream_positions(session, positions)
            await upsert_open_tickets(session, open_tickets)
            await delete_open_tickets(session, closed_tickets)
            await replace_ticket_breaches(session, ticket_breaches(pending))
    except Exception:
        instruments.flush_failures.inc()
        instruments.progress.flush_done(False, time.time())
        log.exception("flush of %d %s rows failed; retrying later", pending.size, engine.family)
        return 0
    instruments.progress.flush_done(True, time.time())
    engine.mark_saved(pending)
    instruments.flushes.inc(len(buckets))
    return len(buckets)
