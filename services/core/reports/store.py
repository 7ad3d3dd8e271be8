"""Reports in PostgreSQL: issued versions (immutable) and the free-text drafts.

Versions of one report are numbered under a transaction-scoped advisory lock on
(agreement, period), so two writers never race for the same number; the primary key would
refuse a duplicate anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.reports.model import FreeText, Report
from services.core.storage.models import ReportDraftRow, ReportVersionRow


@dataclass(frozen=True, slots=True)
class StoredReport:
    agreement_id: str
    period: str
    version: int
    state: str
    content: dict[str, Any]
    content_hash: str
    changes: list[dict[str, Any]]
    issued_at: datetime
    issued_by: str

    def report(self) -> Report:
        return Report.model_validate(self.content)


def _stored(row: ReportVersionRow) -> StoredReport:
    return StoredReport(
        row.agreement_id,
        row.period,
        row.version,
        row.state,
        row.content,
        row.content_hash,
        row.changes,
        row.issued_at,
        row.issued_by,
    )


async def lock_report(session: AsyncSession, agreement_id: str, period: str) -> None:
    """Serialise writers of one report until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"report:{agreement_id}:{period}"},
    )


async def versions(session: AsyncSession, agreement_id: str) -> list[StoredReport]:
    """Every version of every report of an agreement, newest period and version first."""
    rows = await session.scalars(
        select(ReportVersionRow)
        .where(ReportVersionRow.agreement_id == agreement_id)
        .order_by(ReportVersionRow.period.desc(), ReportVersionRow.version.desc())
    )
    return [_stored(r) for r in rows]


async def version(
    session: AsyncSession, agreement_id: str, period: str, number: int | None = None
) -> StoredReport | None:
    """Version `number` of a report, or its latest (None when there is none)."""
    query = select(ReportVersionRow).where(
        ReportVersionRow.agreement_id == agreement_id, ReportVersionRow.period == period
    )
    if number is not None:
        query = query.where(ReportVersionRow.version == number)
    row = await session.scalar(query.order_by(ReportVersionRow.version.desc()).limit(1))
    return None if row is None else _stored(row)


async def next_version(session: AsyncSession, agreement_id: str, period: str) -> int:
    latest = await session.scalar(
        select(func.max(ReportVersionRow.version)).where(
            ReportVersionRow.agreement_id == agreement_id, ReportVersionRow.period == period
        )
    )
    return (latest or 0) + 1


async def add_version(session: AsyncSession, stored: StoredReport) -> None:
    session.add(
        ReportVersionRow(
            agreement_id=stored.agreement_id,
            period=stored.period,
            version=stored.version,
            state=stored.state,
            content=stored.content,
            content_hash=stored.content_hash,
            changes=stored.changes,
            issued_at=stored.issued_at,
            issued_by=stored.issued_by,
        )
    )
    await session.flush()


async def draft(session: AsyncSession, agreement_id: str, period: str) -> FreeText:
    row = await session.get(ReportDraftRow, (agreement_id, period))
    return FreeText() if row is None else FreeText.model_validate(row.free_text)


async def save_draft(
    session: AsyncSession,
    agreement_id: str,
    period: str,
    free_text: FreeText,
    at: datetime,
    by: str,
) -> None:
    values = {
        "agreement_id": agreement_id,
        "period": period,
        "free_text": free_text.model_dump(mode="json"),
        "updated_at": at,
        "updated_by": by,
    }
    statement = insert(ReportDraftRow).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["agreement_id", "period"],
            set_={k: statement.excluded[k] for k in ("free_text", "updated_at", "updated_by")},
        )
    )
