"""Fixtures for tests against the real broker and database started by scripts/infra.

`make test` starts both before pytest runs; the URLs come from the same environment
variables the services read, so the suite can also run against existing servers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from services.core.settings import DEFAULT_DATABASE_URL
from services.core.storage.session import make_sessionmaker
from tests.integration.db_fixtures import fresh_database
from tests.integration.stack import WorkerProcess, worker_env, write_agreements

TEST_DATABASE_URL = DEFAULT_DATABASE_URL.rsplit("/", 1)[0] + "/slawatch_test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", TEST_DATABASE_URL)


@pytest.fixture
def topic_prefix() -> Iterator[str]:
    """A topic prefix no other test uses, so tests never see each other's messages."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
async def migrated_database(database_url: str) -> AsyncIterator[str]:
    """A database of this test run only, migrated to the latest revision, dropped after.

    A fresh database per run keeps concurrent runs (two developers, CI and a developer) from
    dropping each other's tables.
    """
    async with fresh_database(database_url) as url:
        yield url


@pytest.fixture(scope="session")
async def db_engine(migrated_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(migrated_database)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_session(db_engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session; tests commit what other sessions must see."""
    async with make_sessionmaker(db_engine)() as session:
        yield session


@pytest.fixture
def agreement_id() -> str:
    """An agreement id no other test uses."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def stack(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> Iterator[tuple[Path, dict[str, str], Callable[[str], WorkerProcess]]]:
    """The demo agreements under this test's ids, their id mapping, and `spawn(name)`, which
    starts a worker process (stopped after the test) with its own data directory and log."""
    agreements, mapping = write_agreements(tmp_path, topic_prefix)
    env = worker_env(topic_prefix, agreements, migrated_database, kafka_bootstrap, tmp_path)
    workers: list[WorkerProcess] = []

    def spawn(name: str) -> WorkerProcess:
        worker = WorkerProcess(
            {**env, "METRICS_DATA_DIR": str(tmp_path / name)}, tmp_path / f"{name}.log"
        )
        worker.start()
        workers.append(worker)
        return worker

    yield agreements, mapping, spawn
    for worker in workers:
        worker.stop()
