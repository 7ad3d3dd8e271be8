"""Zendesk `ticket.comment_added` -> `ticket.replied`, for public comments by people.

Private comments are internal notes; comments by the system user (-1) or other configured
automation authors are triggers and macros, not agents; the comment that opened the ticket
is its description. None of them is a reply. Staff (or an author whose `role` is among the
agent roles) reply as agents, everyone else as the customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.connectors.mapping_kit import envelope, ident, obj, parse_instant, scoped_id
from services.core.connectors.zendesk import defaults


def opening_comment(detail: Mapping[str, Any], at: datetime) -> bool:
    """The comment that opened the ticket is its description, not a reply."""
    try:
        created = parse_instant(detail.get("created_at"), "detail.created_at")
    except MappingRefused:
        return False
    return abs((at - created).total_seconds()) < 1.0


def map_comment(
    settings: ConnectorSettings,
    tid: str,
    detail: Mapping[str, Any],
    event: Mapping[str, Any],
    at: datetime,
    event_key: list[str],
) -> list[dict[str, Any]]:
    """The reply one comment states, if any; its id is the comment's own (else `event_key`)."""
    comment = obj(event.get("comment"), "event.comment")
    if comment.get("is_public") is False or comment.get("public") is False:
        return []  # private note
    author = obj(comment.get("author"), "event.comment.author")
    author_id = ident(author.get("id"), "event.comment.author.id")
    bots = {
        str(b) for b in settings.options.get("bot_author_ids", defaults.OPTIONS["bot_author_ids"])
    }
    if author_id in bots or opening_comment(detail, at):
        return []
    role = str(author.get("role") or ("agent" if author.get("is_staff") else "end-user")).lower()
    key = ["comment", ident(comment["id"], "comment.id")] if comment.get("id") else event_key
    fields: dict[str, Any] = {"ticket_id": scoped_id(settings, "ticket", tid)}
    if role in settings.agent_roles:
        fields.update(author="agent", agent_id=scoped_id(settings, "user", author_id))
    else:
        fields["author"] = "customer"
    return [envelope(settings, scoped_id(settings, *key), "ticket.replied", at, **fields)]
