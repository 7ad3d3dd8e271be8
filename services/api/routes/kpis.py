"""KPI figures of agreements: `/v1/agreements` and `/v1/agreements/{id}/kpis`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.api.deps import AgreementsDep, ReaderDep
from services.api.problems import problem_responses
from services.api.query_values import Instant, period_in_range
from services.api.schemas import AgreementOut, KpisOut
from services.api.security import ScopeDep
from services.core.db.kpi_reader import agreement_kpis
from services.core.http.problems import ProblemError

router = APIRouter(prefix="/v1", tags=["kpis"])

PeriodQuery = Annotated[
    str | None,
    Query(
        description="Return only this calendar period: a month `YYYY-MM` or quarter `YYYY-Qn`.",
        examples=["2026-10", "2026-Q4"],
    ),
]
AsOfQuery = Annotated[
    Instant | None,
    Query(
        description="Evaluate at this RFC 3339 instant instead of the stream time.",
        examples=["2026-10-14T09:00:00Z"],
    ),
]


@router.get("/agreements", summary="List the agreements (a viewer's client only)")
async def list_agreements(agreements: AgreementsDep, client: ScopeDep) -> list[AgreementOut]:
    infos = [agreements[a] for a in sorted(agreements)]
    return [AgreementOut.of(i) for i in infos if client is None or i.client == client]


@router.get(
    "/agreements/{agreement_id}/kpis",
    summary="KPI figures of an agreement",
    responses=problem_responses(404, 422),
)
async def get_kpis(
    agreement_id: Annotated[str, Path(examples=["acme-helpdesk"])],
    agreements: AgreementsDep,
    reader: ReaderDep,
    period: PeriodQuery = None,
    as_of: AsOfQuery = None,
) -> KpisOut:
    """Figures of the 1h/24h/7d/30d windows and the current month and quarter, or of
    `period` alone. Without data yet, `stream_time` is null and `windows` empty."""
    info = agreements.get(agreement_id)
    if info is None:
        raise ProblemError(
            404, "Unknown agreement", f"no agreement {agreement_id!r}", "unknown-agreement"
        )
    if period is not None:
        try:
            period_in_range(period, info.params.zone)
        except ValueError as exc:
            raise ProblemError(422, "Invalid period", str(exc), "invalid-period") from None
    kpis = await agreement_kpis(
        reader,
        info.params,
        as_of=None if as_of is None else as_of.timestamp(),
        period=period,
    )
    return KpisOut.of(kpis)
