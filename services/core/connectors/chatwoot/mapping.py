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

from collections.abc import Callable, Mapping
from typing import Any

from services.core.connectors.base import ConnectorSettings
from services.core.connectors.chatwoot.conversations import conversation_created, status_changed
from services.core.connectors.chatwoot.messages import message_created, message_updated

Handler = Callable[[Mapping[str, Any], ConnectorSettings], list[dict[str, Any]]]
HANDLERS: dict[str, Handler] = {
    "conversation_created": conversation_created,
    "message_created": message_created,
    "message_updated": message_updated,
    "conversation_status_changed": status_changed,
}
