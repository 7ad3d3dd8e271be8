"""Review meeting records in PostgreSQL (`review_meetings`, migration 0014).

Writers of one record take a transaction-scoped advisory lock on (agreement, quarter), so
version numbers never race; a trigger refuses any UPDATE of a closed version, so only the
draft row is ever updated. Callers own the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.meetings.model import MeetingRecord, MeetingState
from services.core.storage.models import ReviewMeetingRow


@dataclass(frozen=True, slots=True)
class StoredMeeting:
    agreement_id: str
    quarter: str
    version: int
    state: MeetingState
    record: MeetingRecord
    saved_at: datetime
    saved_by: str
    closed_at: datetime | None
    closed_by: str | None


def _stored(row: ReviewMeetingRow) -> StoredMeeting:
    state: MeetingState = "closed" if row.state == "closed" else "draft"
    return StoredMeeting(
        row.agreement_id,
        row.quarter,
        row.version,
        state,
        MeetingRecord.model_validate(row.content),
        row.saved_at,
        row.saved_by,
        row.closed_at,
        row.closed_by,
    )


async def lock_meeting(session: AsyncSession, agreement_id: str, quarter: str) -> None:
    """Serialise writers of one record until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"meeting:{agreement_id}:{quarter}"},
    )


async def versions(
    session: AsyncSession, agreement_id: str, quarter: str, *, closed_only: bool = False
) -> list[StoredMeeting]:
    """Every version of a record, oldest first (closed ones only, if asked)."""
    query = select(ReviewMeetingRow).where(
        ReviewMeetingRow.agreement_id == agreement_id, ReviewMeetingRow.quarter == quarter
    )
    if closed_only:
        query = query.where(ReviewMeetingRow.state == "closed")
    rows = await session.scalars(query.order_by(ReviewMeetingRow.version))
    return [_stored(r) for r in rows]


async def version(
    session: AsyncSession,
    agreement_id: str,
    quarter: str,
    number: int | None = None,
    *,
    closed_only: bool = False,
) -> StoredMeeting | None:
    """Version `number` of a record, or its latest (closed ones only, if asked)."""
    query = select(ReviewMeetingRow).where(
        ReviewMeetingRow.agreement_id == agreement_id, ReviewMeetingRow.quarter == quarter
    )
    if number is not None:
        query = query.where(ReviewMeetingRow.version == number)
    if closed_only:
        query = query.where(ReviewMeetingRow.state == "closed")
    row = await session.scalar(query.order_by(ReviewMeetingRow.version.desc()).limit(1))
    return None if row is None else _stored(row)


async def add(session: AsyncSession, stored: StoredMeeting) -> None:
    session.add(
        ReviewMeetingRow(
            agreement_id=stored.agreement_id,
            quarter=stored.quarter,
            version=stored.version,
            state=stored.state,
            content=stored.record.model_dump(mode="json"),
            saved_at=stored.saved_at,
            saved_by=stored.saved_by,
            closed_at=stored.closed_at,
            closed_by=stored.closed_by,
        )
    )
    await session.flush()


async def update_draft(session: AsyncSession, stored: StoredMeeting) -> None:
    """Write `stored` over the draft row of its version (the trigger guards closed rows)."""
    await session.execute(
        update(ReviewMeetingRow)
        .where(
            ReviewMeetingRow.agreement_id == stored.agreement_id,
            ReviewMeetingRow.quarter == stored.quarter,
            ReviewMeetingRow.version == stored.version,
        )
        .values(
            state=stored.state,
            content=stored.record.model_dump(mode="json"),
            saved_at=stored.saved_at,
            saved_by=stored.saved_by,
            closed_at=stored.closed_at,
            closed_by=stored.closed_by,
        )
    )
