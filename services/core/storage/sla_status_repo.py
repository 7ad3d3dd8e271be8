"""The last status of every target and the history of changes (tables of revision 0005).

`claim_change` is how API replicas agree on who publishes a change: an UPDATE that only
matches while the stored status differs from the new one. PostgreSQL row locks serialise
concurrent UPDATEs of one row and the second re-checks the condition against the first's
committed row, so only one replica's UPDATE succeeds and only that replica publishes.
Callers own the transaction; instants are epoch seconds at this boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.storage.models import SlaStatusChange, SlaStatusState
from services.core.storage.repository import to_datetime, to_epoch


@dataclass(frozen=True, slots=True)
class StatusChangeRow:
    """One change of one target's status, as published (`occurred_at` in epoch seconds)."""

    event_id: str
    agreement_id: str
    target_id: str
    kpi: str
    window: str
    previous_status: str
    status: str
    value: float | None
    target: float
    stream_time: float | None
    occurred_at: float


def _instant(epoch_seconds: float | None) -> datetime | None:
    return None if epoch_seconds is None else to_datetime(epoch_seconds)


async def claim_change(
    session: AsyncSession,
    agreement_id: str,
    target_id: str,
    status: str,
    stream_time: float | None,
    now: float,
) -> str | None:
    """Store `status` of a target; the previous status if this call changed it, else None.

    None also when the target is seen for the first time (its status is stored, but there
    is no previous one to change from) and when the stored status was judged at a later
    stream time than `stream_time` (a replica with an older view never turns it back).
    """
    state = SlaStatusState
    newer = (
        state.stream_time.is_(None)
        if stream_time is None
        else or_(state.stream_time.is_(None), state.stream_time <= to_datetime(stream_time))
    )
    changed = await session.execute(
        update(state)
        .where(
            state.agreement_id == agreement_id,
            state.target_id == target_id,
            state.status != status,
            newer,
        )
        # In SET, `status` is the value before the update.
        .values(
            previous_status=state.status,
            status=status,
            stream_time=_instant(stream_time),
            changed_at=to_datetime(now),
        )
        .returning(state.previous_status)
    )
    previous = changed.scalar_one_or_none()
    if previous is not None:
        return str(previous)
    await session.execute(
        insert(state)
        .values(
            agreement_id=agreement_id,
            target_id=target_id,
            status=status,
            stream_time=_instant(stream_time),
            changed_at=to_datetime(now),
        )
        .on_conflict_do_nothing()
    )
    return None


async def add_change(session: AsyncSession, row: StatusChangeRow) -> None:
    """Record a published change in the history."""
    await session.execute(
        insert(SlaStatusChange).values(
            event_id=row.event_id,
            agreement_id=row.agreement_id,
            target_id=row.target_id,
            kpi=row.kpi,
            window=row.window,
            previous_status=row.previous_status,
            status=row.status,
            value=row.value,
            target=row.target,
            stream_time=_instant(row.stream_time),
            occurred_at=to_datetime(row.occurred_at),
        )
    )


async def read_changes(
    session: AsyncSession, agreement_id: str, since: float, until: float
) -> list[StatusChangeRow]:
    """Changes of an agreement with `since <= occurred_at < until`, oldest first."""
    c = SlaStatusChange
    rows = await session.execute(
        select(c)
        .where(
            c.agreement_id == agreement_id,
            c.occurred_at >= to_datetime(since),
            c.occurred_at < to_datetime(until),
        )
        .order_by(c.occurred_at, c.target_id, c.event_id)
    )
    return [
        StatusChangeRow(
            r.event_id,
            r.agreement_id,
            r.target_id,
            r.kpi,
            r.window,
            r.previous_status,
            r.status,
            r.value,
            r.target,
            None if r.stream_time is None else to_epoch(r.stream_time),
            to_epoch(r.occurred_at),
        )
        for r in rows.scalars()
    ]
