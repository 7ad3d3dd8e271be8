"""The effect of one improvement measure, from the hour buckets the workers store.

Loads the hour buckets of the `days` before the measure's `actual_start` (midnight in the
agreement's zone, floored to the UTC hour the buckets use) and of the same length after it,
merges each period as the KPI API merges a window, and hands both to the pure statistics of
services/core/kpi/effect.py. Hour buckets stay in PostgreSQL after the worker lets go of them
(services/core/kpi/retention.py only bounds its memory), so any past period can be read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time

from services.core.agreements.model import ImprovementMeasure
from services.core.kpi.aggregate import merge_all
from services.core.kpi.effect import MIN_N, NOT_PROOF_OF_CAUSE, Effect, effect
from services.core.kpi.params import MeasurementParams
from services.core.storage.kpi_reader import KpiReader

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class MeasureEffect:
    """Before [before_start, start) against after [start, after_end), one entry per KPI.

    `complete` is False while the after period reaches past the stream time (still filling)."""

    agreement_id: str
    measure_id: str
    start: float
    before_start: float
    after_end: float
    complete: bool
    min_n: int
    effects: list[Effect]
    note: str = NOT_PROOF_OF_CAUSE


def start_instant(measure: ImprovementMeasure, params: MeasurementParams) -> float:
    """The measure's start: midnight of `actual_start` in the agreement's zone, on the hour."""
    assert measure.actual_start is not None
    local = datetime.combine(measure.actual_start, time(), tzinfo=params.zone)
    return (local.timestamp() // HOUR) * HOUR


async def measure_effect(
    reader: KpiReader,
    params: MeasurementParams,
    measure: ImprovementMeasure,
    days: int,
    *,
    min_n: int = MIN_N,
) -> MeasureEffect:
    """Before/after figures of each KPI `measure` names (its `actual_start` must be set)."""
    start = start_instant(measure, params)
    span = days * DAY
    agreement_id = params.agreement_id
    before = await reader.load_buckets(agreement_id, "hour", start - span, start - HOUR)
    after = await reader.load_buckets(agreement_id, "hour", start, start + span - HOUR)
    merged_before = merge_all(agg for _, _, agg in before)
    merged_after = merge_all(agg for _, _, agg in after)
    stream_time = await reader.stream_time(agreement_id)

    def compute() -> list[Effect]:
        return [effect(k, merged_before, merged_after, min_n=min_n) for k in measure.kpis]

    # The bootstrap is CPU work of a second or so: keep it off the event loop.
    effects = await asyncio.to_thread(compute)
    return MeasureEffect(
        agreement_id,
        measure.measure_id,
        start,
        start - span,
        start + span,
        stream_time is not None and stream_time >= start + span,
        min_n,
        effects,
    )
