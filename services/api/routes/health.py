"""Operations endpoints: liveness, readiness against PostgreSQL and Kafka, Prometheus.

The probes are open; `main.py` mounts `/metrics` (`metrics_router`) behind the scrape token.

Readiness probes both backends concurrently with a short timeout, so a hung dependency turns
into a 503 naming it instead of a hung probe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from aiokafka import AIOKafkaClient
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.api.deps import RuntimeDep, SessionDep
from services.api.problems import problem_responses
from services.api.schemas import HealthOut
from services.core.http.problems import ProblemError
from services.core.storage.repository import ping

router = APIRouter(tags=["operations"])
metrics_router = APIRouter(tags=["operations"])
PROBE_TIMEOUT_SECONDS = 2.0


async def kafka_metadata(bootstrap_servers: str, timeout_seconds: float) -> None:
    """Raise unless a broker answers a metadata request within the timeout."""
    timeout_ms = int(timeout_seconds * 1000)
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=timeout_ms)
    try:
        await asyncio.wait_for(client.bootstrap(), timeout_seconds)
    finally:
        await client.close()


async def _probe(check: Awaitable[None]) -> str:
    try:
        await asyncio.wait_for(check, PROBE_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"timed out after {PROBE_TIMEOUT_SECONDS:g} s"
    except Exception as exc:  # any failure means "not ready"; say which one
        return f"{type(exc).__name__}: {exc}".rstrip(": ")
    return "ok"


@router.get("/healthz", summary="Liveness")
async def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: PostgreSQL and Kafka answer",
    responses=problem_responses(503),
)
async def readyz(runtime: RuntimeDep, session: SessionDep) -> HealthOut:
    database, kafka = await asyncio.gather(
        _probe(ping(session)),
        _probe(kafka_metadata(runtime.kafka.bootstrap_servers, PROBE_TIMEOUT_SECONDS)),
    )
    checks = {"database": database, "kafka": kafka}
    failed = sorted(name for name, result in checks.items() if result != "ok")
    if failed:
        detail = "not ready: " + ", ".join(failed)
        raise ProblemError(503, "Service Unavailable", detail, "not-ready", checks=checks)
    return HealthOut(status="ready", checks=checks)


@metrics_router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
async def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)
