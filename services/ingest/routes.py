"""HTTP routes: `POST /v1/events`, and the liveness and readiness probes.

Accepted means stored: the answer is sent only after the broker acknowledged every valid
event of the request. Valid events of a partly invalid batch are still stored, so a sender
fixes and resends only the rejected items.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter

from services.core.contract.event_range import EventTimeRange
from services.core.contract.events import Event
from services.core.http.probes import Probe, outcome
from services.core.http.problems import ProblemError, problem_responses
from services.core.settings import IngestSettings
from services.core.storage.event_counts import CountKey
from services.ingest.agreements import KnownAgreement, KnownAgreements
from services.ingest.batch import IngestResult, decode_items, read_limited, validate_indexed
from services.ingest.inputs import require_json, require_utf8, screen_events
from services.ingest.publisher import EventPublisher, PublishError
from services.ingest.screening import claimed_agreement, refused_counts, screen
from services.ingest.security import PublisherDep

log = logging.getLogger(__name__)
BROKER_RETRY_AFTER_SECONDS = 5

_EXAMPLE = {
    "event_id": "evt-0001",
    "type": "ticket.created",
    "occurred_at": "2024-05-06T09:15:00Z",
    "agreement_id": "acme-support",
    "ticket_id": "T-1001",
    "customer_id": "cust-42",
    "channel": "email",
    "priority": "high",
}
_REPLY = {
    "event_id": "evt-0002",
    "type": "ticket.replied",
    "occurred_at": "2024-05-06T09:45:30+02:00",
    "agreement_id": "acme-support",
    "ticket_id": "T-1001",
    "author": "agent",
    "agent_id": "agent-7",
}


CountRecorder = Callable[[Mapping[CountKey, int]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Ledger:
    """What the lifespan gives the route: the known agreements and where refusals are counted."""

    agreements: KnownAgreements
    record_counts: CountRecorder


def event_components() -> dict[str, Any]:
    """OpenAPI components for the event union (`Event`) and the models it refers to."""
    schema = TypeAdapter(Event).json_schema(ref_template="#/components/schemas/{model}")
    return {**schema.pop("$defs"), "Event": schema}


def _request_body(max_events: int) -> dict[str, Any]:
    event = {"$ref": "#/components/schemas/Event"}
    batch = {"type": "array", "items": event, "minItems": 1, "maxItems": max_events}
    examples = {
        "single": {"summary": "One event", "value": _EXAMPLE},
        "batch": {"summary": "A batch, stored in this order", "value": [_EXAMPLE, _REPLY]},
    }
    content = {"schema": {"anyOf": [event, batch]}, "examples": examples}
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


_POST_RESPONSES = problem_responses(400, 401, 403, 408, 413, 415, 422, 503)
_POST_RESPONSES[422]["description"] = (
    "Some or all events rejected: the problem lists `accepted` (stored) and `rejected` items."
    " Besides breaking the contract, an event is rejected when its agreement does not exist"
    " or its `occurred_at` is outside the accepted range (before 2000-01-01T00:00:00Z, more"
    " than INGEST_MAX_DAYS_BEFORE_TERM days before the agreement's term, or more than"
    " INGEST_MAX_FUTURE_SECONDS after receipt)"
)


async def _producer_ready(publisher: EventPublisher) -> None:
    if not await publisher.ready():
        raise ConnectionError("the Kafka producer is not connected")


def build_router(settings: IngestSettings, publisher: EventPublisher) -> APIRouter:
    """The service's routes, bound to its settings and publisher."""
    router = APIRouter()
    window = EventTimeRange(settings.max_future_seconds, settings.max_days_before_term)

    @router.post(
        "/v1/events",
        status_code=202,
        summary="Submit one event or a batch",
        response_model=IngestResult,
        responses=_POST_RESPONSES,
        openapi_extra=_request_body(settings.max_batch_events),
    )
    async def post_events(request: Request, principal: PublisherDep) -> JSONResponse:
        require_json(request.headers.get("content-type"))
        declared = request.headers.get("content-length")
        body = await read_limited(request.stream(), declared, settings.max_body_bytes)
        require_utf8(body)
        received_at = datetime.now(UTC)
        items = decode_items(body, settings.max_batch_events)
        valid, rejected = validate_indexed(items)
        valid, screened_out = screen_events(valid)
        ledger = cast(Ledger, request.app.state.ledger)
        # One lookup for every check and count: each agreement the batch names, valid or not.
        named = {a for item in items if (a := claimed_agreement(item)) is not None}
        known = await _known(ledger, named)
        screened = screen(valid, rejected + screened_out, principal, known, received_at, window)
        if screened.all_out_of_scope:
            refused = screened.rejected
            detail = f"no event of the batch is in this key's scope: {refused[0].reason}"
            result = IngestResult(accepted=[], rejected=refused)
            raise ProblemError(403, "Out of scope", detail, "out-of-scope", **result.model_dump())
        events, rejected = screened.accepted, screened.rejected
        if events:
            try:
                async with asyncio.timeout(settings.publish_timeout_seconds):
                    await publisher.publish(events)
            except (PublishError, TimeoutError) as exc:
                log.warning("publishing %d events failed: %r", len(events), exc)
                # Nothing is reported accepted: the sender resends the whole request, and
                # consumers drop any copy that did get through by its event_id.
                detail = (
                    "the events could not be stored in time; retry the request (an event that"
                    " was stored after all is counted once: copies are dropped by event_id)"
                )
                headers = {"Retry-After": str(BROKER_RETRY_AFTER_SECONDS)}
                raise ProblemError(
                    503, HTTPStatus(503).phrase, detail, "broker-unavailable", headers=headers
                ) from exc
        result = IngestResult(accepted=[e.event_id for e in events], rejected=rejected)
        if rejected:
            counts = refused_counts(items, screened, principal, known, received_at)
            await _count_refusals(ledger, counts)
            detail = f"{len(rejected)} of {len(rejected) + len(events)} events rejected"
            raise ProblemError(
                422, "Invalid events", detail, "invalid-events", **result.model_dump()
            )
        return JSONResponse(result.model_dump(), status_code=202)

    @router.get("/healthz", summary="Liveness: the process serves requests")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: the broker and PostgreSQL (API keys, agreements) are reachable",
        responses=problem_responses(503),
    )
    async def readyz(request: Request) -> dict[str, Any]:
        database: Probe | None = request.app.state.database_probe
        kafka = outcome(_producer_ready(publisher))
        checks = {"kafka": await kafka}
        if database is not None:
            checks["database"] = await outcome(database())
        failed = sorted(name for name, result in checks.items() if result != "ok")
        if failed:
            detail = "not ready: " + ", ".join(failed)
            raise ProblemError(503, HTTPStatus(503).phrase, detail, "not-ready", checks=checks)
        return {"status": "ready", "checks": checks}

    return router


async def _known(ledger: Ledger, ids: set[str]) -> dict[str, KnownAgreement]:
    if not ids:
        return {}
    try:
        return await ledger.agreements.find(ids)
    except Exception as exc:
        # The events may well be acceptable and the key entitled: a retry, not a refusal.
        log.warning("looking up %d agreements failed: %r", len(ids), exc)
        detail = "the agreements could not be checked; retry the request"
        raise ProblemError(
            503,
            HTTPStatus(503).phrase,
            detail,
            "agreements-unavailable",
            headers={"Retry-After": "1"},
        ) from exc


async def _count_refusals(ledger: Ledger, counts: Mapping[CountKey, int]) -> None:
    # The answer does not depend on it: a refusal not counted is logged, not retried.
    try:
        await ledger.record_counts(counts)
    except Exception:
        log.exception("counting %d refusals failed", sum(counts.values()))
