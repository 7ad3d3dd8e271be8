"""Zendesk's incremental ticket events export -> the v1 events its webhooks state.

`GET /api/v2/incremental/ticket_events.json?include=comment_events` returns one record per
ticket update (an audit): `ticket_id`, `created_at`/`timestamp`, `updater_id`, `via` and
`child_events` (`Create` and `Change` of a field, `Comment`). Each fact goes through the
webhook's own mapping (`tickets.py`, `comments.py`, `ratings.py`) with a webhook-shaped
ticket, so the ids are the same and a backfill followed by live webhooks collapses.

What an audit does not say is kept per ticket in `state` (the backfill's checkpoint, so a
resume knows it): the requester (named only by the Create audit or a later change), the
assignee and the creation time. A comment names its author by id only, so who replied is
inferred (lossy `comment_author_inferred`): the requester and the ids in
options["end_user_ids"] are the customer, bots are nobody, anyone else is an agent.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import datetime
from typing import Any, TypedDict

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.connectors.mapping_kit import ident, obj, parse_instant, rfc3339
from services.core.connectors.zendesk import defaults
from services.core.connectors.zendesk.comments import map_comment
from services.core.connectors.zendesk.ratings import map_rating
from services.core.connectors.zendesk.tickets import map_created, map_status_changed, status_key

COMMENT_AUTHOR_INFERRED = "comment_author_inferred"
# Keys of a Create/Change child that describe the child, not a ticket field.
_META = frozenset({"id", "via", "via_reference_id", "event_type", "type", "previous_value"})


class TicketFacts(TypedDict, total=False):
    """What the backfill remembers of one ticket between audits (JSON in the checkpoint)."""

    requester: str
    assignee: str
    created_at: str


TicketState = MutableMapping[str, TicketFacts]  # by Zendesk ticket id


def _kind(child: Mapping[str, Any]) -> str:
    return str(child.get("event_type") or child.get("type") or "")


def _fields(child: Mapping[str, Any]) -> dict[str, Any]:
    """A Create/Change child's fields: `field_name`/`value`, or the fields as keys."""
    if "field_name" in child:
        return {str(child["field_name"]): child.get("value")}
    return {k: v for k, v in child.items() if k not in _META}


def _channel(via: Any) -> str:
    if isinstance(via, Mapping):
        return str(via.get("channel") or "")
    return str(via or "").lower().replace(" ", "_")  # older exports: "Web form", "Mail"


def _author_role(settings: ConnectorSettings, facts: TicketFacts, author: str) -> str:
    if COMMENT_AUTHOR_INFERRED not in settings.lossy:
        raise MappingRefused("comment authors are ids only: allow lossy `comment_author_inferred`")
    if "requester" not in facts:
        raise MappingRefused("the ticket's requester is unknown: export from before its creation")
    end_users = {str(u) for u in settings.options.get("end_user_ids", [])}
    if author == facts["requester"] or author in end_users:
        return "end-user"
    # A role `map_comment` counts as an agent's, whatever the agreement calls its agent roles.
    return min(settings.agent_roles, default="agent")


def _comment(
    settings: ConnectorSettings,
    tid: str,
    facts: TicketFacts,
    child: Mapping[str, Any],
    at: datetime,
) -> list[dict[str, Any]]:
    if child.get("public") is False:
        return []  # internal note: no author needs deciding
    cid = ident(child.get("id"), "Comment.id")
    author = ident(child.get("author_id"), "Comment.author_id")
    bots = {
        str(b) for b in settings.options.get("bot_author_ids", defaults.OPTIONS["bot_author_ids"])
    }
    role = "bot" if author in bots else _author_role(settings, facts, author)
    comment = {"id": cid, "public": True, "author": {"id": author, "role": role}}
    when = (
        parse_instant(child["created_at"], "Comment.created_at") if child.get("created_at") else at
    )
    detail = {"created_at": facts.get("created_at")}
    return map_comment(settings, tid, detail, {"comment": comment}, when, ["comment", cid])


def map_ticket_event_record(
    record: Any, settings: ConnectorSettings, state: TicketState
) -> list[dict[str, Any]]:
    """The v1 events one export record states; `state` is updated only if it maps."""
    audit = obj(record, "ticket_event")
    tid = ident(audit.get("ticket_id"), "ticket_event.ticket_id")
    at = parse_instant(audit.get("created_at") or audit.get("timestamp"), "ticket_event.created_at")
    children = audit.get("child_events") or []
    if not isinstance(children, list):
        raise MappingRefused("child_events must be a list")
    facts: TicketFacts = dict(state.get(tid, {}))  # type: ignore[assignment]
    updater = audit.get("updater_id")
    out: list[dict[str, Any]] = []
    for child in (obj(c, "child_event") for c in children):
        kind, fields = _kind(child), _fields(child)
        if kind in ("Create", "Change"):
            if fields.get("requester_id") not in (None, ""):
                facts["requester"] = ident(fields["requester_id"], "requester_id")
            if fields.get("assignee_id") not in (None, ""):
                facts["assignee"] = ident(fields["assignee_id"], "assignee_id")
        if kind == "Create" and "created_at" not in facts:
            facts["created_at"] = rfc3339(at)
    ticket = {"id": tid, "created_at": facts.get("created_at"), "actor_id": updater}
    ticket["assignee_id"] = facts.get("assignee")
    created = {k: v for c in children if _kind(c) == "Create" for k, v in _fields(c).items()}
    if created:
        detail = {**ticket, **created, "requester_id": facts.get("requester")}
        detail.update(via={"channel": _channel(audit.get("via"))}, created_at=rfc3339(at))
        out += map_created(settings, tid, detail)
    for child in children:
        kind, fields = _kind(child), _fields(child)
        if kind == "Change" and "status" in fields:
            change = {"current": fields["status"], "previous": child.get("previous_value")}
            out += map_status_changed(
                settings, tid, ticket, change, at, status_key(tid, change, at)
            )
        elif kind == "Change" and "satisfaction_score" in fields:
            score = fields["satisfaction_score"]
            score = score.get("score") if isinstance(score, Mapping) else score
            rating = {"id": tid, "ticket_id": tid, "score": score, "updated_at": rfc3339(at)}
            out += map_rating({"satisfaction_rating": rating}, settings)
        elif kind == "Comment":
            out += _comment(settings, tid, facts, child, at)
    if any(_fields(c).get("status") == "closed" for c in children if _kind(c) == "Change"):
        state.pop(tid, None)  # a closed ticket never changes again: keep the checkpoint small
    else:
        state[tid] = facts
    return out
