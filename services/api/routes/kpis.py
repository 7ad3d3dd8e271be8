"""KPI figures of agreements: `/v1/agreements` and `/v1/agreements/{id}/kpis`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.api.breakdowns import ByDep, KpisByOut, check_window
from services.api.deps import AgreementsDep, ReaderDep
from services.api.problems import problem_responses
from services.api.query_values import Instant, period_in_range
from services.api.routes.agreement_common import known_agreement
from services.api.schemas import AgreementOut, KpisOut
from services.api.security import ScopeDep
from services.core.http.problems import ProblemError
from services.core.kpi.windows import ROLLING_WINDOWS
from services.core.storage.kpi_reader import agreement_kpis
from services.core.storage.kpi_slices import SliceReader, agreement_kpis_by

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
WindowQuery = Annotated[
    str | None,
    Query(
        description="Return only this rolling window (with by=: 6h, 24h, 3d, 7d, 30d).",
        examples=["24h"],
    ),
]


@router.get("/agreements", summary="List the agreements (a viewer's client only)")
async def list_agreements(agreements: AgreementsDep, client: ScopeDep) -> list[AgreementOut]:
    infos = [agreements[a] for a in sorted(agreements)]
    return [AgreementOut.of(i) for i in infos if client is None or i.client == client]


@router.get(
    "/agreements/{agreement_id}/kpis",
    summary="KPI figures of an agreement",
    responses=problem_responses(403, 404, 422),
)
async def get_kpis(
    agreement_id: Annotated[str, Path(examples=["acme-helpdesk"])],
    by: ByDep,
    agreements: AgreementsDep,
    reader: ReaderDep,
    period: PeriodQuery = None,
    as_of: AsOfQuery = None,
    window: WindowQuery = None,
) -> KpisOut | KpisByOut:
    """Figures of the 1h/24h/7d/30d windows and the current month and quarter, or of
    `period` or `window` alone. Without data yet, `stream_time` is null and `windows` empty.
    With `by`, one entry per slice of that dimension (`agent` needs the agent_detail grant)."""
    info = known_agreement(agreements, agreement_id)
    if period is not None:
        try:
            period_in_range(period, info.params.zone)
        except ValueError as exc:
            raise ProblemError(422, "Invalid period", str(exc), "invalid-period") from None
    if window is not None and window not in ROLLING_WINDOWS:
        detail = f"window must be one of {', '.join(ROLLING_WINDOWS)}, got {window!r}"
        raise ProblemError(422, "Unknown window", detail, "unknown-window")
    at = None if as_of is None else as_of.timestamp()
    if by is not None:
        if window is not None:
            check_window(window)
        if not isinstance(reader, SliceReader):
            raise ProblemError(501, "No breakdowns", "this reader has no slices", "no-slices")
        sliced = await agreement_kpis_by(
            reader, info.params, by.value, as_of=at, period=period, window=window
        )
        return KpisByOut.of(sliced, by)
    windows = None if window is None else [window]
    kpis = await agreement_kpis(reader, info.params, as_of=at, period=period, windows=windows)
    return KpisOut.of(kpis)
