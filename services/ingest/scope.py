"""A publisher key's scope, applied per event: its client, agreements and connector.

Events outside the scope are refused like invalid ones (a rejection with its reason) and are
never published; the rest of the batch goes on. The rule itself is
`services.core.security.publish_refusal`; this module only finds each agreement's client.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus

from services.core.db.agreement_owners import OwnerLookup
from services.core.events import EventBase
from services.core.http.problems import ProblemError
from services.core.security import Principal, Role, publish_refusal
from services.ingest.batch import Rejection

log = logging.getLogger(__name__)


async def apply_scope(
    principal: Principal,
    events: Sequence[EventBase],
    indices: Sequence[int],
    owners: OwnerLookup,
) -> tuple[list[EventBase], list[Rejection]]:
    """The events `principal` may publish, and a rejection for each other one.

    `indices` are the events' positions in the request's batch. Admin keys skip the lookup;
    when the owners cannot be read the answer is 503, since the key may well be entitled.
    """
    if principal.role is Role.ADMIN or not events:
        return list(events), []
    try:
        clients = await owners({event.agreement_id for event in events})
    except Exception as exc:
        log.exception("reading the owners of %d agreements failed", len(events))
        detail = "the agreements cannot be checked now; retry"
        raise ProblemError(
            503, HTTPStatus(503).phrase, detail, "scope-unavailable", headers={"Retry-After": "5"}
        ) from exc
    allowed: list[EventBase] = []
    refused: list[Rejection] = []
    for index, event in zip(indices, events, strict=True):
        owner = clients.get(event.agreement_id)
        reason = publish_refusal(principal, event.agreement_id, owner, event.source)
        if reason is None:
            allowed.append(event)
        else:
            refused.append(Rejection(index=index, event_id=event.event_id, reason=reason))
    return allowed, refused
