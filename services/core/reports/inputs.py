"""What building a report needs, fetched by the adapter (`fetch.py`) or written by a test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from services.core.agreements.model import Agreement
from services.core.kpi.figures import Figure
from services.core.reports.breakdowns import SliceFigure
from services.core.reports.model import FreeText, ReportState
from services.core.storage.ticket_breaches import BreachRow

Figures = Mapping[str, Figure]


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """Figures exactly as the KPI API computes them, plus what the report adds.

    `monthly` holds every month from the agreement's start (at most 12) up to and including
    `period`, oldest first; `daily` the 24 h window ending at each local midnight of the
    month that the stream has reached; `slices` maps (target_id, dimension) to the
    provider's answer (None: not available). `event_counts` are the data-quality counts of
    `period` per outcome, as the data-quality API reads them (None: not read).
    """

    agreement: Agreement
    period: str
    generated_at: datetime
    stream_time: float | None
    monthly: Sequence[tuple[str, Figures]]
    daily: Sequence[tuple[date, Figures]]
    slices: Mapping[tuple[str, str], Sequence[SliceFigure] | None] = field(default_factory=dict)
    free_text: FreeText = field(default_factory=FreeText)
    event_counts: Mapping[str, int] | None = None
    version: int = 0
    state: ReportState = "preliminary"
    # The month's worst breached tickets, as `top_breaches` reads them (None: not read).
    breaches: Sequence[BreachRow] | None = None
    # (connector id, tool, lossy flag) of the agreement's connectors (None: not read).
    lossy_mappings: Sequence[tuple[str, str, str]] | None = None
