"""Build a `Report` from `ReportInputs`: pure, no I/O, no clock (docs/reports.md).

Every value is copied from the figures the KPI API computes; the report derives only what
docs/sla.md defines (status, progress), differences between them, and findings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.core.agreements.model import Agreement, ImprovementMeasure, targets_at
from services.core.agreements.sla import evaluate_target
from services.core.agreements.targets import TargetVersion
from services.core.agreements.term import agreement_status, current_term_end, today_in
from services.core.kpi.figure_table import SPECS, Unit
from services.core.kpi.figures import FIGURE_NAMES, Figure
from services.core.reports import findings, quality
from services.core.reports.breakdowns import DIMENSIONS, ranked
from services.core.reports.inputs import Figures, ReportInputs
from services.core.reports.model import (
    BreachedTicket,
    Breakdown,
    DayPoint,
    Header,
    InfoRow,
    MeasureRow,
    MonthPoint,
    Report,
    TargetRow,
    Trend,
    Value,
    ValueKind,
)
from services.core.reports.periods import bounds_utc, shift

_EMPTY = Figure(None, 0)
_VALUE_KINDS: dict[Unit, ValueKind] = {
    Unit.RATIO: "ratio",
    Unit.SECONDS: "duration",
    Unit.COUNT: "count",
    Unit.SCORE: "score",
}


def value_kind(kpi: str) -> ValueKind:
    """How a figure is read: a share, a duration, a count or a mean score (docs/kpis.md)."""
    return _VALUE_KINDS[SPECS[kpi].unit]


def _value(figures: Figures, kpi: str) -> Value:
    figure = figures.get(kpi, _EMPTY)
    return Value(value=figure.value, n=figure.n)


def header(inputs: ReportInputs) -> Header:
    agreement, term = inputs.agreement, inputs.agreement.term
    start, end = bounds_utc(inputs.period, agreement.zone)
    today = today_in(agreement.zone, inputs.generated_at)
    status = agreement_status(term, today)
    term_end = current_term_end(term, today)
    notice = None
    if term_end is not None and not term.auto_renew:
        notice = term_end - timedelta(days=term.notice_days)
    stream = inputs.stream_time
    return Header(
        agreement_id=agreement.agreement_id,
        agreement_name=agreement.name,
        client_name=agreement.parties.client.name,
        provider_name=agreement.parties.provider.name,
        term_from=term.effective_from,
        term_to=term_end,
        term_status=status,
        notice_deadline=notice,
        renews_on=term_end + timedelta(days=1) if term_end and term.auto_renew else None,
        period=inputs.period,
        period_start=start,
        period_end=end,
        zone=str(agreement.zone),
        generated_at=inputs.generated_at,
        stream_time=None if stream is None else datetime.fromtimestamp(stream, UTC),
        version=inputs.version,
        state=inputs.state,
    )


def month_targets(agreement: Agreement, period: str) -> list[TargetVersion]:
    """The version of each target in effect at the end of the month (retired ones left out)."""
    _, end = bounds_utc(period, agreement.zone)
    return targets_at(agreement, end - timedelta(microseconds=1))


def target_row(t: TargetVersion, this: Figures, last: Figures) -> TargetRow:
    """One attainment row: status and progress over the month (docs/sla.md)."""
    now, before = _value(this, t.kpi), _value(last, t.kpi)
    judged = evaluate_target(t, this.get(t.kpi, _EMPTY))
    change = None
    if now.value is not None and before.value is not None:
        change = now.value - before.value
    return TargetRow(
        target_id=t.target_id,
        kpi=t.kpi,
        kind=value_kind(t.kpi),
        direction=t.direction,
        baseline=t.baseline,
        target=t.target,
        at_risk_band=t.at_risk_band,
        this_month=now,
        last_month=before,
        change=change,
        status=judged.status.value,
        progress_percent=judged.progress_percent,
    )


def trend(t: TargetVersion, inputs: ReportInputs) -> Trend:
    daily = [
        DayPoint(day=d, value=f.get(t.kpi, _EMPTY).value, n=f.get(t.kpi, _EMPTY).n)
        for d, f in inputs.daily
    ]
    monthly = [
        MonthPoint(period=p, value=f.get(t.kpi, _EMPTY).value, n=f.get(t.kpi, _EMPTY).n)
        for p, f in inputs.monthly
    ]
    return Trend(
        target_id=t.target_id,
        kpi=t.kpi,
        kind=value_kind(t.kpi),
        target=t.target,
        baseline=t.baseline,
        daily=tuple(daily),
        monthly=tuple(monthly),
    )


def breakdowns(targets: list[TargetVersion], inputs: ReportInputs) -> tuple[Breakdown, ...]:
    rows = []
    for t in targets:
        for dimension in DIMENSIONS:
            figures = inputs.slices.get((t.target_id, dimension))
            rows.append(
                Breakdown(
                    target_id=t.target_id,
                    kpi=t.kpi,
                    dimension=dimension,
                    available=figures is not None,
                    slices=ranked(dimension, figures or (), t.target, t.direction),
                )
            )
    return tuple(rows)


def delay_days(measure: ImprovementMeasure, as_of: date) -> int | None:
    """Days past the planned end: at the actual end when done (negative: early), else at
    `as_of` when the plan is overrun (0 while still on time); None without a plan."""
    if measure.planned_end is None or measure.status == "cancelled":
        return None
    if measure.actual_end is not None:
        return (measure.actual_end - measure.planned_end).days
    return max(0, (as_of - measure.planned_end).days)


def measure_row(measure: ImprovementMeasure, as_of: date, note: str) -> MeasureRow:
    return MeasureRow(
        **measure.model_dump(include=set(MeasureRow.model_fields) - {"delay_days", "month_note"}),
        delay_days=delay_days(measure, as_of),
        month_note=note,
    )


def _figures_of(inputs: ReportInputs, period: str) -> Figures:
    return next((f for p, f in inputs.monthly if p == period), {})


def build_report(inputs: ReportInputs) -> Report:
    """The report of `inputs.period` for `inputs.agreement`."""
    agreement = inputs.agreement
    this = _figures_of(inputs, inputs.period)
    last = _figures_of(inputs, shift(inputs.period, -1))
    targets = month_targets(agreement, inputs.period)
    rows = tuple(target_row(t, this, last) for t in targets)
    measured = {t.kpi for t in targets}
    others = tuple(
        InfoRow(kpi=k, kind=value_kind(k), this_month=_value(this, k), last_month=_value(last, k))
        for k in FIGURE_NAMES
        if k not in measured
    )
    trends = tuple(trend(t, inputs) for t in targets)
    directions = {t.target_id: t.direction for t in targets}
    data_quality = quality.data_quality(inputs.event_counts)
    sliced = breakdowns(targets, inputs)
    goals = {t.target_id: t.target for t in targets}
    derived = [
        *findings.target_findings(rows),
        *(findings.worst_day(tr, directions[tr.target_id]) for tr in trends),
        *(findings.worst_slice(b, goals[b.target_id], value_kind(b.kpi)) for b in sliced),
        findings.fcr_provisional(this),
        *quality.quality_findings(data_quality),
        *quality.lossy_findings(inputs.lossy_mappings),
    ]
    _, end = bounds_utc(inputs.period, agreement.zone)
    last_day = (end.astimezone(agreement.zone) - timedelta(days=1)).date()
    notes = inputs.free_text.measures
    measures = tuple(
        measure_row(m, last_day, notes.get(m.measure_id, "")) for m in agreement.measures
    )
    return Report(
        header=header(inputs),
        targets=rows,
        other_kpis=others,
        trends=trends,
        breakdowns=sliced,
        findings=findings.ordered(derived),
        data_quality=data_quality,
        measures=measures,
        next_steps=tuple(m for m in measures if m.status in ("planned", "in_progress")),
        free_text=inputs.free_text,
        breached_tickets=breached_tickets(inputs),
    )


def breached_tickets(inputs: ReportInputs) -> tuple[BreachedTicket, ...] | None:
    """The month's worst breached tickets, in the order read (largest overrun first)."""
    if inputs.breaches is None:
        return None
    return tuple(
        BreachedTicket(
            ticket_id=b.ticket_id,
            kpi="frt" if b.kpi == "frt" else "resolution",
            priority=b.priority,
            attributed_at=datetime.fromtimestamp(b.attributed_at, UTC),
            measured_seconds=b.measured_seconds,
            target_seconds=b.target_seconds,
            overrun_seconds=b.overrun_seconds,
        )
        for b in inputs.breaches
    )
