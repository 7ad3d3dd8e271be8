"""Bring the database schema to the latest revision: `python -m services.core.storage.migrate`.

Deployments run this before starting the services; tests call `upgrade_head(url)`. It runs
Alembic programmatically so no working directory or `alembic` executable is needed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(database_url: str | None = None) -> Config:
    """The project's Alembic config; `database_url` overrides DATABASE_URL when given."""
    config = Config(str(ALEMBIC_INI))
    if database_url:
        # Passed as an attribute, not `sqlalchemy.url`, so '%' in passwords needs no escaping.
        config.attributes["database_url"] = database_url
    return config


def upgrade_head(database_url: str | None = None) -> None:
    """Apply every pending migration. Must not be called from inside a running event loop."""
    command.upgrade(alembic_config(database_url), "head")


def downgrade_base(database_url: str | None = None) -> None:
    """Revert every migration: drops all slawatch tables (tests use it for a clean slate)."""
    command.downgrade(alembic_config(database_url), "base")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    upgrade_head()
