"""Who may call what: API keys as FastAPI dependencies (roles and scopes: docs/security.md).

`main.py` includes every router except the operations one (probes, /metrics) with
`dependencies=AUTHORIZED`, so route files need nothing for authentication, roles or the
agreement scope. Order of checks: a valid key (else 401), the agreement in the caller's
scope (else 404, the very answer an unknown agreement gets, so a viewer cannot even learn
that another client's agreement exists), the role's permission (else 403). List routes
filter with `ScopeDep`.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.api.deps import get_runtime
from services.api.problems import ProblemError, problem_responses
from services.api.routes.agreement_common import unknown_agreement
from services.core.auth import Authenticator, KeyStoreUnavailable, Unauthenticated
from services.core.security import Permission, Principal

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The token itself")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_authenticator(request: Request) -> Authenticator:
    """The authenticator the lifespan keeps in `app.state.authenticator`."""
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
        raise ProblemError(401, "Unauthorized", str(exc), "unauthorized", headers=headers) from None
    except KeyStoreUnavailable as exc:
        headers = {"Retry-After": "5"}
        raise ProblemError(
            503, "Service Unavailable", str(exc), "auth-unavailable", headers=headers
        ) from None


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def authorize(request: Request, principal: PrincipalDep) -> None:
    """Scope (404) and permission (403) of the caller for this request."""
    agreement_id = request.path_params.get("agreement_id")
    if agreement_id is not None and principal.client is not None:
        # Unknown to the catalog counts as out of scope: a scoped key never reads an
        # agreement whose client it cannot check.
        info = get_runtime(request).agreements.get(agreement_id)
        if info is None or not principal.sees(info.client):
            raise unknown_agreement(agreement_id)
    needed = Permission.READ if request.method in READ_METHODS else Permission.MANAGE
    if not principal.can(needed):
        detail = f"a {principal.role} key may not {needed} here"
        raise ProblemError(403, "Forbidden", detail, "forbidden")


async def allowed_client(principal: PrincipalDep) -> str | None:
    """The one client the caller may see, or None for every client."""
    return principal.client


AUTHORIZED = [Depends(authorize)]
AUTH_RESPONSES = problem_responses(401, 403)
ScopeDep = Annotated[str | None, Depends(allowed_client)]
