"""The quarterly review meeting record: `/v1/agreements/{id}/reviews/{quarter}/meeting`.

Who sees what (docs/agreements.md, "Quarterly review meeting record"): an admin acts for the
provider, writes the draft, closes it, amends it (each amendment a new version) and turns
action items into measures; a viewer of the agreement reads its closed versions only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, Response
from pydantic import BaseModel

from services.api.deps import CatalogDep, SessionDep
from services.api.problems import problem_responses
from services.api.routes.agreement_common import change_problems, stored_or_404, written
from services.core.agreements.model import ImprovementMeasure
from services.core.auth.access import Permission
from services.core.auth.http import PrincipalDep
from services.core.http.problems import ProblemError
from services.core.meetings import service, store
from services.core.meetings.model import QUARTER_PATTERN, MeetingRecord, MeetingState
from services.core.meetings.rules import (
    MeasureOptions,
    MeetingConflict,
    MeetingNotFound,
    MeetingRefused,
)
from services.core.meetings.store import StoredMeeting
from services.core.reports.lifecycle import utcnow

router = APIRouter(prefix="/v1", tags=["reviews"])
AgreementId = Annotated[str, Path(examples=["acme-helpdesk"])]
Quarter = Annotated[str, Path(pattern=QUARTER_PATTERN, examples=["2026-Q4"])]
BASE = "/agreements/{agreement_id}/reviews/{quarter}/meeting"


class MeetingOut(BaseModel):
    agreement_id: str
    quarter: str
    version: int
    state: MeetingState
    saved_at: datetime
    saved_by: str
    closed_at: datetime | None
    closed_by: str | None
    record: MeetingRecord

    @classmethod
    def of(cls, s: StoredMeeting) -> MeetingOut:
        return cls(
            agreement_id=s.agreement_id,
            quarter=s.quarter,
            version=s.version,
            state=s.state,
            saved_at=s.saved_at,
            saved_by=s.saved_by,
            closed_at=s.closed_at,
            closed_by=s.closed_by,
            record=s.record,
        )


class MeetingVersionsOut(BaseModel):
    agreement_id: str
    quarter: str
    versions: list[MeetingOut]


class MeasureMadeOut(BaseModel):
    measure: ImprovementMeasure
    meeting: MeetingOut


@contextmanager
def meeting_problems() -> Iterator[None]:
    """The rules' refusals as problem answers (agreement errors: `change_problems`)."""
    try:
        with change_problems():
            yield
    except MeetingRefused as exc:
        status = (
            404
            if isinstance(exc, MeetingNotFound)
            else 409
            if isinstance(exc, MeetingConflict)
            else 422
        )
        raise ProblemError(status, "Meeting record refused", str(exc), exc.kind) from None


def _no_meeting(agreement_id: str, quarter: str, number: int | None = None) -> ProblemError:
    which = "" if number is None else f" version {number}"
    detail = f"agreement {agreement_id!r} has no meeting record{which} for {quarter}"
    return ProblemError(404, "Unknown meeting record", detail, "unknown-meeting")


@router.get(BASE, summary="The current meeting record", responses=problem_responses(404))
async def get_meeting(
    agreement_id: AgreementId, quarter: Quarter, session: SessionDep, principal: PrincipalDep
) -> MeetingOut:
    """Admins: the latest version, the draft included; viewers: the latest closed one."""
    await stored_or_404(session, agreement_id)
    closed_only = not principal.can(Permission.MANAGE)
    found = await store.version(session, agreement_id, quarter, closed_only=closed_only)
    if found is None:
        raise _no_meeting(agreement_id, quarter)
    return MeetingOut.of(found)


@router.put(
    BASE,
    summary="Write the meeting record: the draft, or a new version once closed",
    responses={201: {"description": "Created"}, **problem_responses(404, 422)},
)
async def put_meeting(
    agreement_id: AgreementId,
    quarter: Quarter,
    body: MeetingRecord,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> MeetingOut:
    stored = await stored_or_404(session, agreement_id)
    await session.rollback()  # end the read's transaction; the write takes its own locks
    with meeting_problems():
        async with session.begin():
            meeting, outcome = await service.put_record(
                session, stored.agreement, quarter, body, utcnow(), principal.key_id
            )
    if outcome == "created":
        response.status_code = 201
    return MeetingOut.of(meeting)


@router.post(
    f"{BASE}/close",
    summary="Close the draft; later edits make new versions",
    responses=problem_responses(404, 422),
)
async def close_meeting(
    agreement_id: AgreementId, quarter: Quarter, session: SessionDep, principal: PrincipalDep
) -> MeetingOut:
    await stored_or_404(session, agreement_id)
    await session.rollback()
    with meeting_problems():
        async with session.begin():
            meeting, _ = await service.close(
                session, agreement_id, quarter, utcnow(), principal.key_id
            )
    return MeetingOut.of(meeting)


@router.get(
    f"{BASE}/versions",
    summary="Every version of the meeting record",
    responses=problem_responses(404),
)
async def list_versions(
    agreement_id: AgreementId, quarter: Quarter, session: SessionDep, principal: PrincipalDep
) -> MeetingVersionsOut:
    """Oldest first; viewers see closed versions only."""
    await stored_or_404(session, agreement_id)
    closed_only = not principal.can(Permission.MANAGE)
    found = await store.versions(session, agreement_id, quarter, closed_only=closed_only)
    return MeetingVersionsOut(
        agreement_id=agreement_id, quarter=quarter, versions=[MeetingOut.of(s) for s in found]
    )


@router.get(
    f"{BASE}/versions/{{number}}",
    summary="One version of the meeting record",
    responses=problem_responses(404),
)
async def get_version(
    agreement_id: AgreementId,
    quarter: Quarter,
    number: Annotated[int, Path(ge=1)],
    session: SessionDep,
    principal: PrincipalDep,
) -> MeetingOut:
    await stored_or_404(session, agreement_id)
    closed_only = not principal.can(Permission.MANAGE)
    found = await store.version(session, agreement_id, quarter, number, closed_only=closed_only)
    if found is None:
        raise _no_meeting(agreement_id, quarter, number)
    return MeetingOut.of(found)


@router.post(
    f"{BASE}/action-items/{{item_id}}/measure",
    summary="Turn an action item into an improvement measure of the agreement",
    responses={201: {"description": "Created"}, **problem_responses(404, 409, 422)},
)
async def make_measure(
    agreement_id: AgreementId,
    quarter: Quarter,
    item_id: Annotated[str, Path(examples=["call-scripts"])],
    session: SessionDep,
    catalog: CatalogDep,
    principal: PrincipalDep,
    response: Response,
    options: Annotated[MeasureOptions | None, Body()] = None,
) -> MeasureMadeOut:
    """One call: the measure is added to the agreement (a new agreement version, published
    like any change) and the item records its id (a new meeting version if closed)."""
    await stored_or_404(session, agreement_id)
    await session.rollback()
    with meeting_problems():
        async with session.begin():
            saved, measure, meeting = await service.make_measure(
                session,
                agreement_id,
                quarter,
                item_id,
                options or MeasureOptions(),
                utcnow(),
                principal.key_id,
            )
    await written(catalog, saved)
    response.status_code = 201
    return MeasureMadeOut(measure=measure, meeting=MeetingOut.of(meeting))
