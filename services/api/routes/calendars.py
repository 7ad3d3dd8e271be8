"""Shared business calendars: `GET /v1/calendars`, `GET/PUT /v1/calendars/{calendar_id}`.

Every reading role reads them (a calendar holds no client's data); only admin keys write
(the MANAGE permission, checked for every non-GET route by services/api/security.py). A
write commits, then publishes the calendar on the agreements topic, from which every worker
puts it into the agreements that name it (services/metrics/calendar_book.py). Rules:
docs/agreements.md, "Calendars"; how the clock reads them: docs/kpis.md.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, ValidationError

from services.api.deps import CatalogDep, SessionDep
from services.api.problems import problem_responses
from services.core.agreements.calendars import Calendar, CalendarInput
from services.core.http.problems import ProblemError
from services.core.storage import calendars_repo as repo
from services.core.storage.calendars_repo import StoredCalendar

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["calendars"])
CalendarId = Annotated[str, Path(examples=["cn-default"])]


class CalendarOut(BaseModel):
    """A stored calendar with its change counter."""

    calendar: Calendar
    version: int = Field(description="Counts the changes of the stored document.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, stored: StoredCalendar) -> CalendarOut:
        return cls(
            calendar=stored.calendar,
            version=stored.version,
            created_at=stored.created_at,
            updated_at=stored.updated_at,
        )


class CalendarSummary(BaseModel):
    """One line of the calendar list."""

    calendar_id: str
    name: str
    years: list[int] = Field(description="The years that have a version of their own.")
    version: int


@router.get("/calendars", summary="Every shared calendar")
async def list_calendars(session: SessionDep) -> list[CalendarSummary]:
    """Every shared calendar, by id (all of them, whatever the caller's client)."""
    return [
        CalendarSummary(
            calendar_id=s.calendar.calendar_id,
            name=s.calendar.name,
            years=list(s.calendar.years),
            version=s.version,
        )
        for s in await repo.list_calendars(session)
    ]


@router.get(
    "/calendars/{calendar_id}", summary="A shared calendar", responses=problem_responses(404)
)
async def get_calendar(calendar_id: CalendarId, session: SessionDep) -> CalendarOut:
    """The stored calendar with every year's version."""
    stored = await repo.get_calendar(session, calendar_id)
    if stored is None:
        detail = f"no calendar {calendar_id!r}"
        raise ProblemError(404, "Unknown calendar", detail, "unknown-calendar")
    return CalendarOut.of(stored)


@router.put(
    "/calendars/{calendar_id}",
    summary="Create or replace a shared calendar",
    responses={201: {"description": "Created"}, **problem_responses(422)},
)
async def put_calendar(
    calendar_id: CalendarId,
    body: CalendarInput,
    session: SessionDep,
    catalog: CatalogDep,
    response: Response,
) -> CalendarOut:
    """Every year's version as given; the agreements naming it follow at once."""
    try:
        calendar = Calendar(calendar_id=calendar_id, **dict(body))
    except ValidationError as exc:
        detail = "; ".join(e["msg"] for e in exc.errors())
        raise ProblemError(422, "Invalid calendar", detail, "invalid-calendar") from None
    async with session.begin():
        await repo.lock_calendar(session, calendar_id)
        stored, created = await repo.save_calendar(session, calendar)
    if catalog.publisher is not None:
        try:
            await catalog.publisher.publish_calendar(stored.calendar, stored.version)
        except Exception:  # the write stands; the next write of it publishes again
            log.exception("publishing calendar %s failed", calendar_id)
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/v1/calendars/{calendar_id}"
    return CalendarOut.of(stored)
