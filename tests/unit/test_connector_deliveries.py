"""Replay keys of tools that name their deliveries, and the registry finding both helpdesks."""

from __future__ import annotations

from services.core.connectors.chatwoot import CONNECTOR as CHATWOOT
from services.core.connectors.zendesk import CONNECTOR as ZENDESK
from services.ingest.connectors.deliveries import SeenDeliveries, delivery_key


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


def test_the_registry_finds_both_helpdesk_connectors_with_their_defaults() -> None:
    from services.core.connectors.registry import connector_for, defaults_of, known_tools

    assert {"zendesk", "chatwoot"} <= set(known_tools())
    assert connector_for("zendesk") is ZENDESK
    assert connector_for("chatwoot") is CHATWOOT
    assert defaults_of("zendesk").status_map["hold"] == "on_hold"
    assert {"csat_good_bad", "no_hold_time"} <= defaults_of("zendesk").lossy
    assert defaults_of("chatwoot").status_map["snoozed"] == "on_hold"
