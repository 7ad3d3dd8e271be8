"""KPI history: `/v1/agreements/{id}/kpis/history`, from the worker's figure snapshots.

The leader worker stores every figure of every window each METRICS_SNAPSHOT_INTERVAL_SECONDS
(wall-clock `taken_at`) and deletes snapshots older than METRICS_SNAPSHOT_RETENTION_DAYS.
This route downsamples them: the last snapshot of each `step` bucket, buckets aligned to
`from`.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.api.breakdowns import ByDep, HistoryByOut
from services.api.deps import AgreementsDep, ReaderDep, SessionDep
from services.api.problems import problem_responses
from services.api.query_values import Instant, period_in_range
from services.api.routes.agreement_common import known_agreement
from services.core.http.problems import ProblemError
from services.core.kpi.figures import FIGURE_NAMES
from services.core.kpi.windows import ROLLING_WINDOWS
from services.core.storage.kpi_slices import SliceReader, daily_by
from services.core.storage.repository import SnapshotRow, read_snapshots

router = APIRouter(prefix="/v1", tags=["kpis"])
MAX_POINTS = 10_000
DEFAULT_SPAN_SECONDS = 86_400.0
_STEP = re.compile(r"^(?P<count>[1-9][0-9]*)(?P<unit>[smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


class PointOut(BaseModel):
    taken_at: datetime = Field(description="When the snapshot was taken (wall clock, UTC).")
    value: float | None
    n: int
    window_start: datetime
    window_end: datetime


class HistoryOut(BaseModel):
    agreement_id: str
    kpi: str
    window: str
    step_seconds: float
    points: list[PointOut] = Field(description="Last snapshot per step, oldest first.")


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def _invalid(title: str, detail: str, kind: str) -> ProblemError:
    return ProblemError(422, title, detail, kind)


def step_seconds(step: str) -> float:
    """Seconds of a step like `30s`, `5m`, `1h`, `1d`."""
    match = _STEP.match(step)
    if match is None:
        raise _invalid(
            "Invalid step", f"step must look like 30s, 5m, 1h or 1d, got {step!r}", "invalid-step"
        )
    return float(int(match["count"]) * _UNIT_SECONDS[match["unit"]])


def downsample(rows: list[SnapshotRow], start: float, step: float) -> list[SnapshotRow]:
    """The last row of each step bucket [start + k*step, start + (k+1)*step); rows sorted."""
    last: dict[int, SnapshotRow] = {}
    for row in rows:
        last[math.floor((row.taken_at - start) / step)] = row
    return [last[k] for k in sorted(last)]


@router.get(
    "/agreements/{agreement_id}/kpis/history",
    summary="History of one KPI figure of one window",
    responses=problem_responses(403, 404, 422),
)
async def kpi_history(
    agreement_id: Annotated[str, Path(examples=["acme-helpdesk"])],
    by: ByDep,
    agreements: AgreementsDep,
    session: SessionDep,
    reader: ReaderDep,
    kpi: Annotated[str, Query(description="A figure name of docs/kpis.md.")],
    window: Annotated[str, Query(description="1h, 24h, 7d, 30d, or a period label.")] = "24h",
    from_: Annotated[Instant | None, Query(alias="from")] = None,
    to: Annotated[Instant | None, Query(description="Exclusive; default now.")] = None,
    step: Annotated[str, Query(examples=["1h"])] = "1h",
) -> HistoryOut | HistoryByOut:
    """Snapshots of `kpi` over `window` with `from <= taken_at < to` (default: the last
    24 hours), the last one per `step`. At most 10 000 steps per request.

    With `by` (and `step=1d`): `kpi` of each slice of that dimension per local day of the
    agreement's zone, computed from the day's hour buckets (`window` does not apply)."""
    info = known_agreement(agreements, agreement_id)
    if kpi not in FIGURE_NAMES:
        raise _invalid("Unknown KPI", f"no figure {kpi!r}; see docs/kpis.md", "unknown-kpi")
    if window not in ROLLING_WINDOWS:
        try:
            period_in_range(window, info.params.zone)
        except ValueError as exc:
            detail = (
                f"window must be one of {', '.join(ROLLING_WINDOWS)} or a period, got {window!r}"
                f" ({exc})"
            )
            raise _invalid("Unknown window", detail, "unknown-window") from None
    seconds = step_seconds(step)
    until = time.time() if to is None else to.timestamp()
    since = until - DEFAULT_SPAN_SECONDS if from_ is None else from_.timestamp()
    if since > until:
        raise _invalid("Invalid range", "from must not be after to", "invalid-range")
    if (until - since) / seconds > MAX_POINTS:
        detail = f"{step} steps from {_utc(since)} to {_utc(until)} exceed {MAX_POINTS} points"
        raise _invalid("Too many points", detail, "too-many-points")
    if by is not None:
        if seconds != 86_400.0:
            raise _invalid("Invalid step", "with by=, step must be 1d", "invalid-step")
        if not isinstance(reader, SliceReader):
            raise ProblemError(501, "No breakdowns", "this reader has no slices", "no-slices")
        days = await daily_by(reader, info.params, by.value, since, until)
        return HistoryByOut.of(agreement_id, by, list(days), kpi)
    rows = await read_snapshots(session, agreement_id, kpi, window, since, until)
    points = [
        PointOut(
            taken_at=_utc(r.taken_at),
            value=r.value,
            n=r.n,
            window_start=_utc(r.window_start),
            window_end=_utc(r.window_end),
        )
        for r in downsample(rows, since, seconds)
    ]
    return HistoryOut(
        agreement_id=agreement_id, kpi=kpi, window=window, step_seconds=seconds, points=points
    )
