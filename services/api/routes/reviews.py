"""Quarterly review packs: list, read as JSON / HTML / PDF, issue (docs/reviews.md).

Roles as for the monthly report: a viewer reads the issued versions of its client's
agreements; an admin also reads the live draft (version 0, built now) and may issue. One
`ReviewPack` model feeds all formats.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel

from services.api.deps import AgreementsDep, ReaderDep, SessionDep
from services.api.problems import problem_responses
from services.api.routes.agreement_common import known_agreement
from services.core.agreements.model import Agreement
from services.core.auth.access import Permission
from services.core.auth.http import PrincipalDep
from services.core.http.problems import ProblemError
from services.core.reports.lifecycle import utcnow
from services.core.reports.render.pdf import render_pdf
from services.core.reviews import service, store
from services.core.reviews.actions import ActionItemSource, MeetingRecords
from services.core.reviews.inputs import EFFECT_DAYS
from services.core.reviews.model import ReviewPack
from services.core.reviews.render.html import render_html

router = APIRouter(prefix="/v1", tags=["reviews"])
AgreementId = Annotated[str, Path(examples=["acme-helpdesk"])]
Quarter = Annotated[str, Path(pattern=r"^\d{4}-Q[1-4]$", examples=["2026-Q4"])]
Lang = Annotated[Literal["zh-CN", "en"] | None, Query(description="Default: the agreement's.")]
EffectDays = Annotated[
    int,
    Query(
        ge=7,
        le=92,
        description="Days compared before and after each measure's start (live draft and issue"
        " only; an issued version keeps the days it was issued with).",
    ),
]
_DOCUMENT = re.compile(r"^(?P<quarter>\d{4}-Q[1-4])(?P<ext>\.html|\.pdf)?$")


def action_items_source(session: SessionDep) -> ActionItemSource:
    """Where the pack reads the previous review's action items: the meeting records in
    PostgreSQL, in the request's session (the issue route's transaction included)."""
    return MeetingRecords(session)


ActionsDep = Annotated[ActionItemSource, Depends(action_items_source)]


class PackVersionOut(BaseModel):
    quarter: str
    version: int
    state: str
    issued_at: str
    issued_by: str
    content_hash: str
    changes: list[dict[str, Any]]


class ReviewsOut(BaseModel):
    agreement_id: str
    versions: list[PackVersionOut]


def _version_out(s: store.StoredPack) -> PackVersionOut:
    return PackVersionOut(
        quarter=s.quarter,
        version=s.version,
        state=s.state,
        issued_at=s.issued_at.isoformat(),
        issued_by=s.issued_by,
        content_hash=s.content_hash,
        changes=s.changes,
    )


def _no_pack(agreement_id: str, quarter: str) -> ProblemError:
    detail = f"agreement {agreement_id!r} has no issued review pack for {quarter}"
    return ProblemError(404, "Unknown review pack", detail, "unknown-review")


@router.get(
    "/agreements/{agreement_id}/reviews",
    summary="Issued review packs of an agreement, every version",
    responses=problem_responses(404),
)
async def list_reviews(
    agreement_id: AgreementId, agreements: AgreementsDep, session: SessionDep
) -> ReviewsOut:
    known_agreement(agreements, agreement_id)
    found = await store.versions(session, agreement_id)
    return ReviewsOut(agreement_id=agreement_id, versions=[_version_out(s) for s in found])


@router.get(
    "/agreements/{agreement_id}/reviews/{document}",
    summary="One quarter's review pack as JSON, `.html` or `.pdf`",
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}}},
        **problem_responses(404, 422),
    },
)
async def get_review(
    agreement_id: AgreementId,
    document: Annotated[str, Path(examples=["2026-Q4", "2026-Q4.html", "2026-Q4.pdf"])],
    agreements: AgreementsDep,
    session: SessionDep,
    reader: ReaderDep,
    principal: PrincipalDep,
    actions: ActionsDep,
    lang: Lang = None,
    effect_days: EffectDays = EFFECT_DAYS,
    version: Annotated[
        int | None, Query(ge=0, le=2**31 - 1, description="0: the live draft.")
    ] = None,
) -> Any:
    """The latest issued version, or `version`; admins get the live draft (version 0) when
    nothing was issued yet or when they ask for `version=0`."""
    match = _DOCUMENT.match(document)
    if match is None:
        detail = f"expected YYYY-Qn, YYYY-Qn.html or YYYY-Qn.pdf, got {document!r}"
        raise ProblemError(422, "Invalid review pack", detail, "invalid-review")
    quarter, ext = match["quarter"], match["ext"]
    agreement = known_agreement(agreements, agreement_id).agreement
    manager = principal.can(Permission.MANAGE)
    pack = await _pack(session, reader, actions, agreement, quarter, version, manager, effect_days)
    language = lang or agreement.report_language
    if ext is None:
        return Response(pack.model_dump_json(), media_type="application/json")
    page = await asyncio.to_thread(render_html, pack, language)
    if ext == ".html":
        return Response(page, media_type="text/html; charset=utf-8")
    pdf = await asyncio.to_thread(render_pdf, page)
    name = f"{agreement_id}-{quarter}-v{pack.header.version}-{language}.pdf"
    headers = {"Content-Disposition": f'inline; filename="{name}"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


async def _pack(
    session: SessionDep,
    reader: ReaderDep,
    actions: ActionItemSource,
    agreement: Agreement,
    quarter: str,
    number: int | None,
    manager: bool,
    effect_days: int,
) -> ReviewPack:
    agreement_id = agreement.agreement_id
    if number == 0 or (number is None and manager):
        stored = None if number == 0 else await store.version(session, agreement_id, quarter)
        if stored is None:
            if not manager:
                raise _no_pack(agreement_id, quarter)
            return await service.preview(
                reader, agreement, quarter, now=utcnow(), actions=actions, effect_days=effect_days
            )
        return stored.pack()
    stored = await store.version(session, agreement_id, quarter, number)
    if stored is None:
        raise _no_pack(agreement_id, quarter)
    return stored.pack()


@router.post(
    "/agreements/{agreement_id}/reviews/{quarter}/issue",
    summary="Issue the review pack: a new immutable version when anything changed",
    responses={201: {"description": "Issued"}, **problem_responses(403, 404, 422)},
)
async def issue_review(
    agreement_id: AgreementId,
    quarter: Quarter,
    agreements: AgreementsDep,
    session: SessionDep,
    reader: ReaderDep,
    principal: PrincipalDep,
    actions: ActionsDep,
    response: Response,
    effect_days: EffectDays = EFFECT_DAYS,
) -> PackVersionOut:
    """Stores the next version (state `final`) unless it would equal the latest one."""
    agreement = known_agreement(agreements, agreement_id).agreement
    if not principal.can(Permission.MANAGE):
        raise ProblemError(403, "Forbidden", "only admins issue review packs", "forbidden")
    async with session.begin():
        stored, created = await service.issue(
            session,
            reader,
            agreement,
            quarter,
            now=utcnow(),
            state="final",
            issued_by=principal.key_id,
            actions=actions,
            effect_days=effect_days,
        )
    if created:
        response.status_code = 201
    return _version_out(stored)
