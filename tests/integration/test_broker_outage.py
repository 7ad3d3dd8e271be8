"""A broker outage: ingest answers within seconds with 503 and `Retry-After`, not after 30 s.

The test starts a Kafka broker of its own (scripts/infra/kafka.sh on free ports, data in the
test's temporary directory) so it can stop it without disturbing the broker other tests use.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.app import create_app
from tests.auth import ADMIN, ADMIN_HEADERS, MemoryKeys
from tests.component.ingest_fakes import FakeAgreements, created
from tests.integration.prom_server import free_port
from tests.prom_tools import ROOT

pytestmark = pytest.mark.slow
KAFKA = ROOT / "scripts" / "infra" / "kafka.sh"
ANSWER_WITHIN_SECONDS = 15.0  # the 5 s publish timeout, plus a loaded machine's margin


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A broker of this test only: its address, and the environment that stops it."""
    port, controller = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env |= {
        "SLAWATCH_RUN": str(tmp_path / "run"),
        "KAFKA_PORT": str(port),
        "KAFKA_CONTROLLER_PORT": str(controller),
        "KAFKA_FRESH": "1",
        "KAFKA_HEAP_OPTS": "-Xms128m -Xmx256m",
    }
    subprocess.run([KAFKA, "start"], env=env, check=True, timeout=150, capture_output=True)
    try:
        yield f"127.0.0.1:{port}", env
    finally:
        subprocess.run([KAFKA, "stop"], env=env, check=False, timeout=60, capture_output=True)


async def test_ingest_answers_503_within_seconds_while_the_broker_is_down(
    private_broker: tuple[str, dict[str, str]], topic_prefix: str
) -> None:
    bootstrap, env = private_broker
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=topic_prefix, partitions=1)
    agreements = FakeAgreements()
    app = create_app(
        IngestSettings(),  # the default publish timeout is what is under test
        kafka,
        security=ADMIN,
        lookup_key=MemoryKeys().lookup,
        lookup_agreements=agreements.lookup,
        record_counts=agreements.record,
    )
    async with app.router.lifespan_context(app):  # its shutdown is bounded too
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers=ADMIN_HEADERS, timeout=120
        ) as client:
            assert (await client.post("/v1/events", json=created(1))).status_code == 202

            stop = [KAFKA, "stop"]
            await asyncio.to_thread(subprocess.run, stop, env=env, check=True, timeout=60)
            started = time.monotonic()
            response = await client.post("/v1/events", json=[created(2), created(3)])
            seconds = time.monotonic() - started
            ready = await client.get("/readyz")

    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["type"] == "urn:slawatch:problem:broker-unavailable"
    assert "event_id" in body["detail"]  # a retry is safe: copies are dropped by event_id
    assert "accepted" not in body
    assert seconds < ANSWER_WITHIN_SECONDS
    assert ready.status_code == 503
