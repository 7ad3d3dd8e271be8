"""What building a pack needs, fetched by the adapter (`fetch.py`) or written by a test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.core.agreements.model import Agreement
from services.core.meetings.model import ActionItemState
from services.core.reports.inputs import Figures
from services.core.reports.model import ReportState
from services.core.storage.measure_effect import MeasureEffect

EFFECT_DAYS = 28  # each side of a measure's start, as the effect route's default


@dataclass(frozen=True, slots=True)
class PackInputs:
    """Figures exactly as the KPI API computes them, plus what the pack adds.

    `monthly` holds every month from the agreement's start (at most 24) to the quarter's
    last month, oldest first; `quarter_figures` the API's `?period=YYYY-Qn` figures;
    `effects` the effect route's answer per started measure (by measure id);
    `action_items` the previous review's items (None: no meeting record readable).
    """

    agreement: Agreement
    quarter: str
    generated_at: datetime
    stream_time: float | None
    monthly: Sequence[tuple[str, Figures]]
    quarter_figures: Figures
    effects: Mapping[str, MeasureEffect] = field(default_factory=dict)
    effect_days: int = EFFECT_DAYS
    action_items: Sequence[ActionItemState] | None = None
    version: int = 0
    state: ReportState = "preliminary"
