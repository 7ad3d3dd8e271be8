"""The caller of a request, as a FastAPI dependency both the API and ingest use.

A key goes in `Authorization: Bearer <token>` or `X-API-Key: <token>`; both schemes are
declared so OpenAPI shows them and `/docs` offers to fill them in. What a caller may then do
is each service's own check (the API: scope and read/manage; ingest: publish).
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.core.auth.access import Principal
from services.core.auth.authenticator import Authenticator, KeyStoreUnavailable, Unauthenticated
from services.core.http.problems import ProblemError

# auto_error=False: a missing or malformed key gets our 401 problem, not FastAPI's own answer.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The token itself")


async def get_authenticator(request: Request) -> Authenticator:
    """The authenticator the app's lifespan keeps in `app.state.authenticator`."""
    return cast(Authenticator, request.app.state.authenticator)


async def get_principal(
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> Principal:
    """The caller, from `Authorization: Bearer <token>` or `X-API-Key: <token>`.

    401 (with `WWW-Authenticate`) without a valid key; 503 (with `Retry-After`) when the key
    store cannot be asked, since the caller may well be entitled.
    """
    token = bearer.credentials if bearer is not None else api_key
    try:
        return await authenticator.principal(token)
    except Unauthenticated as exc:
        headers = {"WWW-Authenticate": "Bearer"}
        raise ProblemError(401, "Unauthorized", str(exc), "unauthorized", headers=headers) from None
    except KeyStoreUnavailable as exc:
        headers = {"Retry-After": "5"}
        raise ProblemError(
            503, "Service Unavailable", str(exc), "auth-unavailable", headers=headers
        ) from None


PrincipalDep = Annotated[Principal, Depends(get_principal)]
