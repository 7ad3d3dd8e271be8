"""Migrations build exactly the schema the models describe, and can be undone and redone."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.storage.migrate import downgrade_base, upgrade_head
from services.core.storage.models import Base

# The database fixtures (clean schema, engine, session, unique agreement id).
pytest_plugins = ["tests.integration.db_fixtures"]

TABLES = {"kpi_buckets", "stream_positions", "kpi_snapshots"}
TABLES |= {"agreements", "agreement_targets", "improvement_measures"}
TABLES |= {"open_tickets"}
TABLES |= {"api_keys"}
TABLES |= {"sla_status_state", "sla_status_changes"}
TABLES |= {"sla_status_outbox"}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def schema(engine: AsyncEngine) -> tuple[set[str], list[Any]]:
    async with engine.connect() as connection:
        tables = await connection.run_sync(_tables)
        differences = await connection.run_sync(_differences) if tables >= TABLES else []
    return tables, differences


async def test_head_matches_the_models(db_engine: AsyncEngine) -> None:
    tables, differences = await schema(db_engine)

    assert tables >= TABLES
    assert differences == []


async def test_downgrade_base_then_upgrade_head(
    db_engine: AsyncEngine, migrated_database: str
) -> None:
    await asyncio.to_thread(downgrade_base, migrated_database)
    tables, _ = await schema(db_engine)
    assert tables & TABLES == set()

    await asyncio.to_thread(upgrade_head, migrated_database)
    await asyncio.to_thread(upgrade_head, migrated_database)  # at head: nothing to do
    tables, differences = await schema(db_engine)
    assert tables >= TABLES
    assert differences == []
