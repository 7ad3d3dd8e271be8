"""A fresh, migrated database beside the test database (`scripts/infra/postgres.sh start`).

The fixtures built on it (`migrated_database`, `db_engine`, `db_session`, `agreement_id`)
are in tests/integration/conftest.py, so every integration test has them without imports.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.core.storage.migrate import upgrade_head


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
