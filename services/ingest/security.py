"""API keys on ingest: `POST /v1/events` needs a key whose role may publish.

The same keys, roles and caller as the API (services/core/auth/access.py and the shared
`get_principal` in services/core/auth/http.py); only the publish check is this service's own.
Publishers and admins may publish; a viewer key gets 403. The probes stay open. What a
publisher may publish (its client's agreements) is checked per event in screening.py.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import Depends

from services.core.auth.access import Permission, Principal
from services.core.auth.http import PrincipalDep
from services.core.http.problems import ProblemError


async def require_publisher(principal: PrincipalDep) -> Principal:
    """The caller; 403 unless its role may publish events."""
    if not principal.can(Permission.PUBLISH):
        detail = f"a {principal.role} key may not publish events"
        raise ProblemError(403, HTTPStatus(403).phrase, detail, "forbidden")
    return principal


PublisherDep = Annotated[Principal, Depends(require_publisher)]
