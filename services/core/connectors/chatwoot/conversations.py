"""Chatwoot conversations -> `ticket.created` and the status events (a conversation is a ticket)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.core.connectors.base import ConnectorSettings, MappingRefused, pseudonym
from services.core.connectors.chatwoot import defaults
from services.core.connectors.mapping_kit import envelope, ident, parse_instant, part, scoped_id


def pick(overrides: Mapping[str, Any], builtin: Mapping[str, Any], key: str) -> Any:
    """The agreement's entry for `key`, else the tool's default (None when neither has it)."""
    return overrides[key] if key in overrides else builtin.get(key)


def ticket_of(settings: ConnectorSettings, conversation: Mapping[str, Any]) -> str:
    """The v1 ticket id of a conversation (its display id, as webhooks and the API show it)."""
    return scoped_id(settings, "conv", ident(conversation.get("id"), "conversation.id"))


def _customer(settings: ConnectorSettings, conversation: Mapping[str, Any]) -> str:
    sender = part(part(conversation, "meta"), "sender")
    contact = sender.get("id") or part(conversation, "contact_inbox").get("contact_id")
    if contact not in (None, ""):
        return scoped_id(settings, "contact", ident(contact, "meta.sender.id"))
    for kind, field in (("email", "email"), ("phone", "phone_number")):
        if isinstance(sender.get(field), str) and sender[field]:
            return pseudonym(kind, sender[field], settings.pseudonym_key)
    raise MappingRefused("conversation names no contact")


def conversation_created(
    payload: Mapping[str, Any], settings: ConnectorSettings
) -> list[dict[str, Any]]:
    """`conversation_created`: a new ticket, dated at the conversation's creation."""
    at = parse_instant(payload.get("created_at") or payload.get("timestamp"), "created_at")
    channel = pick(settings.channel_map, defaults.CHANNEL_MAP, str(payload.get("channel") or ""))
    priority = pick(
        settings.priority_map, defaults.PRIORITY_MAP, str(payload.get("priority") or "").lower()
    )
    if priority is None:
        raise MappingRefused(f"unknown Chatwoot priority {payload.get('priority')!r}")
    ticket = ticket_of(settings, payload)
    return [
        envelope(
            settings,
            f"{ticket}:created",
            "ticket.created",
            at,
            ticket_id=ticket,
            customer_id=_customer(settings, payload),
            priority=priority,
            channel=channel
            or settings.options.get("default_channel", defaults.OPTIONS["default_channel"]),
        )
    ]


def _previous_status(payload: Mapping[str, Any]) -> str | None:
    for change in payload.get("changed_attributes") or []:
        if isinstance(change, Mapping) and isinstance(change.get("status"), Mapping):
            return str(change["status"].get("previous_value") or "") or None
    return None


def status_changed(payload: Mapping[str, Any], settings: ConnectorSettings) -> list[dict[str, Any]]:
    """`conversation_status_changed` (or a pulled conversation's current status)."""
    raw = str(payload.get("status") or "")
    current = pick(settings.status_map, defaults.STATUS_MAP, raw)
    if current is None:
        raise MappingRefused(f"unknown Chatwoot status {raw!r}: add it to the status map")
    at: datetime = parse_instant(
        payload.get("updated_at") or payload.get("timestamp"), "updated_at"
    )
    ticket = ticket_of(settings, payload)
    event_id = scoped_id(settings, "conv", payload["id"], raw, int(at.timestamp()))
    if current in ("solved", "closed"):
        assignee = part(part(payload, "meta"), "assignee")
        agent = assignee.get("id") or settings.options.get(
            "unassigned_agent", defaults.OPTIONS["unassigned_agent"]
        )
        return [
            envelope(
                settings,
                event_id,
                "ticket.resolved",
                at,
                ticket_id=ticket,
                agent_id=scoped_id(settings, "user", agent),
            )
        ]
    previous = _previous_status(payload)
    was_done = previous is None or pick(settings.status_map, defaults.STATUS_MAP, previous) in (
        "solved",
        "closed",
    )
    if current == "open" and was_done:
        # Unknown before: a reopen is harmless (v1: a reopen of an unresolved ticket is a no-op).
        return [envelope(settings, event_id, "ticket.reopened", at, ticket_id=ticket)]
    return [
        envelope(settings, event_id, "ticket.status_changed", at, ticket_id=ticket, status=current)
    ]
