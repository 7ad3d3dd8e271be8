"""Slow request bodies ("slowloris") are cut off: a 408 and a closed connection, on time.

Ingest is served by uvicorn on loopback; a few raw connections send headers promising a body,
then a byte now and then. Each must get its 408 and see the connection closed within the
deadline plus a margin, while a normal request between them is still served.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.app import create_app
from tests.auth import ADMIN, ADMIN_HEADERS, ADMIN_TOKEN, MemoryKeys
from tests.component.ingest_fakes import FakeAgreements, FakePublisher, created
from tests.integration.prom_server import free_port, served

DEADLINE_SECONDS = 1.0
MARGIN_SECONDS = 15.0  # a loaded machine; the point is "bounded", not "fast"
SLOW_CLIENTS = 5


@pytest.fixture
async def ingest_port() -> AsyncIterator[int]:
    settings = IngestSettings(body_timeout_seconds=DEADLINE_SECONDS)
    agreements = FakeAgreements()
    app = create_app(
        settings,
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        FakePublisher(),
        security=ADMIN,
        lookup_key=MemoryKeys().lookup,
        lookup_agreements=agreements.lookup,
        record_counts=agreements.record,
    )
    port = free_port()
    async with served(app, port):
        yield port


async def slow_sender(port: int) -> tuple[bytes, float]:
    """Promise 1000 bytes, send one every 0.2 s; what the server said, and when it closed."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /v1/events HTTP/1.1\r\nHost: ingest\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Length: 1000\r\n\r\n["
    )
    writer.write(head.encode())

    async def trickle() -> None:
        while True:
            await asyncio.sleep(0.2)
            writer.write(b" ")
            await writer.drain()

    dripping = asyncio.create_task(trickle())
    answer = b""
    try:
        while chunk := await _read_some(reader):
            answer += chunk
            dripping.cancel()  # answered: bytes sent now would only make the close a reset
    finally:
        dripping.cancel()
        await asyncio.gather(dripping, return_exceptions=True)
        writer.close()
    return answer, time.monotonic() - started


async def _read_some(reader: asyncio.StreamReader) -> bytes:
    """The next bytes, or b"" once the server closed. A server closing on unread input
    resets the connection (RST) rather than ending it: what arrived before still counts."""
    try:
        return await reader.read(65536)
    except ConnectionResetError:
        return b""


async def test_slow_bodies_get_408_and_are_closed_while_others_are_served(
    ingest_port: int,
) -> None:
    senders = [asyncio.create_task(slow_sender(ingest_port)) for _ in range(SLOW_CLIENTS)]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ingest_port}") as client:
        body = json.dumps(created(1)).encode()
        headers = {**ADMIN_HEADERS, "Content-Type": "application/json"}
        normal = await client.post("/v1/events", content=body, headers=headers)
    outcomes = await asyncio.wait_for(asyncio.gather(*senders), DEADLINE_SECONDS + MARGIN_SECONDS)

    assert normal.status_code == 202, normal.text
    for answer, seconds in outcomes:
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"body-timeout" in answer
        assert DEADLINE_SECONDS <= seconds < DEADLINE_SECONDS + MARGIN_SECONDS
