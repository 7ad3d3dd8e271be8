"""Shared calendars in PostgreSQL: one row per calendar, its document and a change counter.

Callers own the transaction. Writing the same document again is not a change (the version
stays), so reloading a year that the package did not change publishes nothing new.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.calendars import Calendar, to_document
from services.core.storage.agreements_repo import lock_agreement
from services.core.storage.models import CalendarRow

log = logging.getLogger(__name__)
_COLUMNS = (
    CalendarRow.document,
    CalendarRow.version,
    CalendarRow.created_at,
    CalendarRow.updated_at,
)


@dataclass(frozen=True, slots=True)
class StoredCalendar:
    """A calendar as stored, with its change counter and timestamps."""

    calendar: Calendar
    version: int
    created_at: datetime
    updated_at: datetime


def _stored(
    document: dict[str, Any], version: int, created: datetime, updated: datetime
) -> StoredCalendar:
    return StoredCalendar(Calendar.model_validate(document), version, created, updated)


async def lock_calendar(session: AsyncSession, calendar_id: str) -> None:
    """Hold a lock on `calendar_id` until the transaction ends (read-merge-write cycles)."""
    # The agreements' lock namespace: a calendar key cannot equal an agreement id.
    await lock_agreement(session, f"calendar:{calendar_id}")


async def get_calendar(session: AsyncSession, calendar_id: str) -> StoredCalendar | None:
    """The stored calendar, or None."""
    query = select(*_COLUMNS).where(CalendarRow.calendar_id == calendar_id)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else _stored(*row)


async def list_calendars(session: AsyncSession) -> list[StoredCalendar]:
    """Every calendar, by id; a document that no longer validates is skipped."""
    stored = []
    for row in await session.execute(select(*_COLUMNS).order_by(CalendarRow.calendar_id)):
        try:
            stored.append(_stored(*row))
        except ValidationError:
            log.exception("stored calendar %s is invalid; skipped", row[0].get("calendar_id"))
    return stored


async def save_calendar(session: AsyncSession, calendar: Calendar) -> tuple[StoredCalendar, bool]:
    """Create or replace `calendar`; (stored, created)."""
    created = await get_calendar(session, calendar.calendar_id) is None
    stmt = insert(CalendarRow).values(
        calendar_id=calendar.calendar_id, document=to_document(calendar), version=1
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[CalendarRow.calendar_id],
        set_={
            "document": stmt.excluded.document,
            "version": CalendarRow.version + 1,
            "updated_at": func.now(),
        },
        where=CalendarRow.document.is_distinct_from(stmt.excluded.document),
    )
    await session.execute(stmt)
    stored = await get_calendar(session, calendar.calendar_id)
    assert stored is not None  # written above, in this transaction
    return stored, created
