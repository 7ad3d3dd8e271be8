"""Fixtures for tests against the real PostgreSQL (`scripts/infra/postgres.sh start`).

A test module loads them with `pytest_plugins = ["tests.integration.db_fixtures"]`.
The schema is rebuilt once (downgrade base, upgrade head) for a clean slate; tests then use
agreement ids of their own, so they neither see nor disturb each other's rows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from services.core.storage.migrate import upgrade_head
from services.core.storage.session import make_sessionmaker


@asynccontextmanager
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    """A new database beside `database_url`'s, migrated to the latest revision, dropped after."""
    base, _, _ = database_url.rpartition("/")
    name = f"slawatch_run_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.replace("+asyncpg", "") + "/postgres"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{base}/{name}"
    # Alembic's env.py runs its own event loop, which cannot nest in the test loop.
    await asyncio.to_thread(upgrade_head, url)
    try:
        yield url
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


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
