"""Two quarters of history for review-pack tests (Q3 and Q4 2026, demo agreement).

Every day of July to December 2026 (Berlin) has calls, tickets and surveys. The handling
time (AHT) is drawn around 600 s until `COACHING_START` and around 480 s after it: the
measure `aht-coaching`, starting mid-quarter on that day, is followed by a drop. The measure
`control` names AHT too but starts on `CONTROL_START`, in the flat middle of Q3, 28 days
before and after, where nothing changed. Seeded, so the same buckets every run.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.core.agreements.model import (
    Agreement,
    ImprovementMeasure,
    load_agreement_inputs,
    resolve,
)
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.windows import buckets_for
from services.core.reports.periods import days_of
from services.core.storage.repository import BucketRow
from tests.component.offline_api import MemoryReader
from tests.report_scenario import DEMO_AGREEMENTS

AGREEMENT = "acme-helpdesk"
QUARTER = "2026-Q4"
ZONE = ZoneInfo("Europe/Berlin")
COACHING_START = date(2026, 11, 9)
CONTROL_START = date(2026, 8, 10)
# After the end of December in Berlin: every day of both quarters is complete.
STREAM_TIME = datetime(2027, 1, 1, 2, tzinfo=UTC).timestamp()
NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)
MONTHS = [f"2026-{m:02d}" for m in range(7, 13)]
_FAMILY = {
    FactKind.HANDLED_CALL: "calls",
    FactKind.CALL_OUTCOME: "calls",
    FactKind.TICKET_CREATED: "tickets",
    FactKind.FIRST_RESPONSE: "tickets",
    FactKind.SURVEY: "surveys",
}
MEASURES = (
    ImprovementMeasure(
        measure_id="aht-coaching",
        kind="training",
        title="Call handling coaching",
        owner="SupportCo team leads",
        planned_start=date(2026, 11, 1),
        planned_end=date(2026, 11, 30),
        actual_start=COACHING_START,
        status="in_progress",
        kpis=("aht_mean_seconds",),
    ),
    ImprovementMeasure(
        measure_id="control",
        kind="other",
        title="Control: new wallpaper in the call centre",
        owner="SupportCo facilities",
        planned_start=CONTROL_START,
        planned_end=CONTROL_START,
        actual_start=CONTROL_START,
        actual_end=CONTROL_START,
        status="done",
        kpis=("aht_mean_seconds",),
    ),
)


def agreement() -> Agreement:
    """The demo agreement `acme-helpdesk` with the two measures above instead of its own."""
    base = resolve(load_agreement_inputs(DEMO_AGREEMENTS)[0], (), NOW)
    return base.model_copy(update={"measures": MEASURES})


def facts(seed: int = 7, calls_per_day: int = 40) -> list[Fact]:
    rng = random.Random(seed)
    out = []
    for day in [d for m in MONTHS for d in days_of(m)]:
        start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC).timestamp()
        mean = 480.0 if day >= COACHING_START else 600.0
        for _ in range(calls_per_day):
            at = start + rng.uniform(0, 10 * 3600)
            out.append(Fact(FactKind.HANDLED_CALL, at, rng.uniform(0.5, 1.5) * mean))
            out.append(Fact(FactKind.CALL_OUTCOME, at, rng.uniform(1, 40), True, True))
        for _ in range(10):
            at = start + rng.uniform(0, 10 * 3600)
            out.append(Fact(FactKind.TICKET_CREATED, at))
            out.append(Fact(FactKind.FIRST_RESPONSE, at + 600, 600.0, rng.random() < 0.95))
            out.append(Fact(FactKind.SURVEY, at, rng.uniform(3, 5), rng.random() < 0.88))
    return out


def _aggregates(seed: int) -> dict[tuple[str, str, float], Aggregate]:
    found: dict[tuple[str, str, float], Aggregate] = {}
    for fact in facts(seed):
        for granularity, start in buckets_for(fact.at, ZONE):
            found.setdefault((_FAMILY[fact.kind], granularity, start), Aggregate()).apply(fact)
    return found


def bucket_rows(agreement_id: str = AGREEMENT, seed: int = 7) -> list[BucketRow]:
    return [
        BucketRow(agreement_id, family, 0, granularity, start, agg.to_dict())
        for (family, granularity, start), agg in _aggregates(seed).items()
    ]


def memory_reader(seed: int = 7) -> MemoryReader:
    buckets = [(g, s, agg) for (_, g, s), agg in _aggregates(seed).items()]
    return MemoryReader({AGREEMENT: STREAM_TIME}, {AGREEMENT: buckets})
