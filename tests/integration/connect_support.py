"""The stack the Amazon Connect tests share: ingest and API apps (connector_support), an
Amazon Connect connector configured through the API, and a real metrics worker; plus the
check that the KPI API gives connect_scenario.py's hand-computed figures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests import polling
from tests.integration.connect_scenario import EXPECTED_24H, STREAM_TIME
from tests.integration.connector_support import CONNECTORS, ConnectorStack, connector_stack
from tests.integration.stack import WorkerProcess, worker_env

T = TypeVar("T")
SECRET = "connect-forwarder-token-0001"


@dataclass
class ConnectStack:
    stack: ConnectorStack
    worker: WorkerProcess
    connector: str  # the Amazon Connect connector's id


@asynccontextmanager
async def connect_stack(
    tmp_path: Path, prefix: str, bootstrap: str, database_url: str
) -> AsyncIterator[ConnectStack]:
    """Apps, a `connect` connector for the hotline agreement, and a worker reading the topics."""
    async with connector_stack(tmp_path, prefix, bootstrap, database_url, partitions=4) as stack:
        connector = f"{prefix}-connect"
        put = await stack.api.put(
            f"/v1/agreements/{stack.agreement}/connectors/{connector}",
            json={"tool": "connect", "secret": SECRET, "namespace": "globex-connect"},
        )
        assert put.status_code == 201, put.text
        env = worker_env(prefix, stack.agreements_file, database_url, bootstrap, tmp_path)
        worker = WorkerProcess({**env, "KAFKA_PARTITIONS": "4"}, tmp_path / "worker.log")
        worker.start()  # after ingest created the topics with their partition count
        try:
            yield ConnectStack(stack, worker, connector)
        finally:
            worker.stop()


def connectors_env() -> dict[str, str]:
    """What a separate process needs to open the test's connectors (the same sealing key)."""
    key = CONNECTORS.secrets_key
    assert key is not None
    return {"CONNECTORS_SECRETS_KEY": key.get_secret_value()}


async def eventually(
    probe: Callable[[], Awaitable[T | None]], worker: WorkerProcess, seconds: float = 90
) -> T:
    """`tests.polling.eventually`, failing with the worker's log."""
    found = await polling.eventually(
        probe,
        timeout=seconds,
        interval=0.5,
        message=lambda: f"condition not met; worker log:\n{worker.log_tail()}",
    )
    assert found is not None
    return found


async def kpis_match(api: httpx.AsyncClient, agreement: str) -> dict[str, Any] | None:
    """The 24 h figures once the worker has seen everything (stream time and AHT's n)."""
    body = (await api.get(f"/v1/agreements/{agreement}/kpis")).json()
    if body.get("stream_time") != STREAM_TIME:
        return None
    figures = body["windows"]["24h"]["figures"]
    return figures if figures["aht_mean_seconds"]["n"] == 3 else None


async def counted(api: httpx.AsyncClient, agreement: str, **expected: int) -> bool:
    """The data-quality counts of October 2026 are `expected` (outcome -> count)."""
    got = (await api.get(f"/v1/agreements/{agreement}/data-quality?period=2026-10")).json()
    return all(got.get("counts", {}).get(k) == v for k, v in expected.items())


def assert_hand_computed(figures: dict[str, Any]) -> None:
    for name, (value, n) in EXPECTED_24H.items():
        assert figures[name] == {"value": pytest.approx(value), "n": n}, name
    assert figures["calls_short_abandoned"]["value"] == 1


async def dead_letters(stack: ConnectorStack, connector: str) -> dict[str, Any]:
    path = f"/v1/agreements/{stack.agreement}/connectors/{connector}/dead-letters"
    response = await stack.api.get(path)
    assert response.status_code == 200, response.text
    return dict(response.json())
