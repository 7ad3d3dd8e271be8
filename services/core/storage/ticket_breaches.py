"""Reads and idempotent writes of breached tickets (table `ticket_breaches`).

The worker that owns a ticket's partition replaces the ticket's rows by its current
breaches (services/core/kpi/breaches.py) on every flush that touches the ticket: a
retraction deletes a row, a replay or a takeover writes the same rows again. Rows outlive the
ticket's state; retention is docs/reports.md's. Callers pass epoch seconds and own the
transaction, like the rest of the repository.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.kpi.breaches import Breach
from services.core.storage.models import TicketBreachRecord
from services.core.storage.repository import to_datetime, to_epoch


@dataclass(frozen=True, slots=True)
class BreachRow:
    """One saved breach of a ticket; `attributed_at` (epoch seconds) names its cycle."""

    agreement_id: str
    ticket_id: str
    kpi: str
    attributed_at: float
    measured_seconds: float
    target_seconds: float
    overrun_seconds: float
    priority: str


def breach_rows(agreement_id: str, ticket_id: str, breaches: Iterable[Breach]) -> list[BreachRow]:
    """The rows that save a ticket's breaches."""
    return [
        BreachRow(
            agreement_id,
            ticket_id,
            b.kpi,
            b.at,
            b.measured_seconds,
            b.target_seconds,
            b.overrun_seconds,
            b.priority,
        )
        for b in breaches
    ]


async def replace_ticket_breaches(
    session: AsyncSession, tickets: Sequence[tuple[str, str, Sequence[Breach]]]
) -> None:
    """Make each (agreement id, ticket id)'s saved breaches exactly the ones given."""
    wanted = sorted({(a, t) for a, t, _ in tickets})  # key order: no deadlocks
    if not wanted:
        return
    pk = tuple_(TicketBreachRecord.agreement_id, TicketBreachRecord.ticket_id)
    await session.execute(delete(TicketBreachRecord).where(pk.in_(wanted)))
    latest = {(a, t): b for a, t, b in tickets}  # the last list given for a ticket wins
    rows = [r for key in wanted for r in breach_rows(*key, latest[key])]
    if not rows:
        return
    # Core executemany, see upsert_buckets; `updated_at` takes its default, now().
    stmt = insert(cast(Table, TicketBreachRecord.__table__))
    await session.execute(stmt, [_params(r) for r in rows])


def _params(row: BreachRow) -> dict[str, object]:
    return {
        "agreement_id": row.agreement_id,
        "ticket_id": row.ticket_id,
        "kpi": row.kpi,
        "attributed_at": to_datetime(row.attributed_at),
        "measured_seconds": row.measured_seconds,
        "target_seconds": row.target_seconds,
        "overrun_seconds": row.overrun_seconds,
        "priority": row.priority,
    }


async def top_breaches(
    session: AsyncSession, agreement_id: str, start: float, end: float, limit: int = 20
) -> list[BreachRow]:
    """An agreement's breaches attributed to [`start`, `end`), largest overrun first
    (ties: ticket id, KPI, instant, so the list is the same on every read)."""
    r = TicketBreachRecord
    result = await session.execute(
        select(r)
        .where(
            r.agreement_id == agreement_id,
            r.attributed_at >= to_datetime(start),
            r.attributed_at < to_datetime(end),
        )
        .order_by(r.overrun_seconds.desc(), r.ticket_id, r.kpi, r.attributed_at)
        .limit(limit)
    )
    return [_row(record) for record in result.scalars()]


def _row(r: TicketBreachRecord) -> BreachRow:
    return BreachRow(
        r.agreement_id,
        r.ticket_id,
        r.kpi,
        to_epoch(r.attributed_at),
        r.measured_seconds,
        r.target_seconds,
        r.overrun_seconds,
        r.priority,
    )


async def delete_breaches_before(session: AsyncSession, instant: float) -> int:
    """Forget breaches attributed before `instant` (retention); returns how many went."""
    result = await session.execute(
        delete(TicketBreachRecord).where(TicketBreachRecord.attributed_at < to_datetime(instant))
    )
    return int(getattr(result, "rowcount", 0) or 0)
