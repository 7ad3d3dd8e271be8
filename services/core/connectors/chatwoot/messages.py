"""Chatwoot messages -> `ticket.replied`, and answered CSAT surveys -> `survey.submitted`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.connectors.chatwoot import defaults
from services.core.connectors.chatwoot.conversations import pick, ticket_of
from services.core.connectors.mapping_kit import (
    envelope,
    ident,
    obj,
    parse_instant,
    part,
    scoped_id,
)

# The REST API numbers message types; webhooks name them.
_MESSAGE_TYPES = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}


def _sender_type(message: Mapping[str, Any]) -> str:
    sender = part(message, "sender")
    return str(sender.get("type") or message.get("sender_type") or "").lower()


def message_created(
    payload: Mapping[str, Any], settings: ConnectorSettings
) -> list[dict[str, Any]]:
    """`message_created`: a customer or agent reply; notes, bots and system lines: none."""
    kind = payload.get("message_type")
    kind = _MESSAGE_TYPES.get(kind, str(kind)) if isinstance(kind, int) else str(kind or "")
    if payload.get("private") or kind not in ("incoming", "outgoing"):
        return []  # private notes, activity lines, templates (CSAT prompts, forms)
    conversation = obj(payload.get("conversation"), "conversation")
    fields: dict[str, Any] = {"ticket_id": ticket_of(settings, conversation)}
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
    """`message_updated` of an answered `input_csat` survey; other updates: none."""
    if payload.get("content_type") != "input_csat":
        return []
    submitted = part(part(payload, "content_attributes"), "submitted_values")
    response = part(submitted, "csat_survey_response")
    if response.get("rating") is None:
        return []  # the survey was sent or edited, not answered
    rating = str(response["rating"])
    score = pick(settings.csat_map, defaults.CSAT_MAP, rating)
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
            ticket_id=ticket_of(settings, conversation),
            score=int(score),
        )
    ]
