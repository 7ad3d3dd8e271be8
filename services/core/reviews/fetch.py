"""Read a pack's inputs through the KPI API's and the effect route's own code.

Month and quarter figures are `agreement_kpis` windows `YYYY-MM` and `YYYY-Qn` at the
stream time (as `GET /v1/agreements/{id}/kpis?period=` computes them), measure effects
`measure_effect` (the function behind `GET .../measures/{id}/effect`), and the previous
review's action items come from an `ActionItemSource` (the meeting record).
"""

from __future__ import annotations

from datetime import datetime

from services.core.agreements.model import Agreement
from services.core.reports.inputs import Figures
from services.core.reports.model import ReportState
from services.core.reviews.actions import ActionItemSource, NoMeetingRecords
from services.core.reviews.build import last_day
from services.core.reviews.inputs import EFFECT_DAYS, PackInputs
from services.core.reviews.quarters import trend_months
from services.core.storage.kpi_reader import KpiReader, agreement_kpis
from services.core.storage.measure_effect import MeasureEffect, measure_effect


async def effects_of(
    reader: KpiReader, agreement: Agreement, quarter: str, days: int
) -> dict[str, MeasureEffect]:
    """The effect of every measure that started by the quarter's last day and names KPIs."""
    until = last_day(agreement, quarter)
    params = agreement.measurement_params()
    found = {}
    for m in agreement.measures:
        if m.actual_start is not None and m.actual_start <= until and m.kpis:
            found[m.measure_id] = await measure_effect(reader, params, m, days)
    return found


async def fetch_pack_inputs(
    reader: KpiReader,
    agreement: Agreement,
    quarter: str,
    *,
    now: datetime,
    actions: ActionItemSource | None = None,
    effect_days: int = EFFECT_DAYS,
    version: int = 0,
    state: ReportState = "preliminary",
) -> PackInputs:
    """Everything `build_pack` needs for `agreement` and `quarter`, read at the stream time."""
    stream_time = await reader.stream_time(agreement.agreement_id)
    months = trend_months(quarter, agreement.term.effective_from)
    monthly: list[tuple[str, Figures]] = [(m, {}) for m in months]
    quarter_figures: Figures = {}
    if stream_time is not None:
        params = agreement.measurement_params()
        kpis = await agreement_kpis(reader, params, as_of=stream_time, windows=[*months, quarter])
        monthly = [(m, kpis.windows[m].figures) for m in months]
        quarter_figures = kpis.windows[quarter].figures
    source = actions or NoMeetingRecords()
    items = await source.action_items(agreement.agreement_id, quarter)
    return PackInputs(
        agreement=agreement,
        quarter=quarter,
        generated_at=now,
        stream_time=stream_time,
        monthly=monthly,
        quarter_figures=quarter_figures,
        effects=await effects_of(reader, agreement, quarter, effect_days),
        effect_days=effect_days,
        action_items=items,
        version=version,
        state=state,
    )
