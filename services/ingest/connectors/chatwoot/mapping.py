"""Chatwoot account webhooks -> v1 ticket events (a conversation is a ticket).

| Chatwoot event               | v1 events                                                  |
| ---------------------------- | ---------------------------------------------------------- |
| conversation_created         | ticket.created                                             |
| message_created              | ticket.replied: incoming = customer; outgoing by a user =  |
|                              | agent; private notes, bots, activity and templates: none    |
| conversation_status_changed  | resolved: ticket.resolved; open after resolved (or unknown  |
|                              | before): ticket.reopened; else ticket.status_changed        |
| message_updated (input_csat) | survey.submitted with the submitted 1-5 rating              |

Webhooks and the reconciliation pull (reconcile.py) feed the same functions, so a message
or conversation seen both ways maps to the same `event_id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.ingest.connectors.base import ConnectorSettings, MappingRefused, pseudonym
from services.ingest.connectors.chatwoot import defaults
from services.ingest.connectors.mapping_kit import (
    envelope,
    ident,
    obj,
    parse_instant,
    part,
    scoped_id,
)

# The REST API numbers message types; webhooks name them.
_MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}


def _pick(overrides: Mapping[str, Any], builtin: Mapping[str, Any], key: str) -> Any:
    return overrides[key] if key in overrides else builtin.get(key)


def _ticket(settings: ConnectorSettings, conversation: Mapping[str, Any]) -> str:
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
    at = parse_instant(payload.get("created_at") or payload.get("timestamp"), "created_at")
    channel = _pick(settings.channel_map, defaults.CHANNEL_MAP, str(payload.get("channel") or ""))
    priority = _pick(
        settings.priority_map, defaults.PRIORITY_MAP, str(payload.get("priority") or "").lower()
    )
    if priority is None:
        raise MappingRefused(f"unknown Chatwoot priority {payload.get('priority')!r}")
    ticket = _ticket(settings, payload)
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


def _sender_type(message: Mapping[str, Any]) -> str:
    sender = part(message, "sender")
    return str(sender.get("type") or message.get("sender_type") or "").lower()


def message_created(
    payload: Mapping[str, Any], settings: ConnectorSettings
) -> list[dict[str, Any]]:
    kind = payload.get("message_type")
    kind = _MESSAGE_TYPES.get(kind, str(kind)) if isinstance(kind, int) else str(kind or "")
    if payload.get("private") or kind not in ("incoming", "outgoing"):
        return []  # private notes, activity lines, templates (CSAT prompts, forms)
    conversation = obj(payload.get("conversation"), "conversation")
    fields: dict[str, Any] = {"ticket_id": _ticket(settings, conversation)}
    if kind == "incoming":
        fields["author"] = "customer"
    else:
        sender = part(payload, "sender")
        sender_type = _sender_type(payload)
        role = str(
            sender.get("role") or ("agent" if sender_type == "user" else sender_type)
        ).lower()
        if sender_type in defaults.BOT_SENDERS or role not in settings.agent_roles:
            return []  # bots and automated messages (no sender) are not agent replies
        agent = ident(sender.get("id") or payload.get("sender_id"), "sender.id")
        fields.update(author="agent", agent_id=scoped_id(settings, "user", agent))
    at = parse_instant(payload.get("created_at"), "created_at")
    msg = scoped_id(settings, "msg", ident(payload.get("id"), "id"))
    return [envelope(settings, msg, "ticket.replied", at, **fields)]


def message_updated(
    payload: Mapping[str, Any], settings: ConnectorSettings
) -> list[dict[str, Any]]:
    if payload.get("content_type") != "input_csat":
        return []
    submitted = part(part(payload, "content_attributes"), "submitted_values")
    response = part(submitted, "csat_survey_response")
    if response.get("rating") is None:
        return []  # the survey was sent or edited, not answered
    rating = str(response["rating"])
    score = _pick(settings.csat_map, defaults.CSAT_MAP, rating)
    if score is None:
        raise MappingRefused(f"CSAT rating {rating!r} is not on the configured scale")
    conversation = obj(payload.get("conversation"), "conversation")
    when = (
        payload.get("updated_at") or conversation.get("updated_at") or conversation.get("timestamp")
    )
    at = parse_instant(when or payload.get("created_at"), "updated_at")
    mid = ident(payload.get("id"), "id")
    return [
        envelope(
            settings,
            scoped_id(settings, "csat", mid, rating),
            "survey.submitted",
            at,
            survey_id=scoped_id(settings, "csat", mid),
            ticket_id=_ticket(settings, conversation),
            score=int(score),
        )
    ]


def _previous_status(payload: Mapping[str, Any]) -> str | None:
    for change in payload.get("changed_attributes") or []:
        if isinstance(change, Mapping) and isinstance(change.get("status"), Mapping):
            return str(change["status"].get("previous_value") or "") or None
    return None


def status_changed(payload: Mapping[str, Any], settings: ConnectorSettings) -> list[dict[str, Any]]:
    raw = str(payload.get("status") or "")
    current = _pick(settings.status_map, defaults.STATUS_MAP, raw)
    if current is None:
        raise MappingRefused(f"unknown Chatwoot status {raw!r}: add it to the status map")
    at: datetime = parse_instant(
        payload.get("updated_at") or payload.get("timestamp"), "updated_at"
    )
    ticket = _ticket(settings, payload)
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
    was_done = previous is None or _pick(settings.status_map, defaults.STATUS_MAP, previous) in (
        "solved",
        "closed",
    )
    if current == "open" and was_done:
        # Unknown before: a reopen is harmless (v1: a reopen of an unresolved ticket is a no-op).
        return [envelope(settings, event_id, "ticket.reopened", at, ticket_id=ticket)]
    return [
        envelope(settings, event_id, "ticket.status_changed", at, ticket_id=ticket, status=current)
    ]


HANDLERS = {
    "conversation_created": conversation_created,
    "message_created": message_created,
    "message_updated": message_updated,
    "conversation_status_changed": status_changed,
}
