"""A small, hand-checkable set of facts spread over buckets, families and partitions.

Shared by the API's component test (buckets served from memory) and its integration test
(buckets in PostgreSQL), which assert the same figures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from services.api.catalog import AgreementLoader
from services.core.agreements.model import load_agreement_inputs, resolve
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.windows import buckets_for
from services.core.storage.agreements_repo import StoredAgreement
from services.core.storage.repository import BucketRow

ZONE = "Europe/Berlin"
T = datetime(2026, 10, 14, 9, 30, tzinfo=UTC).timestamp()  # the stream time
MINUTE, HOUR = 60.0, 3600.0
SEPT_30_23H_UTC = datetime(2026, 9, 30, 23, 0, tzinfo=UTC).timestamp()  # 1 October in Berlin

# (family, partition, fact)
FACTS = [
    ("tickets", 0, Fact(FactKind.TICKET_CREATED, T - 10 * MINUTE)),
    ("tickets", 1, Fact(FactKind.TICKET_CREATED, T - 2 * HOUR)),
    ("tickets", 2, Fact(FactKind.TICKET_CREATED, SEPT_30_23H_UTC)),
    ("tickets", 0, Fact(FactKind.FIRST_RESPONSE, T - 5 * MINUTE, 600.0, ok=True)),
    ("tickets", 1, Fact(FactKind.FIRST_RESPONSE, T - 3 * HOUR, 1800.0, ok=False)),
    ("calls", 0, Fact(FactKind.CALL_OUTCOME, T - 20 * MINUTE, 10.0, ok=True, flag=True)),
    ("calls", 3, Fact(FactKind.CALL_OUTCOME, T - 30 * MINUTE, 40.0, flag=False)),
    ("surveys", 0, Fact(FactKind.SURVEY, T - 1 * MINUTE, 5.0, ok=True)),
    ("surveys", 4, Fact(FactKind.SURVEY, T - 26 * HOUR, 2.0, ok=False)),
]

# window -> figure -> (value, n), worked out by hand from FACTS and docs/kpis.md
EXPECTED: dict[str, dict[str, tuple[float | None, int]]] = {
    "1h": {
        "tickets_created": (1.0, 1),
        "frt_mean_seconds": (600.0, 1),
        "frt_attainment": (1.0, 1),
        "asa_seconds": (10.0, 1),
        "service_level": (0.5, 2),
        "abandonment_rate": (0.5, 2),
        "csat": (1.0, 1),
        "resolution_mean_seconds": (None, 0),
    },
    "24h": {"tickets_created": (2.0, 2), "frt_mean_seconds": (1200.0, 2), "csat": (1.0, 1)},
    "7d": {"tickets_created": (2.0, 2), "csat": (0.5, 2), "csat_mean_score": (3.5, 2)},
    "30d": {"tickets_created": (3.0, 3), "frt_attainment": (0.5, 2)},
    "2026-10": {"tickets_created": (3.0, 3), "csat": (0.5, 2)},
    "2026-Q4": {"tickets_created": (3.0, 3), "service_level": (0.5, 2)},
}
BOUNDS = {
    "1h": ("2026-10-14T08:31:00Z", "2026-10-14T09:31:00Z"),
    "24h": ("2026-10-13T10:00:00Z", "2026-10-14T10:00:00Z"),
    "2026-10": ("2026-09-30T22:00:00Z", "2026-10-31T23:00:00Z"),
    "2026-Q4": ("2026-09-30T22:00:00Z", "2026-12-31T23:00:00Z"),
}


def bucket_rows(agreement_id: str) -> list[BucketRow]:
    """Every fact applied to each bucket it belongs to, one row per partition's bucket."""
    aggregates: dict[tuple[str, int, str, float], Aggregate] = {}
    for family, partition, fact in FACTS:
        for granularity, start in buckets_for(fact.at, ZoneInfo(ZONE)):
            key = (family, partition, granularity, start)
            aggregates.setdefault(key, Aggregate()).apply(fact)
    return [
        BucketRow(agreement_id, family, partition, granularity, start, agg.to_dict())
        for (family, partition, granularity, start), agg in aggregates.items()
    ]


def write_agreements(path: Path, agreement_id: str, idle_agreement_id: str) -> Path:
    """An agreements file with the scenario's agreement and one that has no data."""
    targets = "{low: 3600, normal: 3600, high: 3600, urgent: 3600}"
    parties = "{client: {name: Client}, provider: {name: Provider}}"
    body = "agreements:\n"
    for aid, zone, client in ((agreement_id, ZONE, "acme"), (idle_agreement_id, "UTC", "initech")):
        body += (
            f"  - agreement_id: {aid}\n    name: Agreement {aid}\n    client: '{client}'\n"
            f"    provider: supportco\n    parties: {parties}\n"
            "    term: {effective_from: 2026-01-01}\n"
            f"    timezone: {zone}\n    frt_target_seconds: {targets}\n"
            f"    resolution_target_seconds: {targets}\n"
        )
    path.write_text(body)
    return path


def file_loader(path: Path) -> AgreementLoader:
    """The agreements of a file as if stored: the API's agreement source without a database."""

    async def load() -> list[StoredAgreement]:
        now = datetime.now(UTC)
        return [
            StoredAgreement(resolve(draft, (), now), 1, now, now)
            for draft in load_agreement_inputs(path)
        ]

    return load
