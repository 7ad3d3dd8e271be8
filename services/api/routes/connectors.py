"""Connector administration: `/v1/agreements/{id}/connectors/{connector_id}` (admins only).

A connector ties one tool account to one agreement (docs/connectors.md). The secret is sealed
with CONNECTORS_SECRETS_KEY before it is stored and never returned; the pseudonym key is made
here once, sealed, and never returned either. Ingest reads the stored configuration with a
short cache, so a change applies within CONNECTORS_CONFIG_CACHE_SECONDS, with no restart.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel

from services.api import connector_tools as tools
from services.api.deps import SessionDep
from services.api.problems import problem_responses
from services.api.routes.agreement_common import stored_or_404
from services.core.auth.access import Role
from services.core.auth.http import PrincipalDep
from services.core.connectors.config import (
    ConnectorConfigIn,
    ConnectorConfigOut,
    ConnectorDocument,
    webhook_path,
)
from services.core.connectors.secret_box import SecretBox, SecretBoxError
from services.core.http.problems import ProblemError
from services.core.settings import ConnectorsSettings
from services.core.storage import connectors_repo as repo


async def require_admin(principal: PrincipalDep) -> None:
    """Connector settings name a client's tool setup and hold secrets: admins only."""
    if principal.role is not Role.ADMIN:
        detail = f"a {principal.role} key may not see or change connectors"
        raise ProblemError(403, "Forbidden", detail, "forbidden")


router = APIRouter(prefix="/v1", tags=["connectors"], dependencies=[Depends(require_admin)])
AgreementId = Annotated[str, Path(examples=["acme-helpdesk"])]
ConnectorIdPath = Annotated[str, Path(examples=["acme-zammad"])]


def _box(request: Request) -> SecretBox:
    settings = cast(ConnectorsSettings, request.app.state.connectors_settings)
    try:
        return SecretBox(settings.secrets_key)
    except SecretBoxError as exc:
        raise ProblemError(503, "Connectors not set up", str(exc), "no-secrets-key") from None


def _out(stored: repo.StoredConnector) -> ConnectorConfigOut:
    document = ConnectorDocument.model_validate(stored.document)
    effective = tools.effective(stored.tool, document)
    return ConnectorConfigOut(
        connector_id=stored.connector_id,
        agreement_id=stored.agreement_id,
        tool=stored.tool,
        namespace=document.namespace,
        webhook_path=webhook_path(stored.connector_id),
        overrides=document,
        version=stored.version,
        **effective,
    )


def _unknown(connector_id: str) -> ProblemError:
    detail = f"no connector {connector_id!r} for this agreement"
    return ProblemError(404, "Unknown connector", detail, "unknown-connector")


@router.get("/agreements/{agreement_id}/connectors", summary="The agreement's connectors")
async def list_connectors(
    agreement_id: AgreementId, session: SessionDep
) -> list[ConnectorConfigOut]:
    await stored_or_404(session, agreement_id)
    return [_out(s) for s in await repo.connectors_of(session, agreement_id)]


@router.get(
    "/agreements/{agreement_id}/connectors/{connector_id}",
    summary="A connector: effective maps (tool defaults and overrides), never the secret",
    responses=problem_responses(404),
)
async def get_connector(
    agreement_id: AgreementId, connector_id: ConnectorIdPath, session: SessionDep
) -> ConnectorConfigOut:
    stored = await repo.get_connector(session, connector_id)
    if stored is None or stored.agreement_id != agreement_id:
        raise _unknown(connector_id)
    return _out(stored)


@router.put(
    "/agreements/{agreement_id}/connectors/{connector_id}",
    summary="Create or replace a connector (the secret is required on creation only)",
    responses={201: {"description": "Created"}, **problem_responses(404, 409, 422, 503)},
)
async def put_connector(
    agreement_id: AgreementId,
    connector_id: ConnectorIdPath,
    body: ConnectorConfigIn,
    session: SessionDep,
    request: Request,
    response: Response,
) -> ConnectorConfigOut:
    tools.check_connector_id(connector_id)
    tools.check(body.tool, body.options)
    box = _box(request)
    async with session.begin():
        await stored_or_404(session, agreement_id)
        secret = body.secret.get_secret_value().encode() if body.secret is not None else None
        try:
            stored, created = await repo.put_connector(
                session,
                connector_id=connector_id,
                agreement_id=agreement_id,
                tool=body.tool,
                document=tools.stored_document(body.tool, body.document(connector_id)).model_dump(
                    mode="json"
                ),
                secret_sealed=box.seal(secret) if secret is not None else None,
                pseudonym_key_sealed=box.seal(secrets.token_bytes(32)),
                now=datetime.now(UTC),
            )
        except ValueError as exc:
            raise ProblemError(409, "Connector conflict", str(exc), "connector-conflict") from None
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/v1/agreements/{agreement_id}/connectors/{connector_id}"
    return _out(stored)


@router.delete(
    "/agreements/{agreement_id}/connectors/{connector_id}",
    status_code=204,
    summary="Remove a connector (its webhooks are answered 404 from then on)",
    responses=problem_responses(404),
)
async def delete_connector(
    agreement_id: AgreementId, connector_id: ConnectorIdPath, session: SessionDep
) -> Response:
    async with session.begin():
        if not await repo.delete_connector(session, agreement_id, connector_id):
            raise _unknown(connector_id)
    return Response(status_code=204)


class DeadLetterOut(BaseModel):
    id: int
    received_at: datetime
    reason: str
    payload: str  # the raw body as text (undecodable bytes replaced)


class DeadLettersOut(BaseModel):
    connector_id: str
    count: int
    dead_letters: list[DeadLetterOut]


@router.get(
    "/agreements/{agreement_id}/connectors/{connector_id}/dead-letters",
    summary="Payloads the connector could not map, newest first, with the reason",
    responses=problem_responses(404),
)
async def dead_letters(
    agreement_id: AgreementId,
    connector_id: ConnectorIdPath,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeadLettersOut:
    stored = await repo.get_connector(session, connector_id)
    if stored is None or stored.agreement_id != agreement_id:
        raise _unknown(connector_id)
    count, letters = await repo.dead_letters(session, connector_id, limit)
    rows: list[Any] = [
        DeadLetterOut(
            id=d.id,
            received_at=d.received_at,
            reason=d.reason,
            payload=d.payload.decode("utf-8", "replace"),
        )
        for d in letters
    ]
    return DeadLettersOut(connector_id=connector_id, count=count, dead_letters=rows)
