"""An API app with nothing behind it, for the API's component tests.

Agreements come from a file, buckets from memory (`MemoryReader`); the database URL points
where nobody answers and the broker likewise, so a test that reaches either fails loudly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from services.api.main import create_app
from services.core.kpi.aggregate import Aggregate
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from services.core.storage.kpi_reader import Bucket, KpiReader
from tests.auth import ADMIN
from tests.component.api_scenario import file_loader

UNREACHABLE_DB = "postgresql+asyncpg://slawatch:slawatch@127.0.0.1:1/nowhere"


class MemoryReader:
    """`KpiReader` over lists, as the repository would return them."""

    def __init__(
        self,
        stream_times: dict[str, float],
        buckets: dict[str, list[Bucket]],
        slices: dict[str, list[tuple[str, str, str, float, Aggregate]]] | None = None,
    ) -> None:
        self.stream_times, self.buckets = stream_times, buckets
        # Per agreement: (dimension, value, granularity, start, aggregate).
        self.slices = slices or {}

    async def stream_time(self, agreement_id: str) -> float | None:
        return self.stream_times.get(agreement_id)

    async def load_buckets(
        self, agreement_id: str, granularity: str, min_start: float, max_start: float
    ) -> list[Bucket]:
        return [
            (g, start, agg)
            for g, start, agg in self.buckets.get(agreement_id, [])
            if g == granularity and min_start <= start <= max_start
        ]

    async def load_slices(
        self,
        agreement_id: str,
        dimension: str,
        granularity: str,
        min_start: float,
        max_start: float,
    ) -> list[tuple[str, str, float, Aggregate]]:
        return [
            (value, g, start, agg)
            for d, value, g, start, agg in self.slices.get(agreement_id, [])
            if d == dimension and g == granularity and min_start <= start <= max_start
        ]


def offline_app(
    agreements: Path, reader: KpiReader, api: ApiSettings | None = None, **options: Any
) -> FastAPI:
    """An API over the agreements file `agreements` and `reader`; `options` go to `create_app`
    (e.g. `lookup_key`). Its caches refresh only when a test asks."""

    @asynccontextmanager
    async def open_reader() -> AsyncIterator[KpiReader]:
        yield reader

    return create_app(
        api or ApiSettings(),
        DatabaseSettings(database_url=UNREACHABLE_DB),
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        open_reader=open_reader,
        refresh_interval_seconds=3600,
        load_agreements=file_loader(agreements),
        agreements_refresh_seconds=3600,
        security=ADMIN,
        **options,
    )


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Prometheus exposition text as {(sample name, sorted labels): value}."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
