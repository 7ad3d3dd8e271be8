"""The generic connector turns a Zammad-style payload into v1 events from configuration only
(deploy/connectors/zammad.json), and checks Zammad's signature."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from services.core.connectors.config import ConnectorConfigIn
from services.core.connectors.generic import CONNECTOR
from services.core.connectors.registry import effective_settings
from services.core.contract.events import parse_event
from services.ingest.connectors.base import (
    ConnectorSettings,
    MappingRefused,
    SignatureRefused,
    pseudonym,
    verify_request,
)
from tests.zammad_payloads import zammad_config, zammad_payload, zammad_signature

KEY = b"k" * 32
NOW = datetime(2026, 10, 14, 12, tzinfo=UTC)


def settings(config: dict[str, Any] | None = None) -> ConnectorSettings:
    body = ConnectorConfigIn.model_validate(config or zammad_config())
    doc = body.document("acme-zammad")
    return effective_settings(
        agreement_id="acme",
        tool=body.tool,
        namespace=doc.namespace,
        status_map={k: v.value for k, v in doc.status_map.items()},
        channel_map={k: v.value for k, v in doc.channel_map.items()},
        priority_map={k: v.value for k, v in doc.priority_map.items()},
        csat_map=doc.csat_map,
        agent_roles=None if doc.agent_roles is None else frozenset(doc.agent_roles),
        options=doc.options,
        lossy=frozenset(doc.lossy),
        pseudonym_key=KEY,
    )


def mapped(payload: dict[str, Any]) -> list[dict[str, Any]]:
    items = [{**i, "agreement_id": "acme"} for i in CONNECTOR.map(payload, settings())]
    for item in items:
        parse_event(item)  # every mapped event honours the v1 contract
    return items


def test_first_customer_article_is_a_created_ticket_with_pseudonymous_customer() -> None:
    payload = zammad_payload(
        ticket=81,
        article=104,
        article_ids=[104],
        sender="Customer",
        at="2026-10-14T10:00:00.282Z",
        created_at="2026-10-14T10:00:00.282Z",
        state="new",
        priority="high",
        channel="phone",
    )
    assert mapped(payload) == [
        {
            "type": "ticket.created",
            "event_id": "zammad:ticket-81-created",
            "occurred_at": "2026-10-14T10:00:00.282Z",
            "ticket_id": "zammad:81",
            "customer_id": pseudonym("email", "emily.adams+vip@example.com", KEY),
            "channel": "phone",
            "priority": "high",
            "agreement_id": "acme",
        }
    ]


def test_agent_reply_counts_internal_note_does_not_and_state_change_is_mapped() -> None:
    common: dict[str, Any] = {"ticket": 81, "created_at": "2026-10-14T10:00:00Z"}
    reply = zammad_payload(
        **common,
        article=105,
        article_ids=[104, 105],
        sender="Agent",
        at="2026-10-14T10:10:00Z",
        author_id=3,
    )
    note = zammad_payload(
        **common,
        article=106,
        article_ids=[104, 105, 106],
        sender="Agent",
        internal=True,
        at="2026-10-14T10:12:00Z",
        state="pending reminder",
    )
    assert mapped(reply) == [
        {
            "type": "ticket.replied",
            "event_id": "zammad:article-105",
            "occurred_at": "2026-10-14T10:10:00Z",
            "ticket_id": "zammad:81",
            "author": "agent",
            "agent_id": "zammad:user-3",
            "agreement_id": "acme",
        },
        {
            "type": "ticket.status_changed",
            "event_id": "zammad:ticket-81-state-open-2026-10-14T10:10:00Z",
            "occurred_at": "2026-10-14T10:10:00Z",
            "ticket_id": "zammad:81",
            "status": "open",
            "agreement_id": "acme",
        },
    ]
    assert [(i["type"], i.get("status")) for i in mapped(note)] == [
        ("ticket.status_changed", "pending")
    ]


def test_closed_ticket_is_resolved_by_its_owner_and_merged_state_is_skipped() -> None:
    closed = zammad_payload(
        ticket=81,
        article=107,
        article_ids=[104, 107],
        sender="Agent",
        at="2026-10-14T11:00:00Z",
        created_at="2026-10-14T10:00:00Z",
        state="closed",
        close_at="2026-10-14T11:00:00Z",
        owner_id=5,
        author_id=5,
    )
    kinds = [(i["type"], i["event_id"]) for i in mapped(closed)]
    assert ("ticket.resolved", "zammad:ticket-81-closed-2026-10-14T11:00:00Z") in kinds
    assert ("ticket.status_changed", "zammad:ticket-81-state-closed-2026-10-14T11:00:00Z") in kinds
    merged = {**closed, "ticket": {**closed["ticket"], "state": "merged", "close_at": None}}
    assert [i["type"] for i in mapped(merged)] == ["ticket.replied"]


def test_redelivery_maps_to_the_same_event_ids() -> None:
    payload = zammad_payload(
        ticket=9,
        article=1,
        article_ids=[1],
        sender="Customer",
        at="2026-10-14T09:00:00Z",
        created_at="2026-10-14T09:00:00Z",
    )
    assert mapped(payload) == mapped(json.loads(json.dumps(payload)))


def test_unmapped_priority_is_passed_on_for_the_contract_to_refuse() -> None:
    payload = zammad_payload(
        ticket=9,
        article=1,
        article_ids=[1],
        sender="Customer",
        at="2026-10-14T09:00:00Z",
        created_at="2026-10-14T09:00:00Z",
    )
    payload["ticket"]["priority"]["name"] = "4 very high"
    item = CONNECTOR.map(payload, settings())[0]
    assert item["priority"] == "4 very high"


def test_unmatched_payload_is_ignored_or_refused_as_configured() -> None:
    config = zammad_config()
    assert CONNECTOR.map({"hello": "world"}, settings(config)) == []
    config["options"]["unmatched"] = "dead_letter"
    with pytest.raises(MappingRefused, match="no rule"):
        CONNECTOR.map({"hello": "world"}, settings(config))


def test_zammad_signature_is_checked_from_the_options() -> None:
    body = b'{"ticket": {}}'
    headers = zammad_signature(body, b"s3cret-token")
    verify_request(CONNECTOR, headers, body, b"s3cret-token", NOW, settings())
    with pytest.raises(SignatureRefused, match="does not match"):
        verify_request(CONNECTOR, headers, body + b" ", b"s3cret-token", NOW, settings())
    with pytest.raises(SignatureRefused, match="missing"):
        verify_request(CONNECTOR, {}, body, b"s3cret-token", NOW, settings())


@pytest.mark.parametrize(
    ("signature", "header_value"),
    [
        ({"header": "X-Sig", "encoding": "base64"}, "base64"),
        ({"header": "X-Token", "scheme": "token", "prefix": "Bearer "}, "token"),
    ],
)
def test_base64_hmac_and_shared_token_schemes(signature: dict[str, Any], header_value: str) -> None:
    import base64
    import hashlib
    import hmac

    config = zammad_config()
    config["options"]["signature"] = signature
    body, secret = b"{}", b"another-secret"
    if header_value == "base64":
        value = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
    else:
        value = "Bearer " + secret.decode()
    headers = {signature["header"].lower(): value}
    verify_request(CONNECTOR, headers, body, secret, NOW, settings(config))
    with pytest.raises(SignatureRefused):
        verify_request(CONNECTOR, headers, body, b"wrong-secret", NOW, settings(config))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["rules"][0].update(when="article.id =="), "not a JMESPath expression"),
        (lambda o: o["rules"][0].update(type="ticket.exploded"), "unknown event type"),
        (lambda o: o["rules"][0]["fields"].pop("event_id"), "needs event_id"),
        (lambda o: o.pop("signature"), "signature"),
    ],
)
def test_invalid_options_are_refused_when_stored(change: Any, message: str) -> None:
    options = zammad_config()["options"]
    change(options)
    with pytest.raises(ValueError, match=message):
        CONNECTOR.check_options(options)
