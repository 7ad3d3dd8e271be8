"""API keys on ingest: `POST /v1/events` needs a key whose role may publish.

The same keys, roles and checks as the API (services/core/security.py, services/core/auth.py);
only the answers are this service's problems. Publishers and admins may publish; a viewer
key gets 403. The probes stay open.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.core.auth import Authenticator, KeyStoreUnavailable, Unauthenticated
from services.core.security import Permission, Principal
from services.ingest.problems import ProblemError

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The token itself")


async def get_authenticator(request: Request) -> Authenticator:
    """The authenticator `create_app` keeps in `app.state.authenticator`."""
    return cast(Authenticator, request.app.state.authenticator)


async def get_principal(
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller, from `Authorization: Bearer <token>` or `X-API-Key: <token>`."""
    token = bearer.credentials if bearer is not None else api_key
    try:
        return await authenticator.principal(token)
    except Unauthenticated as exc:
        headers = {"WWW-Authenticate": "Bearer"}
        raise ProblemError(401, str(exc), "unauthorized", headers=headers) from None
    except KeyStoreUnavailable as exc:
        headers = {"Retry-After": "5"}
        raise ProblemError(503, str(exc), "auth-unavailable", headers=headers) from None


async def require_publisher(principal: Annotated[Principal, Depends(get_principal)]) -> None:
    """403 unless the caller's role may publish events."""
    if not principal.can(Permission.PUBLISH):
        detail = f"a {principal.role} key may not publish events"
        raise ProblemError(403, detail, "forbidden")


PUBLISHER = [Depends(require_publisher)]
