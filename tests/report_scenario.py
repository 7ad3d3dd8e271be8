"""A generated month of figures for report tests: two months of random facts (seeded) of
the demo agreement `acme-helpdesk`, as bucket rows spread over partitions, with the slice
buckets of their breakdown labels (docs/kpis.md, "Breakdowns")."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from pathlib import Path

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.slices import sliced_buckets
from services.core.kpi.windows import buckets_for
from services.core.reports.periods import days_of
from services.core.storage.repository import BucketRow

DEMO_AGREEMENTS = Path(__file__).parent.parent / "deploy" / "agreements" / "demo.yaml"
AGREEMENT = "acme-helpdesk"
PERIOD = "2026-10"
# After the end of October in Berlin: every day of the month is complete.
STREAM_TIME = datetime(2026, 11, 1, 1, 30, tzinfo=UTC).timestamp()
_FAMILY = {
    FactKind.TICKET_CREATED: "tickets",
    FactKind.FIRST_RESPONSE: "tickets",
    FactKind.RESOLUTION: "tickets",
    FactKind.TICKET_FCR: "tickets",
    FactKind.CALL_OUTCOME: "calls",
    FactKind.HANDLED_CALL: "calls",
    FactKind.CALL_FCR: "calls",
    FactKind.SURVEY: "surveys",
}


_LABELS = {
    "tickets": {
        "priority": ("low", "normal", "high", "urgent"),
        "channel": ("email", "web", "phone"),
        "agent": ("A1", "A2", "none"),
        "team": ("t1", "t2", "unassigned"),
    },
    "calls": {"queue": ("billing", "support"), "agent": ("A1", "A3"), "team": ("t1", "none")},
    "surveys": {},
}


def _dims(rng: random.Random, kind: FactKind) -> tuple[str, ...]:
    return tuple(f"{d}={rng.choice(vs)}" for d, vs in _LABELS[_FAMILY[kind]].items())


def facts(seed: int = 13, per_day: int = 12) -> list[Fact]:
    """Facts on every day of September and October 2026 (Berlin), some days worse."""
    rng = random.Random(seed)
    labels = random.Random(seed + 1)  # apart: labelling leaves the totals as they were
    out = []
    for day in [*days_of("2026-09"), *days_of(PERIOD)]:
        bad = day.day % 9 == 0  # a few worse days for the worst-day findings
        start = datetime(day.year, day.month, day.day, 6, tzinfo=UTC).timestamp()
        for _ in range(per_day):
            for kind in FactKind:
                at = start + rng.uniform(0, 14 * 3600)
                ok = rng.random() < (0.6 if bad else 0.9)
                value = rng.uniform(1, 5) if kind is FactKind.SURVEY else rng.uniform(10, 20_000)
                flag = rng.random() < 0.9
                out.append(Fact(kind, at, value, ok, flag, False, _dims(labels, kind)))
    return out


def bucket_rows(agreement_id: str = AGREEMENT, seed: int = 13) -> list[BucketRow]:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    aggregates: dict[tuple[str, int, str, float, str], Aggregate] = {}
    for index, fact in enumerate(facts(seed)):
        for granularity, start, slice_ in sliced_buckets(buckets_for(fact.at, zone), fact):
            key = (_FAMILY[fact.kind], index % 3, granularity, start, slice_)
            aggregates.setdefault(key, Aggregate()).apply(fact)
    return [
        BucketRow(agreement_id, family, partition, granularity, start, agg.to_dict(), slice_)
        for (family, partition, granularity, start, slice_), agg in aggregates.items()
    ]


def first_day() -> date:
    return date(2026, 10, 1)
