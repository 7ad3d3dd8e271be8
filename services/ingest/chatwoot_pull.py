"""`slawatch-chatwoot-pull`: run the reconciliation pull once, or every CHATWOOT_PULL_INTERVAL.

A producer like any other: it reads the connector's effective configuration from the
slawatch API, pulls from Chatwoot what changed since its last run (minus an overlap, so a
fact on the boundary is seen twice rather than never), and posts the events to ingest's
`POST /v1/events`, which validates and publishes them. Event ids equal the webhooks', so what
was received already is dropped by the workers as a duplicate. The key needs the admin role
(it reads a connector's configuration). The pseudonym key never leaves slawatch, so a
contact known only by e-mail or phone cannot be pulled (reported, not guessed).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.core.connectors.base import ConnectorSettings
from services.core.connectors.chatwoot.reconcile import ChatwootApi, reconcile
from services.core.settings import from_environment

log = logging.getLogger(__name__)
BATCH = 500


class PullSettings(BaseSettings):
    """Where to pull from and publish to (env prefix `CHATWOOT_PULL_`)."""

    model_config = SettingsConfigDict(env_prefix="CHATWOOT_PULL_", extra="ignore")

    chatwoot_url: str
    account_id: str
    api_token: SecretStr
    slawatch_api_url: str
    ingest_url: str
    slawatch_key: SecretStr
    agreement_id: str
    connector_id: str
    state_file: Path = Path("chatwoot-pull.state")
    interval_seconds: float = 300.0
    overlap_seconds: float = 600.0
    first_lookback_seconds: float = 86_400.0


@dataclass(frozen=True)
class PullRun:
    """What one run did: from when it looked, events posted, payloads it could not map."""

    since: datetime
    posted: int
    refused: list[str]


async def connector_settings(
    api: httpx.AsyncClient, agreement: str, connector: str
) -> ConnectorSettings:
    """The connector's effective configuration as `map` sees it (defaults with overrides)."""
    response = await api.get(f"/v1/agreements/{agreement}/connectors/{connector}")
    response.raise_for_status()
    got = response.json()
    return ConnectorSettings(
        agreement_id=agreement,
        tool=got["tool"],
        namespace=got["namespace"],
        status_map=got["status_map"],
        channel_map=got["channel_map"],
        priority_map=got["priority_map"],
        csat_map=got["csat_map"],
        agent_roles=frozenset(got["agent_roles"]),
        options=got["options"],
        lossy=frozenset(got["lossy"]),
    )


async def pull_once(
    settings: ConnectorSettings,
    chatwoot: ChatwootApi,
    ingest: httpx.AsyncClient,
    since: datetime,
) -> PullRun:
    """One reconciliation: pull since `since`, post the events, say what could not be mapped."""
    found = await reconcile(chatwoot, settings, since)
    for start in range(0, len(found.events), BATCH):
        response = await ingest.post("/v1/events", json=found.events[start : start + BATCH])
        if response.status_code not in (202, 422):  # 422: some refused, the rest published
            response.raise_for_status()
        if response.status_code == 422:
            log.warning("ingest refused pulled events: %s", response.text[:2000])
    refused = [reason for _, reason in found.refused]
    return PullRun(since, len(found.events), refused)


def _read_since(path: Path, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(json.loads(path.read_text())["next_since"])
    except (OSError, ValueError, KeyError):
        return default


async def run_forever(cfg: PullSettings, once: bool = False) -> None:
    """Pull every `interval_seconds`; the state file makes a restarted pull resume."""
    key = {"Authorization": f"Bearer {cfg.slawatch_key.get_secret_value()}"}
    token = {"api_access_token": cfg.api_token.get_secret_value()}
    async with (
        httpx.AsyncClient(base_url=cfg.chatwoot_url, headers=token, timeout=30) as cw,
        httpx.AsyncClient(base_url=cfg.slawatch_api_url, headers=key, timeout=30) as api,
        httpx.AsyncClient(base_url=cfg.ingest_url, headers=key, timeout=30) as ingest,
    ):
        while True:
            started = datetime.now(UTC)
            default = started - timedelta(seconds=cfg.first_lookback_seconds)
            since = _read_since(cfg.state_file, default) - timedelta(seconds=cfg.overlap_seconds)
            settings = await connector_settings(api, cfg.agreement_id, cfg.connector_id)
            run = await pull_once(settings, ChatwootApi(cw, cfg.account_id), ingest, since)
            log.info("pulled since %s: %d events, %d refused", since, run.posted, len(run.refused))
            cfg.state_file.write_text(json.dumps({"next_since": started.isoformat()}))
            if once:
                return
            await asyncio.sleep(cfg.interval_seconds)


def run() -> None:  # pragma: no cover - entry point
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run_forever(from_environment(PullSettings), once="--once" in sys.argv[1:]))


__all__ = ["PullRun", "PullSettings", "connector_settings", "pull_once", "run", "run_forever"]
