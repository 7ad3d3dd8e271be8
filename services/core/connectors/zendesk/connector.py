"""The Zendesk connector: one `verify`, one `map` that tells the payload kinds apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.connectors.zendesk.calls import map_calls_page
from services.core.connectors.zendesk.defaults import TOOL, TOOL_DEFAULTS
from services.core.connectors.zendesk.ratings import map_rating
from services.core.connectors.zendesk.signature import verify_zendesk
from services.core.connectors.zendesk.tickets import EVENT_PREFIX, map_ticket_event
from services.core.contract.events import Channel

_OUTCOMES = frozenset({"answered", "abandoned", "ignore"})
_CHANNELS = frozenset(c.value for c in Channel)


class ZendeskConnector:
    """Ticket event webhooks, satisfaction ratings and Talk calls (docs/connectors.md)."""

    tool = TOOL
    defaults = TOOL_DEFAULTS

    def verify(self, headers: Mapping[str, str], body: bytes, secret: bytes, now: datetime) -> None:
        verify_zendesk(headers, body, secret, now)

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Refuse options `map` would not understand (the config API answers 422)."""
        outcomes = options.get("call_outcomes", {})
        if not isinstance(outcomes, Mapping) or not set(outcomes.values()) <= _OUTCOMES:
            raise ValueError(f"call_outcomes values must be among {sorted(_OUTCOMES)}")
        if not isinstance(options.get("bot_author_ids", []), list):
            raise ValueError("bot_author_ids must be a list of Zendesk user ids")
        if not isinstance(options.get("end_user_ids", []), list):
            raise ValueError("end_user_ids must be a list of Zendesk user ids")
        if not isinstance(options.get("call_resolved", True), bool):
            raise ValueError("call_resolved must be true or false")
        if options.get("default_channel", "web") not in _CHANNELS:
            raise ValueError(f"default_channel must be one of {sorted(_CHANNELS)}")

    def map(self, payload: Any, settings: ConnectorSettings) -> Sequence[dict[str, Any]]:
        if not isinstance(payload, Mapping):
            raise MappingRefused("payload must be a JSON object")
        kind = payload.get("type")
        if isinstance(kind, str) and kind.startswith(EVENT_PREFIX):
            return map_ticket_event(payload, settings)
        if "satisfaction_rating" in payload:
            return map_rating(payload, settings)
        if "calls" in payload or "call" in payload:
            return map_calls_page(payload, settings)
        if isinstance(kind, str) and kind.startswith("zen:event-type:"):
            return []  # another domain's event (users, organizations, ...): nothing to measure
        raise MappingRefused("not a Zendesk ticket event, satisfaction rating or Talk call")
