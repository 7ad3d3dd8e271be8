"""A stored connector outside the webhook: its configuration and its dead letters, for the
processes that feed a connector without HTTP (`slawatch-connect-bridge`, `slawatch-backfill`).

They must map with exactly the configuration the webhook uses, above all the same sealed
pseudonym key (otherwise a caller's ids differ between paths and FCR misses repeats), and
their refusals must land where the API shows the connector's dead letters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.connectors.base import ConnectorSettings
from services.core.connectors.secret_box import SecretBox
from services.core.settings import ConnectorsSettings, DatabaseSettings
from services.core.storage.connectors_repo import add_dead_letter
from services.core.storage.session import make_engine, make_sessionmaker
from services.ingest.connectors.configs import ActiveConnector, ConnectorConfigs, stored_connectors


class ConnectorMissing(LookupError):
    """No stored connector of that id (or of another tool than expected)."""


@dataclass(frozen=True)
class Refused:
    """A record that became no events: its raw bytes (as received) and why."""

    raw: bytes
    reason: str


class DeadLetterSink(Protocol):
    """Where records that could not be mapped are kept, with the raw record and reason."""

    async def put(self, refused: list[Refused]) -> None:
        """Store the refused records durably; return once stored."""


class StoredConnector:
    """One connector's current configuration (re-read after the cache time) and dead letters."""

    def __init__(
        self,
        connector_id: str,
        configs: ConnectorConfigs,
        sessions: async_sessionmaker[AsyncSession],
        tool: str | None = None,
    ) -> None:
        self.connector_id = connector_id
        self._configs = configs
        self._sessions = sessions
        self._tool = tool

    async def active(self) -> ActiveConnector:
        found = await self._configs.find(self.connector_id)
        if found is None or (self._tool is not None and found.tool != self._tool):
            raise ConnectorMissing(f"no {self._tool or ''} connector {self.connector_id!r}")
        return found

    async def settings(self) -> ConnectorSettings:
        return (await self.active()).settings

    async def put(self, refused: list[Refused]) -> None:
        """Store refused records as the connector's dead letters (shown by the API)."""
        now = datetime.now(UTC)
        async with self._sessions() as session, session.begin():
            for item in refused:
                await add_dead_letter(session, self.connector_id, now, item.reason[:4000], item.raw)


@asynccontextmanager
async def stored_connector(
    connector_id: str,
    database: DatabaseSettings,
    connectors: ConnectorsSettings,
    tool: str | None = None,
    cache_seconds: float | None = None,
) -> AsyncIterator[StoredConnector]:
    """The connector `connector_id` read from PostgreSQL, for as long as the block runs."""
    engine = make_engine(database)
    sessions = make_sessionmaker(engine)
    ttl = connectors.config_cache_seconds if cache_seconds is None else cache_seconds
    lookup = stored_connectors(sessions, lambda: SecretBox(connectors.secrets_key))
    try:
        connector = StoredConnector(connector_id, ConnectorConfigs(lookup, ttl), sessions, tool)
        await connector.active()  # fail at start, not on the first record
        yield connector
    finally:
        await engine.dispose()
