"""Who may call what: API keys as FastAPI dependencies (roles and scopes: docs/security.md).

The caller comes from the shared `get_principal` (services/core/auth/http.py); this module
decides what the caller may do. `main.py` includes every router except the operations one
(probes, /metrics) with `dependencies=AUTHORIZED`, so route files need nothing for
authentication, roles or the agreement scope. Order of checks: a valid key (else 401), the
agreement in the caller's scope (else 404, the very answer an unknown agreement gets, so a
viewer cannot even learn that another client's agreement exists), the role's permission
(else 403). List routes filter with `ScopeDep`.

`/metrics` carries every client's figures, so it is no open operations endpoint: it takes
the scrape token (`API_METRICS_TOKEN`, what Prometheus sends) or an admin key (`SCRAPER`).
"""

from __future__ import annotations

import hmac
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from services.api.deps import get_runtime
from services.api.problems import problem_responses
from services.api.routes.agreement_common import unknown_agreement
from services.core.auth.access import Permission, Role
from services.core.auth.authenticator import Authenticator
from services.core.auth.http import PrincipalDep, get_authenticator, get_principal
from services.core.http.problems import ProblemError

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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


_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="The token itself")


async def authorize_scrape(
    request: Request,
    authenticator: Annotated[Authenticator, Depends(get_authenticator)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> None:
    """The scrape token, else an admin key: 401 without either, 403 for other roles."""
    token = bearer.credentials if bearer is not None else api_key
    expected = cast(SecretStr | None, request.app.state.metrics_token)
    if (
        token is not None
        and expected is not None
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        return
    principal = await get_principal(authenticator, bearer, api_key)
    if principal.role is not Role.ADMIN:
        detail = f"a {principal.role} key may not read every client's metrics"
        raise ProblemError(403, "Forbidden", detail, "forbidden")


AUTHORIZED = [Depends(authorize)]
SCRAPER = [Depends(authorize_scrape)]
AUTH_RESPONSES = problem_responses(401, 403)
ScopeDep = Annotated[str | None, Depends(allowed_client)]
