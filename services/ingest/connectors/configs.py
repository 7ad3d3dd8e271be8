"""Ingest's view of connector configurations: opened, merged with the tool's defaults, cached.

A change through the API applies without a restart: a configuration is remembered for
CONNECTORS_CONFIG_CACHE_SECONDS (default 5 s) and then read again; an id not found is looked
up on every request, so a new connector works at once. The secret and the pseudonym key are
opened here (services/core/connectors/secret_box.py) and live only in this process's memory.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.connectors.config import ConnectorDocument
from services.core.connectors.registry import effective_settings
from services.core.connectors.secret_box import SecretBox
from services.core.storage.connectors_repo import StoredConnector, get_connector
from services.ingest.connectors.base import ConnectorSettings


@dataclass(frozen=True, slots=True)
class ActiveConnector:
    """A connector ready to verify and map: its agreement, tool, settings and secret."""

    connector_id: str
    agreement_id: str
    tool: str
    settings: ConnectorSettings
    secret: bytes
    version: int


ConnectorLookup = Callable[[str], Awaitable[ActiveConnector | None]]


def active_of(stored: StoredConnector, box: SecretBox) -> ActiveConnector:
    """Open the secrets of a stored configuration and merge in the tool's defaults."""
    document = ConnectorDocument.model_validate(stored.document)
    settings = effective_settings(
        agreement_id=stored.agreement_id,
        tool=stored.tool,
        namespace=document.namespace,
        status_map={k: v.value for k, v in document.status_map.items()},
        channel_map={k: v.value for k, v in document.channel_map.items()},
        priority_map={k: v.value for k, v in document.priority_map.items()},
        csat_map=document.csat_map,
        agent_roles=None if document.agent_roles is None else frozenset(document.agent_roles),
        options=document.options,
        lossy=frozenset(document.lossy),
        pseudonym_key=box.open(stored.pseudonym_key_sealed),
    )
    secret = box.open(stored.secret_sealed)
    return ActiveConnector(
        stored.connector_id, stored.agreement_id, stored.tool, settings, secret, stored.version
    )


def stored_connectors(
    sessions: async_sessionmaker[AsyncSession], box: Callable[[], SecretBox]
) -> ConnectorLookup:
    """Read one configuration from PostgreSQL and open it (`box` is asked per read, so a
    missing key is an error of connector requests only, not of the service's start)."""

    async def lookup(connector_id: str) -> ActiveConnector | None:
        async with sessions() as session:
            stored = await get_connector(session, connector_id)
        return active_of(stored, box()) if stored is not None else None

    return lookup


class ConnectorConfigs:
    """A cache in front of a `ConnectorLookup`: hits for `ttl_seconds`, misses never cached."""

    def __init__(
        self,
        lookup: ConnectorLookup,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl_seconds
        self._clock = clock
        self._known: dict[str, tuple[float, ActiveConnector]] = {}

    async def find(self, connector_id: str) -> ActiveConnector | None:
        now = self._clock()
        hit = self._known.get(connector_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await self._lookup(connector_id)
        if found is None:
            self._known.pop(connector_id, None)
        else:
            self._known[connector_id] = (now + self._ttl, found)
        return found
