"""Seeding an empty database from the agreements file when the API starts.

A convenience for development and tests: agreements of `API_AGREEMENTS_FILE` that are not
stored yet are created; stored ones are never changed, so restarting the API cannot undo
changes made through it. Applying file changes is the sync command's job
(`python -m services.admin.sync_agreements`, docs/agreements.md).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.agreements.model import AgreementInput, load_agreement_inputs
from services.core.storage.agreement_changes import create_missing

log = logging.getLogger(__name__)


def _read(path: Path) -> list[AgreementInput]:
    return load_agreement_inputs(path) if path.is_file() else []


async def seed_missing(sessions: async_sessionmaker[AsyncSession], path: Path | None) -> None:
    """Create the file's agreements that the database lacks; failures are logged, not raised
    (the API must start, and report its database through /readyz, when PostgreSQL is down)."""
    if path is None:
        return
    try:
        drafts = await asyncio.to_thread(_read, path)
        if not drafts:
            return
        async with sessions() as session, session.begin():
            created = await create_missing(session, drafts, datetime.now(UTC))
    except Exception:
        log.exception("seeding agreements from %s failed", path)
        return
    for stored in created:
        log.info("agreement %s created from %s", stored.agreement.agreement_id, path)
