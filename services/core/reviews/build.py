"""Build a `ReviewPack` from `PackInputs`: pure, no I/O, no clock (docs/reviews.md).

Figures are copied from the KPI API's answers, measure rows and delays from the monthly
report's own functions, effects from the effect route's statistics; the pack derives only
statuses (docs/sla.md), discussion points and the term's deadlines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.core.agreements.model import Agreement, targets_at
from services.core.agreements.sla import evaluate_target
from services.core.agreements.targets import TargetVersion
from services.core.agreements.term import today_in
from services.core.kpi.effect import NOT_PROOF_OF_CAUSE
from services.core.kpi.figures import Figure
from services.core.kpi.windows import period_bounds
from services.core.reports.build import measure_row, value_kind
from services.core.reports.inputs import Figures
from services.core.reports.model import MonthPoint, Value
from services.core.reviews.actions import ActionItemState
from services.core.reviews.inputs import PackInputs
from services.core.reviews.model import (
    ActionItemRow,
    ActionItems,
    EffectRow,
    Header,
    MeasureReview,
    MonthFigure,
    QuarterTrend,
    ReviewPack,
    TargetQuarterRow,
)
from services.core.reviews.points import discussion_points, term_review
from services.core.reviews.quarters import months_of, shift_quarter
from services.core.storage.measure_effect import MeasureEffect

_EMPTY = Figure(None, 0)


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def quarter_targets(agreement: Agreement, quarter: str) -> list[TargetVersion]:
    """The version of each target in effect at the end of the quarter (retired ones left out)."""
    _, end = period_bounds(quarter, agreement.zone)
    return targets_at(agreement, _utc(end) - timedelta(microseconds=1))


def last_day(agreement: Agreement, quarter: str) -> date:
    _, end = period_bounds(quarter, agreement.zone)
    return (_utc(end).astimezone(agreement.zone) - timedelta(days=1)).date()


def header(inputs: PackInputs) -> Header:
    agreement = inputs.agreement
    start, end = period_bounds(inputs.quarter, agreement.zone)
    first, second, third = months_of(inputs.quarter)
    return Header(
        agreement_id=agreement.agreement_id,
        agreement_name=agreement.name,
        client_name=agreement.parties.client.name,
        provider_name=agreement.parties.provider.name,
        quarter=inputs.quarter,
        months=(first, second, third),
        period_start=_utc(start),
        period_end=_utc(end),
        zone=str(agreement.zone),
        generated_at=inputs.generated_at,
        stream_time=None if inputs.stream_time is None else _utc(inputs.stream_time),
        version=inputs.version,
        state=inputs.state,
    )


def target_row(
    t: TargetVersion, months: list[tuple[str, Figures]], quarter: Figures
) -> TargetQuarterRow:
    """Each month and the quarter judged against the target version in effect at its end."""
    cells = []
    for period, figures in months:
        figure = figures.get(t.kpi, _EMPTY)
        status = evaluate_target(t, figure).status.value
        cells.append(MonthFigure(period=period, value=figure.value, n=figure.n, status=status))
    figure = quarter.get(t.kpi, _EMPTY)
    judged = evaluate_target(t, figure)
    return TargetQuarterRow(
        target_id=t.target_id,
        kpi=t.kpi,
        kind=value_kind(t.kpi),
        direction=t.direction,
        baseline=t.baseline,
        target=t.target,
        at_risk_band=t.at_risk_band,
        months=tuple(cells),
        quarter=Value(value=figure.value, n=figure.n),
        status=judged.status.value,
        progress_percent=judged.progress_percent,
    )


def trend(t: TargetVersion, monthly: list[tuple[str, Figures]]) -> QuarterTrend:
    points = [
        MonthPoint(period=p, value=f.get(t.kpi, _EMPTY).value, n=f.get(t.kpi, _EMPTY).n)
        for p, f in monthly
    ]
    return QuarterTrend(
        target_id=t.target_id,
        kpi=t.kpi,
        kind=value_kind(t.kpi),
        target=t.target,
        baseline=t.baseline,
        monthly=tuple(points),
    )


def effect_rows(result: MeasureEffect) -> tuple[EffectRow, ...]:
    return tuple(
        EffectRow(
            kpi=e.kpi,
            kind=value_kind(e.kpi),
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
    )


def measures(inputs: PackInputs) -> tuple[MeasureReview, ...]:
    """Every measure with status and delay at the quarter's last day, and its effect."""
    as_of = last_day(inputs.agreement, inputs.quarter)
    out = []
    for m in inputs.agreement.measures:
        found = inputs.effects.get(m.measure_id)
        out.append(
            MeasureReview(
                measure=measure_row(m, as_of, ""),
                effect_start=None if found is None else _utc(found.start),
                effect_days=inputs.effect_days,
                complete=found is not None and found.complete,
                effects=() if found is None else effect_rows(found),
            )
        )
    return tuple(out)


def action_item(item: ActionItemState, today: date) -> ActionItemRow:
    return ActionItemRow(
        item_id=item.item_id,
        title=item.title,
        owner=item.owner,
        due=item.due_date,
        status=item.status,
        overdue=item.status == "open" and item.due_date < today,
        targets=item.targets,
        note=item.note,
        measure_id=item.measure_id,
        measure_status=item.measure_status,
        meeting_version=item.meeting_version,
    )


def build_pack(inputs: PackInputs) -> ReviewPack:
    """The review pack of `inputs.quarter` for `inputs.agreement`."""
    agreement = inputs.agreement
    monthly = list(inputs.monthly)
    figures = dict(monthly)
    months = [(m, figures.get(m, {})) for m in months_of(inputs.quarter)]
    targets = quarter_targets(agreement, inputs.quarter)
    rows = tuple(target_row(t, months, inputs.quarter_figures) for t in targets)
    today = today_in(agreement.zone, inputs.generated_at)
    items = inputs.action_items
    return ReviewPack(
        header=header(inputs),
        targets=rows,
        trends=tuple(trend(t, monthly) for t in targets),
        discussion=discussion_points(rows),
        term=term_review(agreement.term, today, inputs.quarter),
        measures=measures(inputs),
        action_items=ActionItems(
            previous_quarter=shift_quarter(inputs.quarter, -1),
            available=items is not None,
            items=tuple(action_item(i, today) for i in items or ()),
        ),
        note=NOT_PROOF_OF_CAUSE,
    )
