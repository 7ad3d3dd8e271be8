"""`by=`: figures per slice of a dimension on the KPI routes (docs/api.md, "Breakdowns").

Per-agent figures are personal data: only admin keys and keys an admin granted
`agent_detail` may ask `by=agent`; everyone else gets 403 with the reason and may ask
`by=team`. Every route that takes `by=` takes it through `ByDep`, declared before the
route's other dependencies, so the check comes before any database work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from services.core.auth.access import Principal
from services.core.auth.http import PrincipalDep
from services.core.http.problems import ProblemError
from services.core.kpi.figures import Figure
from services.core.kpi.slice_windows import SLICE_WINDOWS, DayFigures, sliceable
from services.core.storage.kpi_slices import SlicedKpis


class Dimension(StrEnum):
    PRIORITY = "priority"
    CHANNEL = "channel"
    QUEUE = "queue"
    AGENT = "agent"
    TEAM = "team"


ByQuery = Annotated[
    Dimension | None,
    Query(description="Break the figures down by this dimension: one entry per slice."),
]


def check_by(by: Dimension | None, principal: Principal) -> None:
    """403 unless the caller may see the breakdown `by` (agents: personal data)."""
    if by is Dimension.AGENT and not principal.sees_agents():
        detail = (
            "per-agent figures are personal data: an admin must grant this key agent_detail; "
            "by=team is open to every reader"
        )
        raise ProblemError(403, "Forbidden", detail, "agent-detail-not-granted")


async def allowed_by(principal: PrincipalDep, by: ByQuery = None) -> Dimension | None:
    """The `by` query parameter, once the caller may see that breakdown."""
    check_by(by, principal)
    return by


ByDep = Annotated[Dimension | None, Depends(allowed_by)]


def check_window(window: str) -> None:
    """422 unless `window` has slices (hourly rolling windows and calendar periods)."""
    if not sliceable(window):
        detail = f"by= works with {', '.join(SLICE_WINDOWS)} or a period, got {window!r}"
        raise ProblemError(422, "Unknown window", detail, "unknown-window")


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


class FigureOut(BaseModel):
    value: float | None
    n: int


def _figures(figures: dict[str, Figure]) -> dict[str, FigureOut]:
    return {k: FigureOut(value=f.value, n=f.n) for k, f in figures.items()}


class SliceOut(BaseModel):
    slice: str = Field(description="The dimension's value; none, other or unassigned too.")
    figures: dict[str, FigureOut]


class SlicedWindowOut(BaseModel):
    start: datetime
    end: datetime
    slices: list[SliceOut] = Field(description="One entry per slice with items, by value.")


class KpisByOut(BaseModel):
    """Figures of each slice of `by` in each window."""

    agreement_id: str
    by: Dimension
    stream_time: datetime | None
    windows: dict[str, SlicedWindowOut]

    @classmethod
    def of(cls, kpis: SlicedKpis, by: Dimension) -> KpisByOut:
        at = None if kpis.stream_time is None else _utc(kpis.stream_time)
        windows = {
            name: SlicedWindowOut(
                start=_utc(w.bounds.start),
                end=_utc(w.bounds.end),
                slices=[
                    SliceOut(slice=v, figures=_figures(r.figures)) for v, r in w.slices.items()
                ],
            )
            for name, w in kpis.windows.items()
        }
        return cls(agreement_id=kpis.agreement_id, by=by, stream_time=at, windows=windows)


class DayOut(BaseModel):
    start: datetime = Field(description="Local midnight of the day (UTC).")
    end: datetime
    slices: list[SliceOut]


class HistoryByOut(BaseModel):
    """One figure (`kpi`) per slice of `by` for each local day of the agreement's zone."""

    agreement_id: str
    by: Dimension
    kpi: str
    step_seconds: float
    days: list[DayOut]

    @classmethod
    def of(cls, agreement_id: str, by: Dimension, days: list[DayFigures], kpi: str) -> HistoryByOut:
        out = [
            DayOut(
                start=_utc(d.start),
                end=_utc(d.end),
                slices=[
                    SliceOut(slice=v, figures=_figures({kpi: f[kpi]})) for v, f in d.slices.items()
                ],
            )
            for d in days
        ]
        return cls(agreement_id=agreement_id, by=by, kpi=kpi, step_seconds=86_400.0, days=out)
