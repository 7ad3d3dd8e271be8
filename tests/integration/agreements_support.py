"""Helpers for the agreement tests: a demo agreement under a test's own id, topic reading,
and an API app over the real PostgreSQL and Kafka."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml
from fastapi import FastAPI

from services.api.main import create_app
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from tests.auth import ADMIN, admin_client
from tests.integration.kafka_reads import read_to_end
from tests.integration.stack import DEMO_AGREEMENTS


def demo_body(agreement_id: str, index: int = 0) -> dict[str, Any]:
    """A demo agreement (JSON-ready) renamed to `agreement_id`."""
    raw = yaml.safe_load(DEMO_AGREEMENTS.read_text())["agreements"][index]
    return json.loads(json.dumps({**raw, "agreement_id": agreement_id}, default=str))


async def read_topic(bootstrap: str, topic: str) -> list[tuple[str, Any, dict[str, str]]]:
    """Every (key, decoded value or None, headers) of `topic`, from the start to its end."""
    records = await read_to_end(bootstrap, [topic])
    return [
        (
            r.key.decode(),
            None if r.value is None else json.loads(r.value),
            {k: v.decode() for k, v in r.headers},
        )
        for r in records
    ]


@asynccontextmanager
async def running_api(
    database_url: str, kafka: KafkaSettings, seed: Path, **options: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A running API app (lifespan included) and an admin client for it; `options` go to
    `create_app`. Its caches refresh only when a test asks."""
    app = create_app(
        ApiSettings(agreements_file=seed),
        DatabaseSettings(database_url=database_url),
        kafka,
        refresh_interval_seconds=3600,
        security=ADMIN,
        **options,
    )
    async with app.router.lifespan_context(app), admin_client(app) as client:
        yield app, client
