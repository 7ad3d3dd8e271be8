"""The SLA status outbox (table of revision 0007): events stored with their change, then sent.

A status change and its event row commit together (services/api/status_changes.py), so
there is no event without a change and no change without an event. The relay
(services/api/status_relay.py) reads unsent rows oldest first, publishes them and marks them
sent. One relay at a time holds a transaction-scoped advisory lock while it works: replicas
never publish the same rows concurrently, and one target's changes leave in the order they
were stored. Callers own the transaction; instants are epoch seconds at this boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.storage.models import SlaStatusOutbox
from services.core.storage.repository import to_datetime

# The advisory lock key of the relay's turn (any constant unique to this purpose).
RELAY_LOCK_KEY = 0x534C_4153_5441  # "SLASTA"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One event to publish: `event_id` is stable across re-sends (consumers dedupe on it)."""

    seq: int
    event_id: str
    key: bytes
    value: bytes


async def add(session: AsyncSession, event_id: str, key: str, payload: str, now: float) -> None:
    """Store an event to publish, in the caller's transaction."""
    await session.execute(
        insert(SlaStatusOutbox).values(
            event_id=event_id, message_key=key, payload=payload, created_at=to_datetime(now)
        )
    )


async def take_relay_turn(session: AsyncSession) -> bool:
    """True when this transaction is now the only relay; False when another one is at work.

    The lock is released when the transaction ends (commit, rollback, or a lost connection).
    """
    got = await session.execute(select(func.pg_try_advisory_xact_lock(RELAY_LOCK_KEY)))
    return bool(got.scalar_one())


async def pending(session: AsyncSession, limit: int) -> list[OutboxMessage]:
    """The oldest `limit` unsent events, in the order they were stored.

    FOR UPDATE SKIP LOCKED as well as the relay lock: a row whose storing transaction is
    still open is invisible anyway, and a row being marked elsewhere is skipped, never waited on.
    """
    o = SlaStatusOutbox
    rows = await session.execute(
        select(o.seq, o.event_id, o.message_key, o.payload)
        .where(o.sent_at.is_(None))
        .order_by(o.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [
        OutboxMessage(seq, event_id, key.encode(), payload.encode())
        for seq, event_id, key, payload in rows
    ]


async def mark_sent(session: AsyncSession, seqs: Sequence[int], now: float) -> None:
    """Record that the broker acknowledged these events."""
    if seqs:
        o = SlaStatusOutbox
        await session.execute(update(o).where(o.seq.in_(seqs)).values(sent_at=to_datetime(now)))


async def prune_sent(session: AsyncSession, before: float) -> int:
    """Delete events sent before `before` (the outbox is not the history); how many went."""
    o = SlaStatusOutbox
    gone = await session.execute(delete(o).where(o.sent_at < to_datetime(before)).returning(o.seq))
    return len(gone.all())


async def count_pending(session: AsyncSession) -> int:
    """How many events wait to be published (the relay's backlog)."""
    o = SlaStatusOutbox
    got = await session.execute(select(func.count()).where(o.sent_at.is_(None)))
    return int(got.scalar_one())
