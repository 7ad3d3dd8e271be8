"""Improvement measures of an agreement: list, read, create or replace.

Measures are part of the agreement document, so a change is a new document version and is
published to the workers like any other change of the agreement.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from services.api.agreement_schemas import MEASURE_EXAMPLE
from services.api.deps import CatalogDep, SessionDep
from services.api.problems import problem_responses
from services.api.routes.agreement_common import change_problems, stored_or_404, written
from services.core.agreements.model import ImprovementMeasure
from services.core.http.problems import ProblemError
from services.core.storage import agreement_changes as changes

router = APIRouter(tags=["agreements"])  # included by routes/agreements.py, under /v1
AgreementId = Annotated[str, Path(examples=["acme-helpdesk"])]
MeasureId = Annotated[str, Path(examples=["kb-returns"])]
MeasureBody = Annotated[
    ImprovementMeasure, Body(openapi_examples={"kb": {"value": MEASURE_EXAMPLE}})
]


@router.get(
    "/agreements/{agreement_id}/measures",
    summary="Improvement measures of an agreement",
    responses=problem_responses(404),
)
async def list_measures(agreement_id: AgreementId, session: SessionDep) -> list[ImprovementMeasure]:
    return list((await stored_or_404(session, agreement_id)).agreement.measures)


@router.get(
    "/agreements/{agreement_id}/measures/{measure_id}",
    summary="One improvement measure",
    responses=problem_responses(404),
)
async def get_measure(
    agreement_id: AgreementId, measure_id: MeasureId, session: SessionDep
) -> ImprovementMeasure:
    stored = await stored_or_404(session, agreement_id)
    for measure in stored.agreement.measures:
        if measure.measure_id == measure_id:
            return measure
    detail = f"agreement {agreement_id!r} has no measure {measure_id!r}"
    raise ProblemError(404, "Unknown measure", detail, "unknown-measure")


@router.put(
    "/agreements/{agreement_id}/measures/{measure_id}",
    summary="Create or replace an improvement measure",
    responses={201: {"description": "Created"}, **problem_responses(404, 422)},
)
async def put_measure(
    agreement_id: AgreementId,
    measure_id: MeasureId,
    body: MeasureBody,
    session: SessionDep,
    catalog: CatalogDep,
    response: Response,
) -> ImprovementMeasure:
    if body.measure_id != measure_id:
        detail = f"body measure_id {body.measure_id!r} differs from the path"
        raise ProblemError(422, "Invalid measure", detail, "invalid-measure")
    with change_problems():
        async with session.begin():
            stored, created = await changes.put_measure(session, agreement_id, body)
    await written(catalog, stored)
    if created:
        response.status_code = 201
    return body
