"""Agreement administration: documents and target versions (measures: agreement_measures).

Reads come from PostgreSQL (not the catalog) so a write through any replica is seen at once.
Every write commits, then updates this replica's catalog and publishes the agreement to the
workers. Rules for targets and measures: docs/agreements.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from services.api.agreement_schemas import (
    AGREEMENT_EXAMPLE,
    AgreementDetailOut,
    TargetHistoryOut,
    TargetPatch,
)
from services.api.deps import CatalogDep, SessionDep
from services.api.problems import problem_responses
from services.api.routes import agreement_measures, measure_effect
from services.api.routes.agreement_common import (
    change_problems,
    stored_or_404,
    unknown_agreement,
    written,
)
from services.core.agreements.model import AgreementInput
from services.core.http.problems import ProblemError
from services.core.storage import agreement_changes as changes
from services.core.storage import agreements_repo as repo

router = APIRouter(prefix="/v1", tags=["agreements"])
router.include_router(agreement_measures.router)  # one router for main.py to include
router.include_router(measure_effect.router)
AgreementId = Annotated[str, Path(examples=["acme-helpdesk"])]
TargetId = Annotated[str, Path(examples=["frt-attainment"])]
AgreementBody = Annotated[
    AgreementInput, Body(openapi_examples={"acme": {"value": AGREEMENT_EXAMPLE}})
]


@router.get(
    "/agreements/{agreement_id}",
    summary="An agreement: document, status, current targets",
    responses=problem_responses(404),
)
async def get_agreement(agreement_id: AgreementId, session: SessionDep) -> AgreementDetailOut:
    """The stored document (every target version), its status and the targets in effect."""
    return AgreementDetailOut.of(await stored_or_404(session, agreement_id), datetime.now(UTC))


@router.put(
    "/agreements/{agreement_id}",
    summary="Create or replace an agreement",
    responses={201: {"description": "Created"}, **problem_responses(409, 422)},
)
async def put_agreement(
    agreement_id: AgreementId,
    body: AgreementBody,
    session: SessionDep,
    catalog: CatalogDep,
    response: Response,
) -> AgreementDetailOut:
    """Targets without `effective_from` take effect now (unless unchanged); targets left out
    are retired from now. Stored target versions are never changed or removed."""
    if body.agreement_id != agreement_id:
        detail = f"body agreement_id {body.agreement_id!r} differs from the path"
        raise ProblemError(422, "Invalid agreement", detail, "invalid-agreement")
    now = datetime.now(UTC)
    with change_problems():
        async with session.begin():
            stored, created = await changes.put_agreement(session, body, now)
    await written(catalog, stored)
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/v1/agreements/{agreement_id}"
    return AgreementDetailOut.of(stored, now)


@router.delete(
    "/agreements/{agreement_id}",
    summary="Delete an agreement (to end one, set term.terminated_at instead)",
    status_code=204,
    responses=problem_responses(404),
)
async def delete_agreement(
    agreement_id: AgreementId, session: SessionDep, catalog: CatalogDep
) -> Response:
    async with session.begin():
        if not await repo.delete_agreement(session, agreement_id):
            raise unknown_agreement(agreement_id)
    catalog.forget(agreement_id)
    await catalog.publish_pending()
    return Response(status_code=204)


@router.patch(
    "/agreements/{agreement_id}/targets/{target_id}",
    summary="Change a target from a given instant (adds a version)",
    responses=problem_responses(404, 409, 422),
)
async def patch_target(
    agreement_id: AgreementId,
    target_id: TargetId,
    patch: TargetPatch,
    session: SessionDep,
    catalog: CatalogDep,
) -> TargetHistoryOut:
    with change_problems():
        async with session.begin():
            stored = await changes.add_target_version(
                session, agreement_id, target_id, patch.effective_from, patch.changes()
            )
    await written(catalog, stored)
    return TargetHistoryOut.of(stored.agreement, target_id, datetime.now(UTC))
