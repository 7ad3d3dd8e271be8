"""The report as data: one versioned, JSON-serialisable model feeds the API, HTML and PDF.

Every number a reader sees is a field here; renderers only format and arrange. Texts are
not stored: a finding is a `code` plus its numbers, and the renderer looks the sentence up
in the message catalogue of the reader's language, so one report reads in Chinese and in
English. Bump `REPORT_SCHEMA_VERSION` when a field changes meaning or goes away.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.core.agreements.model import MeasureKind, MeasureStatus
from services.core.agreements.term import AgreementStatus

REPORT_SCHEMA_VERSION = 1
ReportState = Literal["preliminary", "final"]
TargetState = Literal["met", "at_risk", "breached", "no_data"]
ValueKind = Literal["ratio", "duration", "count", "score"]
Severity = Literal["high", "medium", "low"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Header(_Frozen):
    agreement_id: str
    agreement_name: str
    client_name: str
    provider_name: str
    term_from: date
    term_to: date | None
    term_status: AgreementStatus
    notice_deadline: date | None = Field(description="Last day to give notice (expiring).")
    renews_on: date | None = Field(description="First day of the next term (auto-renewing).")
    period: str = Field(description="The month, YYYY-MM, in the agreement's zone.")
    period_start: datetime
    period_end: datetime
    zone: str
    generated_at: datetime
    stream_time: datetime | None = Field(description="Figures include events up to here.")
    version: int = Field(ge=0, description="0: a draft not stored yet.")
    state: ReportState


class Value(_Frozen):
    """A figure as the KPI API returns it: value (None without items) and n."""

    value: float | None
    n: int


class TargetRow(_Frozen):
    target_id: str
    kpi: str
    kind: ValueKind
    direction: Literal["at_most", "at_least"]
    baseline: float | None
    target: float
    at_risk_band: float
    this_month: Value
    last_month: Value
    change: float | None = Field(description="this month's value minus last month's.")
    status: TargetState
    progress_percent: float | None


class InfoRow(_Frozen):
    """A figure of docs/kpis.md without a target, for information."""

    kpi: str
    kind: ValueKind
    this_month: Value
    last_month: Value


class DayPoint(_Frozen):
    day: date
    value: float | None
    n: int


class MonthPoint(_Frozen):
    period: str
    value: float | None
    n: int


class Trend(_Frozen):
    target_id: str
    kpi: str
    kind: ValueKind
    target: float
    baseline: float | None
    daily: tuple[DayPoint, ...]
    monthly: tuple[MonthPoint, ...]


class Slice(_Frozen):
    """One slice of a KPI (e.g. priority=high) with its `cost` against the target."""

    dimension: str
    key: str
    value: float | None
    n: int
    cost: float = Field(description="Items' shortfall against the target; see docs/reports.md.")


class Breakdown(_Frozen):
    target_id: str
    kpi: str
    dimension: str
    available: bool = Field(description="False: no slice data exists for this dimension yet.")
    slices: tuple[Slice, ...] = ()


class Finding(_Frozen):
    """A derived statement: the renderer turns `code` and `values` into a sentence."""

    code: str
    severity: Severity
    target_id: str | None = None
    kpi: str | None = None
    kind: ValueKind | None = None
    values: dict[str, int | float | str | None] = Field(default_factory=dict)


class DataQuality(_Frozen):
    """Events of the month per outcome, as `GET /v1/agreements/{id}/data-quality` returns them."""

    counts: dict[str, int] = Field(
        description="Events per outcome: accepted, duplicate, late, invalid, unknown."
    )
    not_counted: int = Field(description="Every outcome but `accepted`.")


class BreachedTicket(_Frozen):
    """A ticket whose first response or one resolution cycle went over its target."""

    ticket_id: str
    kpi: Literal["frt", "resolution"]
    priority: str
    attributed_at: datetime = Field(description="The reply or resolution: names the cycle.")
    measured_seconds: float
    target_seconds: float
    overrun_seconds: float = Field(description="Measured less target, in seconds.")


class MeasureRow(_Frozen):
    measure_id: str
    kind: MeasureKind
    title: str
    owner: str
    status: MeasureStatus
    planned_start: date | None
    planned_end: date | None
    actual_start: date | None
    actual_end: date | None
    delay_days: int | None = Field(description="Days late against the planned end.")
    notes: str
    month_note: str = Field(description="The provider's free text for this month.")


class FreeText(_Frozen):
    """What the provider writes before issuing; empty strings when nothing was written."""

    problems: str = Field(default="", max_length=20_000)
    next_steps: str = Field(default="", max_length=20_000)
    measures: dict[str, str] = Field(default_factory=dict)


class Report(_Frozen):
    schema_version: int = REPORT_SCHEMA_VERSION
    header: Header
    targets: tuple[TargetRow, ...]
    other_kpis: tuple[InfoRow, ...]
    trends: tuple[Trend, ...]
    breakdowns: tuple[Breakdown, ...]
    findings: tuple[Finding, ...]
    data_quality: DataQuality | None = Field(
        default=None, description="None: the counts were not read (e.g. versions issued before)."
    )
    measures: tuple[MeasureRow, ...]
    next_steps: tuple[MeasureRow, ...]
    free_text: FreeText
    breached_tickets: tuple[BreachedTicket, ...] | None = Field(
        default=None,
        description="The month's top 20 by overrun; None: not read (versions issued before).",
    )
