"""Fixtures for tests against the real PostgreSQL (`scripts/infra/postgres.sh start`).

A test module loads them with `pytest_plugins = ["tests.integration.db_fixtures"]`.
The schema is rebuilt once (downgrade base, upgrade head) for a clean slate; tests then use
agreement ids of their own, so they neither see nor disturb each other's rows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from services.core.db.migrate import downgrade_base, upgrade_head
from services.core.db.session import make_sessionmaker


@pytest.fixture(scope="session")
async def migrated_database(database_url: str) -> str:
    """`database_url`, its schema rebuilt at the latest revision."""
    # Alembic's env.py runs its own event loop, which cannot nest in the test loop.
    await asyncio.to_thread(downgrade_base, database_url)
    await asyncio.to_thread(upgrade_head, database_url)
    return database_url


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
