"""API keys for tests: the bootstrap admin token every test app accepts, and an in-memory key
store standing in for the `api_keys` table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from services.core.auth.access import ApiKeyRecord, Role, issue_key, key_id_of
from services.core.settings import SecuritySettings

ADMIN_TOKEN = "sw_test_bootstrap_admin_token_0123456789"
ADMIN = SecuritySettings(enabled=True, bootstrap_admin_token=SecretStr(ADMIN_TOKEN))
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def admin_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` (in process, no server) that sends the admin key."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=ADMIN_HEADERS
    ) as http:
        yield http


class MemoryKeys:
    """Keys by id, as `services.core.auth.key_store` would store them; `lookup` is the store."""

    def __init__(self) -> None:
        self.records: dict[str, ApiKeyRecord] = {}

    def issue(
        self,
        role: Role,
        client: str | None = None,
        name: str = "test",
        *,
        agreements: frozenset[str] | None = None,
        connector: str | None = None,
    ) -> str:
        """A new key's token."""
        now = datetime.now(UTC)
        token, record = issue_key(
            role, client, name, now, agreements=agreements, connector=connector
        )
        self.records[record.key_id] = record
        return token

    def revoke(self, token: str) -> None:
        key_id = key_id_of(token)
        assert key_id is not None
        self.records[key_id] = replace(self.records[key_id], revoked_at=datetime.now(UTC))

    async def lookup(self, key_id: str) -> ApiKeyRecord | None:
        return self.records.get(key_id)
