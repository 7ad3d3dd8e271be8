"""An API app for security tests: no database, agreements from a file, keys in memory.

Every route that would open a database session answers a marker problem instead, which
proves the request got past authentication and authorization.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from services.api.deps import get_session
from services.api.main import create_app
from services.core.db.kpi_reader import Bucket, KpiReader
from services.core.http.problems import ProblemError
from services.core.security import Role
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from tests.auth import ADMIN, MemoryKeys
from tests.component.api_scenario import file_loader, write_agreements

A, B = "acme-helpdesk", "idle-desk"  # clients "acme" and "initech"
NOWHERE_DB = "postgresql+asyncpg://slawatch:slawatch@127.0.0.1:1/nowhere"


def _no_database() -> None:
    raise ProblemError(503, "No database", "this test has none", "test-no-database")


class NoBuckets:
    """A `KpiReader` of agreements without data."""

    async def stream_time(self, agreement_id: str) -> float | None:
        return None

    async def load_buckets(
        self, agreement_id: str, granularity: str, min_start: float, max_start: float
    ) -> list[Bucket]:
        return []


@asynccontextmanager
async def no_buckets() -> AsyncIterator[KpiReader]:
    yield NoBuckets()


def build_app(tmp_path: Path, keys: MemoryKeys) -> FastAPI:
    app = create_app(
        ApiSettings(),
        DatabaseSettings(database_url=NOWHERE_DB),
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        open_reader=no_buckets,
        refresh_interval_seconds=3600,
        load_agreements=file_loader(write_agreements(tmp_path / "a.yaml", A, B)),
        agreements_refresh_seconds=3600,
        security=ADMIN,
        lookup_key=keys.lookup,
    )
    app.dependency_overrides[get_session] = _no_database
    return app


class Keys:
    """One key of each role in a store of their own; the viewer's client is "acme"."""

    def __init__(self) -> None:
        self.store = MemoryKeys()
        self.viewer = self.store.issue(Role.VIEWER, "acme")
        self.publisher = self.store.issue(Role.PUBLISHER)
        self.admin = self.store.issue(Role.ADMIN)
