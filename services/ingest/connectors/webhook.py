"""`POST /v1/connectors/{connector_id}/events`: a tool's webhook, verified, kept, mapped, stored.

In this order: the connector's configuration (404 when unknown); its signature check (401,
nothing kept or published); the raw body on `{prefix}.raw.v1` (503 when the broker does not
take it, so the tool retries); the mapping; then the same validation, screening and publish
path as `POST /v1/events`. A payload that cannot be mapped, or whose events the contract or
screening refuse, is answered 202 (the tool must not retry it forever) and kept as a dead
letter with its reason, readable per connector in the API. Why the tool's signature is the
credential here: tools cannot send slawatch API keys, and the secret is per connector.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, cast

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.core.auth.access import Principal, Role
from services.core.connectors.registry import UnknownTool, connector_for
from services.core.contract.event_range import EventTimeRange
from services.core.http.problems import ProblemError, problem_responses
from services.core.settings import IngestSettings
from services.ingest.batch import DUPLICATE_IN_BATCH, read_limited, validate_indexed
from services.ingest.connectors.base import SignatureRefused, verify_request
from services.ingest.connectors.configs import ActiveConnector, ConnectorConfigs
from services.ingest.connectors.derive import derive
from services.ingest.connectors.instruments import ConnectorInstruments, PayloadOutcome
from services.ingest.connectors.raw import RawPayloads
from services.ingest.inputs import screen_events
from services.ingest.publisher import EventPublisher, PublishError
from services.ingest.screening import refused_counts, screen

log = logging.getLogger(__name__)
DeadLetterRecorder = Callable[[str, datetime, str, bytes], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ConnectorRuntime:
    """What the lifespan gives the webhook route (`app.state.connectors`)."""

    configs: ConnectorConfigs
    raw: RawPayloads
    record_dead_letter: DeadLetterRecorder
    instruments: ConnectorInstruments


class WebhookResult(BaseModel):
    """The answer to a tool: event ids stored, and the dead letter's reason if there is one."""

    accepted: list[str]
    dead_letter: str | None = None


def _unavailable(detail: str, kind: str) -> ProblemError:
    headers = {"Retry-After": "5"}
    return ProblemError(503, HTTPStatus(503).phrase, detail, kind, headers=headers)


def connector_principal(active: ActiveConnector, client: str) -> Principal:
    """A connector writes like a publisher key scoped to its one agreement."""
    return Principal(
        key_id=f"connector:{active.connector_id}",
        role=Role.PUBLISHER,
        client=client,
        agreements=frozenset({active.agreement_id}),
    )


def build_connector_router(settings: IngestSettings, publisher: EventPublisher) -> APIRouter:
    """The webhook route, bound to the service's settings and publisher."""
    router = APIRouter(tags=["connectors"])
    window = EventTimeRange(settings.max_future_seconds, settings.max_days_before_term)

    @router.post(
        "/v1/connectors/{connector_id}/events",
        status_code=202,
        summary="A tool's webhook (Zendesk, Chatwoot, Amazon Connect, generic JSON)",
        response_model=WebhookResult,
        responses=problem_responses(401, 404, 408, 413, 503),
    )
    async def post_connector_events(
        request: Request, connector_id: str = Path(examples=["acme-zammad"])
    ) -> JSONResponse:
        runtime = cast(ConnectorRuntime, request.app.state.connectors)
        declared = request.headers.get("content-length")
        body = await read_limited(request.stream(), declared, settings.max_body_bytes)
        try:
            active = await runtime.configs.find(connector_id)
        except Exception as exc:
            log.warning("reading connector %r failed: %r", connector_id, exc)
            raise _unavailable(
                "the connector configuration cannot be read", "config-unavailable"
            ) from exc
        if active is None:
            detail = f"no connector {connector_id!r}"
            raise ProblemError(404, HTTPStatus(404).phrase, detail, "unknown-connector")
        try:
            connector = connector_for(active.tool)
        except UnknownTool as exc:
            raise _unavailable(str(exc), "connector-unavailable") from None
        received_at = datetime.now(UTC)
        try:
            verify_request(
                connector, request.headers, body, active.secret, received_at, active.settings
            )
        except SignatureRefused as exc:
            runtime.instruments.count(active.tool, PayloadOutcome.REFUSED_SIGNATURE)
            raise ProblemError(401, "Unauthorized", exc.reason, "bad-signature") from None
        # The raw body is sent first and mapped while the broker acknowledges it; the answer
        # waits for both, so a 202 still means the raw payload is kept (one round trip, not two).
        keeping = asyncio.ensure_future(
            runtime.raw.keep(connector_id, active.agreement_id, active.tool, body, received_at)
        )
        try:
            result = await _ingest(request, publisher, window, active, body, received_at, settings)
        finally:
            kept = (await asyncio.gather(keeping, return_exceptions=True))[0]
        if isinstance(kept, BaseException):
            log.warning("keeping a raw payload of %r failed: %r", connector_id, kept)
            detail = "the payload could not be stored; retry"
            raise _unavailable(detail, "broker-unavailable") from kept
        if result.dead_letter is not None:
            await _dead_letter(runtime, connector_id, received_at, result.dead_letter, body)
            runtime.instruments.count(active.tool, PayloadOutcome.DEAD_LETTER)
        else:
            outcome = PayloadOutcome.PUBLISHED if result.accepted else PayloadOutcome.IGNORED
            runtime.instruments.count(active.tool, outcome)
        return JSONResponse(result.model_dump(), status_code=202)

    return router


async def _ingest(
    request: Request,
    publisher: EventPublisher,
    window: EventTimeRange,
    active: ActiveConnector,
    body: bytes,
    received_at: datetime,
    settings: IngestSettings,
) -> WebhookResult:
    derived = derive(connector_for(active.tool), active, body)
    if derived.refusal is not None:
        return WebhookResult(accepted=[], dead_letter=derived.refusal)
    items = derived.items
    valid, rejected = validate_indexed(items)
    valid, screened_out = screen_events(valid)
    ledger: Any = request.app.state.ledger
    try:
        known = await ledger.agreements.find({active.agreement_id})
    except Exception as exc:
        log.warning("looking up agreement %r failed: %r", active.agreement_id, exc)
        raise _unavailable(
            "the agreement could not be checked; retry", "agreements-unavailable"
        ) from exc
    if active.agreement_id not in known:
        return WebhookResult(accepted=[], dead_letter=f"no agreement {active.agreement_id!r}")
    principal = connector_principal(active, known[active.agreement_id].client)
    screened = screen(valid, rejected + screened_out, principal, known, received_at, window)
    if screened.accepted:
        try:
            async with asyncio.timeout(settings.publish_timeout_seconds):
                await publisher.publish(screened.accepted)
        except (PublishError, TimeoutError) as exc:
            log.warning("publishing %d connector events failed: %r", len(screened.accepted), exc)
            raise _unavailable(
                "the events could not be stored in time; retry", "broker-unavailable"
            ) from exc
    # A fact the payload states twice is one event: not worth a dead letter.
    refused = [r for r in screened.rejected if not r.reason.startswith(DUPLICATE_IN_BATCH)]
    accepted = [e.event_id for e in screened.accepted]
    if not refused:
        return WebhookResult(accepted=accepted)
    counts = refused_counts(items, screened, principal, known, received_at)
    try:
        await ledger.record_counts(counts)
    except Exception:
        log.exception("counting %d connector refusals failed", sum(counts.values()))
    reasons = "; ".join(f"event {r.index} ({r.event_id}): {r.reason}" for r in refused)
    return WebhookResult(accepted=accepted, dead_letter=f"{len(refused)} events refused: {reasons}")


async def _dead_letter(
    runtime: ConnectorRuntime, connector_id: str, received_at: datetime, reason: str, body: bytes
) -> None:
    # The raw payload is on the raw topic already: a dead letter not written is logged, and
    # `replay` can still re-derive it once the mapping is fixed.
    try:
        await runtime.record_dead_letter(connector_id, received_at, reason[:4000], body)
    except Exception:
        log.exception("writing a dead letter of connector %r failed", connector_id)
