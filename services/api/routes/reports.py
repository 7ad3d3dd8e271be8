"""Monthly reports: list, read as JSON / HTML / PDF, edit the draft's free text, issue.

Who sees what (docs/reports.md): a viewer reads the issued versions of its client's
agreements; an admin also reads the live draft (version 0, built now from the current
figures and the draft text) and may edit and issue. One `Report` model feeds all formats.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from services.api.deps import AgreementsDep, ReaderDep, SessionDep
from services.api.problems import problem_responses
from services.api.routes.agreement_common import known_agreement
from services.core.agreements.model import Agreement
from services.core.auth.access import Permission
from services.core.auth.http import PrincipalDep
from services.core.http.problems import ProblemError
from services.core.reports import service, store
from services.core.reports.lifecycle import utcnow
from services.core.reports.model import FreeText, Report
from services.core.reports.notify import notifier_of
from services.core.reports.periods import parse_month
from services.core.reports.render.html import render_html
from services.core.reports.render.pdf import render_pdf

router = APIRouter(prefix="/v1", tags=["reports"])
AgreementId = Annotated[str, Path(examples=["acme-helpdesk"])]
Period = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"])]
Lang = Annotated[Literal["zh-CN", "en"] | None, Query(description="Default: the agreement's.")]
_DOCUMENT = re.compile(r"^(?P<period>\d{4}-(0[1-9]|1[0-2]))(?P<ext>\.html|\.pdf)?$")


class VersionOut(BaseModel):
    period: str
    version: int
    state: str
    issued_at: str
    issued_by: str
    content_hash: str
    changes: list[dict[str, Any]]


class ReportsOut(BaseModel):
    agreement_id: str
    versions: list[VersionOut]


def _version_out(s: store.StoredReport) -> VersionOut:
    return VersionOut(
        period=s.period,
        version=s.version,
        state=s.state,
        issued_at=s.issued_at.isoformat(),
        issued_by=s.issued_by,
        content_hash=s.content_hash,
        changes=s.changes,
    )


def _no_report(agreement_id: str, period: str) -> ProblemError:
    detail = f"agreement {agreement_id!r} has no issued report for {period}"
    return ProblemError(404, "Unknown report", detail, "unknown-report")


@router.get(
    "/agreements/{agreement_id}/reports",
    summary="Issued reports of an agreement, every version",
    responses=problem_responses(404),
)
async def list_reports(
    agreement_id: AgreementId, agreements: AgreementsDep, session: SessionDep
) -> ReportsOut:
    known_agreement(agreements, agreement_id)
    found = await store.versions(session, agreement_id)
    return ReportsOut(agreement_id=agreement_id, versions=[_version_out(s) for s in found])


@router.get(
    "/agreements/{agreement_id}/reports/{document}",
    summary="One month's report as JSON, `.html` or `.pdf`",
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}}},
        **problem_responses(404, 422),
    },
)
async def get_report(
    agreement_id: AgreementId,
    document: Annotated[str, Path(examples=["2026-10", "2026-10.html", "2026-10.pdf"])],
    agreements: AgreementsDep,
    session: SessionDep,
    reader: ReaderDep,
    principal: PrincipalDep,
    lang: Lang = None,
    version: Annotated[int | None, Query(ge=0, description="0: the live draft.")] = None,
) -> Any:
    """The latest issued version, or `version`; admins get the live draft (version 0) when
    nothing was issued yet or when they ask for `version=0`."""
    match = _DOCUMENT.match(document)
    if match is None:
        detail = f"expected YYYY-MM, YYYY-MM.html or YYYY-MM.pdf, got {document!r}"
        raise ProblemError(422, "Invalid report", detail, "invalid-report")
    period, ext = match["period"], match["ext"]
    agreement = known_agreement(agreements, agreement_id).agreement
    report = await _report(
        session, reader, agreement, period, version, principal.can(Permission.MANAGE)
    )
    language = lang or agreement.report_language
    if ext == ".html":
        page = await asyncio.to_thread(render_html, report, language)
        return Response(page, media_type="text/html; charset=utf-8")
    if ext == ".pdf":
        page = await asyncio.to_thread(render_html, report, language)
        pdf = await asyncio.to_thread(render_pdf, page)
        name = f"{agreement_id}-{period}-v{report.header.version}-{language}.pdf"
        headers = {"Content-Disposition": f'inline; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=headers)
    return Response(report.model_dump_json(), media_type="application/json")


async def _report(
    session: SessionDep,
    reader: ReaderDep,
    agreement: Agreement,
    period: str,
    number: int | None,
    manager: bool,
) -> Report:
    if number == 0 or (number is None and manager):
        stored = (
            None if number == 0 else await store.version(session, agreement.agreement_id, period)
        )
        if stored is None:
            if not manager:
                raise _no_report(agreement.agreement_id, period)
            return await service.preview(session, reader, agreement, period, now=utcnow())
        return stored.report()
    stored = await store.version(session, agreement.agreement_id, period, number)
    if stored is None:
        raise _no_report(agreement.agreement_id, period)
    return stored.report()


@router.get(
    "/agreements/{agreement_id}/reports/{period}/draft",
    summary="The free text of a report's draft (admins)",
    responses=problem_responses(404, 403),
)
async def get_draft(
    agreement_id: AgreementId,
    period: Period,
    agreements: AgreementsDep,
    session: SessionDep,
    principal: PrincipalDep,
) -> FreeText:
    known_agreement(agreements, agreement_id)
    if not principal.can(Permission.MANAGE):
        raise ProblemError(403, "Forbidden", "only admins read drafts", "forbidden")
    return await store.draft(session, agreement_id, period)


@router.put(
    "/agreements/{agreement_id}/reports/{period}/draft",
    summary="Write the free text of a report's next version",
    responses=problem_responses(404, 422),
)
async def put_draft(
    agreement_id: AgreementId,
    period: Period,
    body: FreeText,
    agreements: AgreementsDep,
    session: SessionDep,
    principal: PrincipalDep,
) -> FreeText:
    agreement = known_agreement(agreements, agreement_id).agreement
    unknown = set(body.measures) - {m.measure_id for m in agreement.measures}
    if unknown:
        detail = f"no measures {sorted(unknown)} in agreement {agreement_id!r}"
        raise ProblemError(422, "Unknown measure", detail, "unknown-measure")
    async with session.begin():
        await store.save_draft(session, agreement_id, period, body, utcnow(), principal.key_id)
    return body


@router.post(
    "/agreements/{agreement_id}/reports/{period}/issue",
    summary="Issue the report as final: a new immutable version with the draft's text",
    responses={201: {"description": "Issued"}, **problem_responses(404, 422)},
)
async def issue_report(
    agreement_id: AgreementId,
    period: Period,
    agreements: AgreementsDep,
    session: SessionDep,
    reader: ReaderDep,
    principal: PrincipalDep,
    request: Request,
    response: Response,
) -> VersionOut:
    """Stores the next version (state `final`) unless it would equal the latest one."""
    agreement = known_agreement(agreements, agreement_id).agreement
    parse_month(period)
    async with session.begin():
        stored, created = await service.issue(
            session,
            reader,
            agreement,
            period,
            now=utcnow(),
            state="final",
            issued_by=principal.key_id,
        )
    if created:
        response.status_code = 201
        await notifier_of(request.app).issued(agreement, stored)
    return _version_out(stored)
