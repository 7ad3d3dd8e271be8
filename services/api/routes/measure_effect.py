"""Effect of an improvement measure: `/v1/agreements/{id}/measures/{measure_id}/effect`.

Each KPI the measure names, over `days` before its `actual_start` against as many days after,
with the difference, whether that is better or worse, and a 95 % interval (method and limits:
docs/agreements.md, "Measure effect"). A before/after comparison, not proof of cause.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.api.deps import AgreementsDep, ReaderDep
from services.api.problems import problem_responses
from services.api.routes.agreement_common import known_agreement
from services.core.http.problems import ProblemError
from services.core.kpi.effect import Direction, Method
from services.core.storage.measure_effect import MeasureEffect, measure_effect

router = APIRouter(tags=["agreements"])  # included by routes/agreements.py, under /v1


class EffectOut(BaseModel):
    kpi: str
    before: float | None
    after: float | None
    n_before: int
    n_after: int
    difference: float | None = Field(description="after - before, in the KPI's unit.")
    direction: Direction | None = Field(
        description="The difference judged by the KPI's better side."
    )
    method: Method
    interval: tuple[float, float] | None = Field(
        description="95 % confidence interval of the difference; null with too_few_data."
    )
    too_few_data: bool
    confidence: float


class MeasureEffectOut(BaseModel):
    agreement_id: str
    measure_id: str
    start: datetime
    before_start: datetime
    after_end: datetime = Field(description="Exclusive.")
    complete: bool = Field(description="False while the after period is still running.")
    min_n: int = Field(description="Items each period needs for an interval.")
    note: str = Field(description="A before/after comparison, not proof of cause.")
    effects: list[EffectOut]

    @classmethod
    def of(cls, result: MeasureEffect) -> MeasureEffectOut:
        def utc(t: float) -> datetime:
            return datetime.fromtimestamp(t, tz=UTC)

        return cls(
            agreement_id=result.agreement_id,
            measure_id=result.measure_id,
            start=utc(result.start),
            before_start=utc(result.before_start),
            after_end=utc(result.after_end),
            complete=result.complete,
            min_n=result.min_n,
            note=result.note,
            effects=[
                EffectOut(
                    kpi=e.kpi,
                    before=e.before,
                    after=e.after,
                    n_before=e.n_before,
                    n_after=e.n_after,
                    difference=e.difference,
                    direction=e.direction,
                    method=e.method,
                    interval=e.interval,
                    too_few_data=e.too_few_data,
                    confidence=e.confidence,
                )
                for e in result.effects
            ],
        )


@router.get(
    "/agreements/{agreement_id}/measures/{measure_id}/effect",
    summary="Before/after comparison of the KPIs an improvement measure names",
    responses=problem_responses(404, 422),
)
async def get_measure_effect(
    agreement_id: Annotated[str, Path(examples=["acme-helpdesk"])],
    measure_id: Annotated[str, Path(examples=["kb-returns"])],
    agreements: AgreementsDep,
    reader: ReaderDep,
    days: Annotated[
        int, Query(ge=1, le=92, description="Length of each period, before and after the start.")
    ] = 28,
) -> MeasureEffectOut:
    """One entry per KPI of the measure; the measure needs an `actual_start`."""
    info = known_agreement(agreements, agreement_id)
    measure = next((m for m in info.agreement.measures if m.measure_id == measure_id), None)
    if measure is None:
        detail = f"agreement {agreement_id!r} has no measure {measure_id!r}"
        raise ProblemError(404, "Unknown measure", detail, "unknown-measure")
    if measure.actual_start is None:
        detail = f"measure {measure_id!r} has no actual_start yet"
        raise ProblemError(422, "Measure not started", detail, "measure-not-started")
    return MeasureEffectOut.of(await measure_effect(reader, info.params, measure, days))
