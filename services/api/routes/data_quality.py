"""What was not counted and why: `/v1/agreements/{id}/data-quality`.

Per agreement and period, how many events ended `accepted` (in the figures), `duplicate`,
`late`, `invalid` or `unknown` (docs/metrics.md, "Data quality"); the monthly report's
data-quality section and a client read the same numbers. Counts are kept per UTC hour, so a
period in a zone with a half-hour offset is approximated by the hours starting in it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, Field

from services.api.deps import AgreementsDep, SessionDep
from services.api.problems import problem_responses
from services.api.routes.agreement_common import known_agreement
from services.core.http.problems import ProblemError
from services.core.kpi.windows import period_bounds, periods_of
from services.core.storage.event_counts import read_counts

router = APIRouter(prefix="/v1", tags=["kpis"])


class DataQualityOut(BaseModel):
    agreement_id: str
    period: str | None = Field(description="The month or quarter asked for; null for a range.")
    start: datetime
    end: datetime = Field(description="Exclusive.")
    counts: dict[str, int] = Field(
        description="Events per outcome: accepted, duplicate, late, invalid, unknown."
    )
    not_counted: int = Field(description="Every outcome but `accepted`.")


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


@router.get(
    "/agreements/{agreement_id}/data-quality",
    summary="Events counted and not counted, and why, over a period",
    responses=problem_responses(404, 422),
)
async def data_quality(
    agreement_id: Annotated[str, Path(examples=["acme-helpdesk"])],
    agreements: AgreementsDep,
    session: SessionDep,
    period: Annotated[
        str | None,
        Query(description="A month `YYYY-MM` or quarter `YYYY-Qn` in the agreement's zone."),
    ] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: Annotated[AwareDatetime | None, Query(description="Exclusive.")] = None,
) -> DataQualityOut:
    """Counts over `period`, or over `from` .. `to`; by default the current month."""
    info = known_agreement(agreements, agreement_id)
    zone = info.params.zone
    if period is not None and (from_ is not None or to is not None):
        detail = "give either period or from/to, not both"
        raise ProblemError(422, "Invalid range", detail, "invalid-range")
    if from_ is not None or to is not None:
        since = from_.timestamp() if from_ is not None else 0.0
        until = to.timestamp() if to is not None else time.time()
    else:
        period = period or periods_of(time.time(), zone)["month"]
        try:
            since, until = period_bounds(period, zone)
        except ValueError as exc:
            raise ProblemError(422, "Invalid period", str(exc), "invalid-period") from None
    if since > until:
        raise ProblemError(422, "Invalid range", "from must not be after to", "invalid-range")
    counts = await read_counts(session, agreement_id, since, until)
    return DataQualityOut(
        agreement_id=agreement_id,
        period=period,
        start=_utc(since),
        end=_utc(until),
        counts=counts,
        not_counted=sum(n for outcome, n in counts.items() if outcome != "accepted"),
    )
