"""Reads and idempotent writes of the open-tickets view (table `open_tickets`).

The worker that owns a ticket's partition upserts its row while the ticket is open and
deletes it once resolved or closed; the API lists the rows falling due. Like the rest of the
repository, callers pass epoch seconds and own the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.storage.models import OpenTicketRecord
from services.core.storage.repository import to_datetime, to_epoch


@dataclass(frozen=True, slots=True)
class OpenTicketRow:
    """One open ticket of an agreement; due instants are None once met or while paused."""

    agreement_id: str
    ticket_id: str
    priority: str
    created_at: float
    first_response_due_at: float | None
    resolution_due_at: float | None
    paused: bool
    first_responded: bool
    status: str


def _datetime(epoch_seconds: float | None) -> datetime | None:
    return None if epoch_seconds is None else to_datetime(epoch_seconds)


def _epoch(instant: datetime | None) -> float | None:
    return None if instant is None else to_epoch(instant)


def _params(row: OpenTicketRow) -> dict[str, Any]:
    params = asdict(row)
    params["created_at"] = to_datetime(row.created_at)
    params["first_response_due_at"] = _datetime(row.first_response_due_at)
    params["resolution_due_at"] = _datetime(row.resolution_due_at)
    return params


async def upsert_open_tickets(session: AsyncSession, rows: Iterable[OpenTicketRow]) -> None:
    """Insert or replace open tickets (the last row given for a ticket wins)."""
    by_key = {(r.agreement_id, r.ticket_id): r for r in rows}
    params = [_params(by_key[key]) for key in sorted(by_key)]  # key order: no deadlocks
    if not params:
        return
    stmt = insert(cast(Table, OpenTicketRecord.__table__))  # Core executemany, see upsert_buckets
    columns = [name for name in params[0] if name not in ("agreement_id", "ticket_id")]
    stmt = stmt.on_conflict_do_update(
        index_elements=["agreement_id", "ticket_id"],
        set_={**{name: stmt.excluded[name] for name in columns}, "updated_at": func.now()},
    )
    await session.execute(stmt, params)


async def delete_open_tickets(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> None:
    """Forget tickets by (agreement id, ticket id); unknown keys are ignored."""
    wanted = sorted(set(keys))
    if not wanted:
        return
    pk = tuple_(OpenTicketRecord.agreement_id, OpenTicketRecord.ticket_id)
    await session.execute(delete(OpenTicketRecord).where(pk.in_(wanted)))


async def open_tickets_due(
    session: AsyncSession, agreement_id: str, until: float
) -> list[OpenTicketRow]:
    """Open tickets of an agreement with a first-response or resolution due at or before
    `until` (so including those already overdue)."""
    limit = to_datetime(until)
    result = await session.execute(
        select(OpenTicketRecord).where(
            OpenTicketRecord.agreement_id == agreement_id,
            or_(
                OpenTicketRecord.first_response_due_at <= limit,
                OpenTicketRecord.resolution_due_at <= limit,
            ),
        )
    )
    return [_row(record) for record in result.scalars()]


def _row(r: OpenTicketRecord) -> OpenTicketRow:
    return OpenTicketRow(
        r.agreement_id,
        r.ticket_id,
        r.priority,
        to_epoch(r.created_at),
        _epoch(r.first_response_due_at),
        _epoch(r.resolution_due_at),
        r.paused,
        r.first_responded,
        r.status,
    )


async def all_open_tickets(session: AsyncSession, agreement_id: str) -> list[OpenTicketRow]:
    """Every open ticket of an agreement, by ticket id (tests and tools)."""
    result = await session.execute(
        select(OpenTicketRecord)
        .where(OpenTicketRecord.agreement_id == agreement_id)
        .order_by(OpenTicketRecord.ticket_id)
    )
    return [_row(record) for record in result.scalars()]
