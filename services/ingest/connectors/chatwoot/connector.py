"""The Chatwoot connector: one `verify`, one `map` that dispatches on the webhook's `event`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.core.contract.events import Channel
from services.ingest.connectors.base import ConnectorSettings, MappingRefused
from services.ingest.connectors.chatwoot.defaults import TOOL
from services.ingest.connectors.chatwoot.mapping import HANDLERS
from services.ingest.connectors.chatwoot.signature import delivery_id, verify_chatwoot


class ChatwootConnector:
    """Account webhooks (conversations, messages, CSAT); see docs/connectors.md."""

    tool = TOOL

    def verify(self, headers: Mapping[str, str], body: bytes, secret: bytes, now: datetime) -> None:
        verify_chatwoot(headers, body, secret, now)

    def delivery_id(self, headers: Mapping[str, str]) -> str | None:
        """`X-Chatwoot-Delivery`: a delivery seen twice is acknowledged and not published again."""
        return delivery_id(headers)

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Refuse options `map` would not understand (the config API answers 422)."""
        channels = {c.value for c in Channel}
        if options.get("default_channel", "chat") not in channels:
            raise ValueError(f"default_channel must be one of {sorted(channels)}")
        unassigned = options.get("unassigned_agent", "unassigned")
        if not isinstance(unassigned, str) or not unassigned:
            raise ValueError("unassigned_agent must be a non-empty text")

    def map(self, payload: Any, settings: ConnectorSettings) -> Sequence[dict[str, Any]]:
        if not isinstance(payload, Mapping):
            raise MappingRefused("payload must be a JSON object")
        event = payload.get("event")
        if not isinstance(event, str):
            raise MappingRefused("not a Chatwoot webhook: no `event`")
        handler = HANDLERS.get(event)
        # Other subscriptions (contact_updated, typing, ...) state nothing to measure.
        return handler(payload, settings) if handler else []
