"""Replay keys of tools that name their deliveries (Chatwoot's X-Chatwoot-Delivery)."""

from __future__ import annotations

from services.ingest.connectors.chatwoot import CONNECTOR as CHATWOOT
from services.ingest.connectors.deliveries import SeenDeliveries, delivery_key
from services.ingest.connectors.zendesk import CONNECTOR as ZENDESK


def test_only_tools_that_name_deliveries_have_a_replay_key() -> None:
    assert delivery_key(CHATWOOT, {"x-chatwoot-delivery": "abc"}) == "abc"
    assert delivery_key(CHATWOOT, {}) is None
    assert delivery_key(ZENDESK, {"x-chatwoot-delivery": "abc"}) is None


def test_seen_deliveries_are_per_connector_and_bounded() -> None:
    seen = SeenDeliveries(capacity=2)
    seen.remember("cw-a", "1")
    assert seen.seen("cw-a", "1")
    assert not seen.seen("cw-b", "1")
    seen.remember("cw-a", "2")
    seen.remember("cw-a", "3")
    assert not seen.seen("cw-a", "1")  # the oldest is forgotten first
    assert seen.seen("cw-a", "3")
