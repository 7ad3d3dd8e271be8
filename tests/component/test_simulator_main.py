"""The simulator against a fake ingest service: batching, retries, rejections, shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.core.contract.events import InvalidEvent, parse_event
from services.simulator.main import Options, parse_args, simulate
from services.simulator.sender import IngestRefused, IngestSender, IngestUnavailable

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "deploy/agreements/demo.yaml"


class FakeIngest:
    """Validates like the real service: 202, or 422 refusing the batch and naming the bad."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.accepted: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/v1/events")(self._ingest)

    async def _ingest(self, request: Request) -> JSONResponse:
        batch = await request.json()
        self.batches.append(batch)
        rejected = []
        for i, item in enumerate(batch):
            try:
                parse_event(item)
            except InvalidEvent as exc:
                rejected.append(
                    {"index": i, "event_id": item.get("event_id"), "reason": exc.reason}
                )
        if rejected:
            return JSONResponse({"accepted": [], "rejected": rejected}, status_code=422)
        self.accepted += batch
        return JSONResponse({"accepted": [e["event_id"] for e in batch], "rejected": []}, 202)


def _serve(app: FastAPI, sock: socket.socket) -> Iterator[uvicorn.Server]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield server
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    """A bound (not yet listening) loopback socket and its URL: connecting is refused."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def ingest(listener: tuple[socket.socket, str]) -> Iterator[tuple[FakeIngest, str]]:
    fake = FakeIngest()
    for _ in _serve(fake.app, listener[0]):
        yield fake, listener[1]


def _epoch(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["occurred_at"]).timestamp()


async def test_backfills_then_streams_live_in_time_order(ingest: tuple[FakeIngest, str]) -> None:
    fake, url = ingest
    # About 6 arrivals a second: a 2.5 s live phase without any event is all but impossible.
    opts = Options(url, DEMO, rate=60, backfill_hours=0.05, seconds=2.5, seed=1)
    started_at = time.time()
    totals = await simulate(opts, asyncio.Event())
    finished_at = time.time()
    events = [e for batch in fake.batches for e in batch]
    assert (totals.accepted, totals.rejected, totals.failed) == (len(events), 0, 0)
    assert all(len(batch) <= 500 for batch in fake.batches)
    assert {parse_event(e).agreement_id for e in events} == {
        "acme-helpdesk", "globex-hotline", "initech-support",
    }  # fmt: skip
    instants = [_epoch(e) for e in events]
    assert instants == sorted(instants)
    assert started_at - 0.05 * 3600 - 5 < instants[0] < started_at - 0.04 * 3600
    # The backfill ends at the start instant; how long it takes depends on the machine's load,
    # so the live phase is recognised by its instants, not by how recent they are.
    assert started_at < instants[-1] <= finished_at, "live events follow the backfill"


async def test_bad_events_are_counted_and_good_ones_resent(ingest: tuple[FakeIngest, str]) -> None:
    fake, url = ingest
    opts = Options(url, DEMO, rate=10, backfill_hours=0.2, seconds=0.5, seed=2, bad_share=0.05)
    totals = await simulate(opts, asyncio.Event())
    assert totals.rejected > 0
    assert totals.failed == 0
    assert totals.accepted == len(fake.accepted)
    assert len({e["event_id"] for e in fake.accepted}) == len(fake.accepted)


async def test_waits_for_the_ingest_service_to_come_up(listener: tuple[socket.socket, str]) -> None:
    sock, url = listener
    fake = FakeIngest()
    event = {"type": "ticket.reopened", "event_id": "e1", "agreement_id": "a", "ticket_id": "t"}
    event["occurred_at"] = "2026-10-05T00:00:00Z"
    async with httpx.AsyncClient() as client:
        sender = IngestSender(client, url, asyncio.Event(), retry_seconds=20)
        sending = asyncio.create_task(sender.send([event]))
        await asyncio.sleep(1.0)
        assert not sending.done()
        for _ in _serve(fake.app, sock):
            await asyncio.wait_for(sending, 15)
    assert sender.totals.accepted == 1
    assert fake.accepted == [event]


def _mock(*statuses: int) -> tuple[httpx.MockTransport, list[int]]:
    seen: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        status = statuses[min(len(seen), len(statuses) - 1)]
        seen.append(status)
        if status == 422:
            body = {"accepted": [], "rejected": [{"index": 0, "event_id": "x", "reason": "bad"}]}
            return httpx.Response(422, json=body)
        return httpx.Response(status, json={"accepted": ["y"] * 3, "rejected": []})

    return httpx.MockTransport(handle), seen


async def test_retries_on_503_and_resends_the_valid_part_of_a_refused_batch() -> None:
    transport, seen = _mock(503, 503, 422, 202)
    async with httpx.AsyncClient(transport=transport) as client:
        sender = IngestSender(client, "http://ingest", asyncio.Event(), retry_seconds=10)
        await sender.send([{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}])
    assert seen == [503, 503, 422, 202]
    assert (sender.totals.accepted, sender.totals.rejected) == (3, 1)


async def test_gives_up_when_the_service_stays_away() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        sender = IngestSender(client, "http://ingest", asyncio.Event(), retry_seconds=0.6)
        with pytest.raises(IngestUnavailable):
            await sender.send([{"n": 1}])
    assert sender.totals.failed == 1


def test_sigterm_stops_the_simulator_cleanly(ingest: tuple[FakeIngest, str]) -> None:
    fake, url = ingest
    args = ["--ingest-url", url, "--agreements-file", str(DEMO), "--backfill-hours", "0.05"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.simulator.main", *args, "--rate", "5"],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(fake.batches) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert len(fake.batches) >= 3
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert "stopped:" in stderr


async def test_the_api_key_is_sent_and_a_refused_key_stops_the_run() -> None:
    seen: list[str | None] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(401, json={"title": "Unauthorized", "status": 401})

    opts = Options("http://ingest", DEMO, rate=5, backfill_hours=0.1, seed=3, api_key="sw_k")
    with pytest.raises(IngestRefused, match="401"):
        await simulate(opts, asyncio.Event(), httpx.MockTransport(refuse))
    assert seen == ["Bearer sw_k"]  # no retries: a refused key stays refused


def test_the_api_key_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMULATOR_API_KEY", "sw_from_env")
    assert parse_args([]).api_key == "sw_from_env"
    assert parse_args(["--api-key", "sw_arg"]).api_key == "sw_arg"
    monkeypatch.delenv("SIMULATOR_API_KEY")
    assert parse_args([]).api_key is None
