"""The review pack as data: one versioned, JSON-serialisable model feeds the API, HTML and PDF.

As in the monthly report (services/core/reports/model.py) every number a reader sees is a
field here and texts are not stored: a discussion point is a `code` plus its numbers, the
renderer finds the sentence in the reader's catalogue. Bump `REVIEW_SCHEMA_VERSION` when a
field changes meaning or goes away.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.core.agreements.model import MeasureStatus
from services.core.agreements.term import AgreementStatus
from services.core.kpi.effect import Direction, Method
from services.core.meetings.model import ItemStatus
from services.core.reports.model import MeasureRow, MonthPoint, ReportState, TargetState, Value
from services.core.reports.model import ValueKind as ValueKind

REVIEW_SCHEMA_VERSION = 1
PointCode = Literal["met_with_room", "missed_every_month"]
NoticeDue = Literal["passed", "before_next_review", "after_next_review"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Header(_Frozen):
    agreement_id: str
    agreement_name: str
    client_name: str
    provider_name: str
    quarter: str = Field(description="YYYY-Qn, in the agreement's zone.")
    months: tuple[str, str, str]
    period_start: datetime
    period_end: datetime
    zone: str
    generated_at: datetime
    stream_time: datetime | None = Field(description="Figures include events up to here.")
    version: int = Field(ge=0, description="0: a draft not stored yet.")
    state: ReportState


class MonthFigure(_Frozen):
    period: str
    value: float | None
    n: int
    status: TargetState


class TargetQuarterRow(_Frozen):
    """A target over the quarter: each month judged on its own, and the quarter as a whole."""

    target_id: str
    kpi: str
    kind: ValueKind
    direction: Literal["at_most", "at_least"]
    baseline: float | None
    target: float
    at_risk_band: float
    months: tuple[MonthFigure, ...]
    quarter: Value = Field(description="The API's `?period=YYYY-Qn` figure.")
    status: TargetState = Field(description="The quarter's figure against the target.")
    progress_percent: float | None


class QuarterTrend(_Frozen):
    target_id: str
    kpi: str
    kind: ValueKind
    target: float
    baseline: float | None
    monthly: tuple[MonthPoint, ...] = Field(description="Since the agreement began (<= 24).")


class DiscussionPoint(_Frozen):
    """A target to talk about: met all quarter with room to spare, or missed every month."""

    code: PointCode
    target_id: str
    kpi: str
    kind: ValueKind
    values: dict[str, float | int | str | None] = Field(default_factory=dict)


class TermReview(_Frozen):
    """The agreement's term as it stands when the pack is generated (docs/agreements.md)."""

    status: AgreementStatus
    term_from: date
    term_end: date | None = Field(description="Last day of the current term; None: open-ended.")
    auto_renew: bool
    renews_on: date | None
    notice_deadline: date | None = Field(
        description="Last day to object to the automatic renewal (term end - notice_days)."
    )
    notice_due: NoticeDue | None = Field(description="The deadline against the next review.")
    next_review: date = Field(description="Earliest day of the next quarter's review.")
    ends_before_next_review: bool = Field(description="A term not renewing ends before it.")


class EffectRow(_Frozen):
    """services/core/kpi/effect.py's `Effect`, as the effect route returns it."""

    kpi: str
    kind: ValueKind
    before: float | None
    after: float | None
    n_before: int
    n_after: int
    difference: float | None
    direction: Direction | None
    method: Method
    interval: tuple[float, float] | None
    too_few_data: bool
    confidence: float


class MeasureReview(_Frozen):
    measure: MeasureRow
    effect_start: datetime | None = Field(description="None: not started, no effect read.")
    effect_days: int
    complete: bool = Field(description="False while the after period is still running.")
    effects: tuple[EffectRow, ...] = ()


class ActionItemRow(_Frozen):
    """An action item of the previous quarter's review and what became of it."""

    item_id: str
    title: str
    owner: str
    due: date
    status: ItemStatus = Field(description="As the meeting record holds it now.")
    overdue: bool = Field(description="Still open and past its due date when generated.")
    targets: tuple[str, ...] = Field(default=(), description="Target ids it concerns.")
    note: str = ""
    measure_id: str | None = Field(default=None, description="The measure it turned into.")
    measure_status: MeasureStatus | None = Field(
        default=None, description="That measure's status now (None: no such measure)."
    )
    meeting_version: int = Field(description="Version of the closed record that holds it.")


class ActionItems(_Frozen):
    previous_quarter: str
    available: bool = Field(description="False: no meeting record could be read.")
    items: tuple[ActionItemRow, ...] = ()


class ReviewPack(_Frozen):
    schema_version: int = REVIEW_SCHEMA_VERSION
    header: Header
    targets: tuple[TargetQuarterRow, ...]
    trends: tuple[QuarterTrend, ...]
    discussion: tuple[DiscussionPoint, ...]
    term: TermReview
    measures: tuple[MeasureReview, ...]
    action_items: ActionItems
    note: str = Field(description="Measure effects: a before/after comparison, not a cause.")
