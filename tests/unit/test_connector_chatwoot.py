"""Chatwoot connector: signatures, webhook mappings, and the pull's rebuilt payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.core.contract.events import parse_event
from services.ingest.connectors.base import MappingRefused, SignatureRefused
from services.ingest.connectors.chatwoot import ChatwootConnector, default_settings
from services.ingest.connectors.chatwoot.reconcile import map_pulled, pulled_payloads
from services.ingest.connectors.chatwoot.signature import sign_chatwoot
from tests.helpdesk_payloads import (
    csat_attributes,
    cw_api_message,
    cw_conversation,
    cw_conversation_event,
    cw_message_event,
)

SECRET = b"chatwoot-webhook-secret"
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
T0 = int(datetime(2026, 10, 5, 8, 0, tzinfo=UTC).timestamp())
SETTINGS = default_settings("agr-1", "acme-cw", pseudonym_key=b"k" * 32)
CW = ChatwootConnector()
AGENT = {"id": 77, "name": "Wei", "type": "user"}
CONTACT = {"id": 501, "name": "Jane", "type": "contact"}


def _map(payload: dict[str, Any], settings: Any = SETTINGS) -> list[dict[str, Any]]:
    events = list(CW.map(payload, settings))
    for event in events:
        parse_event(event)
    return events


def _headers(body: bytes, at: datetime = NOW, secret: bytes = SECRET) -> dict[str, str]:
    stamp = str(int(at.timestamp()))
    return {
        "X-Chatwoot-Signature": sign_chatwoot(secret, stamp, body),
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Delivery": "d-1",
    }


def test_a_fresh_valid_signature_is_accepted() -> None:
    body = b'{"event":"message_created"}'
    headers = _headers(body)
    assert headers["X-Chatwoot-Signature"].startswith("sha256=")
    CW.verify(headers, body, SECRET, NOW - timedelta(seconds=20))
    assert CW.delivery_id({"x-chatwoot-delivery": "d-1"}) == "d-1"
    assert CW.delivery_id({}) is None


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda h, b: (h, b + b"\n"), "does not match"),
        (lambda h, b: (_headers(b, secret=b"nope"), b), "does not match"),
        (
            lambda h, b: ({**h, "X-Chatwoot-Timestamp": str(int(NOW.timestamp()) + 1)}, b),
            "does not match",
        ),
        (lambda h, b: ({**h, "X-Chatwoot-Signature": h["X-Chatwoot-Signature"][7:]}, b), "sha256="),
        (lambda h, b: (_headers(b, NOW - timedelta(minutes=10)), b), "away from now"),
        (lambda h, b: ({"X-Chatwoot-Signature": "sha256=00"}, b), "missing"),
    ],
    ids=["body", "secret", "timestamp", "no-prefix", "stale", "no-timestamp"],
)
def test_bad_or_stale_signatures_are_refused(tamper: Any, reason: str) -> None:
    body = b'{"event":"message_created"}'
    headers, sent = tamper(_headers(body), body)
    with pytest.raises(SignatureRefused, match=reason):
        CW.verify(headers, sent, SECRET, NOW)


def test_conversation_created_maps_to_ticket_created() -> None:
    conversation = cw_conversation(12, T0, channel="Channel::Email", priority="medium")
    (event,) = _map(cw_conversation_event("conversation_created", conversation))
    assert event == {
        "event_id": "acme-cw:conv:12:created",
        "type": "ticket.created",
        "occurred_at": "2026-10-05T08:00:00Z",
        "agreement_id": "agr-1",
        "ticket_id": "acme-cw:conv:12",
        "customer_id": "acme-cw:contact:501",
        "channel": "email",
        "priority": "normal",
    }


def test_a_contact_known_only_by_email_gets_a_pseudonym() -> None:
    conversation = cw_conversation(12, T0)
    conversation["meta"]["sender"]["id"] = None
    conversation["contact_inbox"] = {}
    (event,) = _map(cw_conversation_event("conversation_created", conversation))
    assert event["customer_id"].startswith("pii:email:")
    assert "jane" not in json.dumps(event)


@pytest.mark.parametrize(
    ("message_type", "sender", "private", "expected"),
    [
        ("incoming", CONTACT, False, {"author": "customer"}),
        ("outgoing", AGENT, False, {"author": "agent", "agent_id": "acme-cw:user:77"}),
        ("outgoing", AGENT, True, None),  # private note
        ("outgoing", {"id": 5, "name": "Bot", "type": "agent_bot"}, False, None),
        ("outgoing", None, False, None),  # automation / campaign: no sender
        ("activity", None, False, None),  # "Conversation was resolved by ..."
        ("template", None, False, None),  # CSAT prompt, forms
    ],
    ids=["customer", "agent", "private-note", "bot", "no-sender", "activity", "template"],
)
def test_messages(
    message_type: str, sender: dict[str, Any] | None, private: bool, expected: dict[str, str] | None
) -> None:
    payload = cw_message_event(
        300, 12, "2026-10-05T08:05:00.000Z", message_type, sender=sender, private=private
    )
    events = _map(payload)
    if expected is None:
        assert events == []
        return
    (event,) = events
    assert (event["event_id"], event["ticket_id"]) == ("acme-cw:msg:300", "acme-cw:conv:12")
    assert {k: event[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("status", "previous", "expected_type", "status_field"),
    [
        ("resolved", "open", "ticket.resolved", None),
        ("open", "resolved", "ticket.reopened", None),
        ("open", None, "ticket.reopened", None),  # previous unknown: reopen is a no-op if open
        ("open", "snoozed", "ticket.status_changed", "open"),
        ("snoozed", "open", "ticket.status_changed", "on_hold"),
        ("pending", "resolved", "ticket.reopened", None),  # a bot took it back: clock runs
        ("pending", "open", "ticket.status_changed", "open"),
    ],
)
def test_status_changes(
    status: str, previous: str | None, expected_type: str, status_field: str | None
) -> None:
    conversation = cw_conversation(12, T0, status=status, updated_at=T0 + 600.25)
    extra = {}
    if previous is not None:
        extra["changed_attributes"] = [
            {"status": {"previous_value": previous, "current_value": status}}
        ]
    (event,) = _map(cw_conversation_event("conversation_status_changed", conversation, **extra))
    assert event["type"] == expected_type
    assert event["occurred_at"] == "2026-10-05T08:10:00.250000Z"
    assert event["event_id"] == f"acme-cw:conv:12:{status}:{T0 + 600}"
    if expected_type == "ticket.resolved":
        assert event["agent_id"] == "acme-cw:user:77"
    if status_field:
        assert event["status"] == status_field


def test_resolving_an_unassigned_conversation_names_the_configured_agent() -> None:
    conversation = cw_conversation(12, T0, status="resolved", assignee=None)
    (event,) = _map(cw_conversation_event("conversation_status_changed", conversation))
    assert event["agent_id"] == "acme-cw:user:unassigned"


def test_unknown_status_is_refused() -> None:
    conversation = cw_conversation(12, T0, status="archived")
    with pytest.raises(MappingRefused, match="status map"):
        _map(cw_conversation_event("conversation_status_changed", conversation))


def test_csat_submission_maps_to_a_survey() -> None:
    payload = cw_message_event(
        310,
        12,
        "2026-10-05T08:30:00Z",
        "template",
        sender=None,
        event="message_updated",
        content_type="input_csat",
        content_attributes=csat_attributes(4),
        conversation={"id": 12, "updated_at": T0 + 3600.0},
    )
    (event,) = _map(payload)
    assert (event["type"], event["score"], event["survey_id"], event["ticket_id"]) == (
        "survey.submitted",
        4,
        "acme-cw:csat:310",
        "acme-cw:conv:12",
    )
    assert event["occurred_at"] == "2026-10-05T09:00:00Z"


def test_csat_not_answered_or_other_updates_map_to_nothing() -> None:
    sent = cw_message_event(
        310,
        12,
        "2026-10-05T08:30:00Z",
        "template",
        sender=None,
        event="message_updated",
        content_type="input_csat",
    )
    edited = cw_message_event(
        311, 12, "2026-10-05T08:30:00Z", "outgoing", sender=AGENT, event="message_updated"
    )
    assert _map(sent) == []
    assert _map(edited) == []
    assert _map({"event": "contact_updated", "id": 1}) == []
    with pytest.raises(MappingRefused):
        _map({"id": 1})


def _history() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    conversation = cw_conversation(12, T0, status="resolved", updated_at=T0 + 1800.0)
    messages = [
        cw_api_message(300, 12, T0 + 10, 0),
        cw_api_message(301, 12, T0 + 600, 1, sender_type="User", sender_id=77),
        cw_api_message(302, 12, T0 + 700, 1, sender_type="User", sender_id=77, private=True),
        cw_api_message(303, 12, T0 + 800, 1, sender_type="AgentBot", sender_id=5),
        cw_api_message(
            304,
            12,
            T0 + 1800,
            3,
            sender_type=None,
            sender_id=None,
            content_type="input_csat",
            content_attributes=csat_attributes(5),
            updated_at="2026-10-05T08:40:00Z",
        ),
    ]
    return conversation, messages


def test_pulled_payloads_map_to_the_same_ids_as_the_webhooks() -> None:
    conversation, messages = _history()
    since = datetime.fromtimestamp(T0, UTC)
    pulled = map_pulled(pulled_payloads(conversation, messages), SETTINGS, since)
    assert pulled.refused == []
    for event in pulled.events:
        parse_event(event)
    webhooks = [
        cw_conversation_event("conversation_created", cw_conversation(12, T0)),
        cw_message_event(300, 12, "2026-10-05T08:00:10Z", "incoming", sender=CONTACT),
        cw_message_event(301, 12, "2026-10-05T08:10:00Z", "outgoing", sender=AGENT),
        cw_conversation_event("conversation_status_changed", conversation),
        cw_message_event(
            304,
            12,
            "2026-10-05T08:30:00Z",
            "template",
            sender=None,
            event="message_updated",
            content_type="input_csat",
            content_attributes=csat_attributes(5),
        ),
    ]
    from_webhooks = [e["event_id"] for w in webhooks for e in _map(w)]
    assert sorted(e["event_id"] for e in pulled.events) == sorted(from_webhooks)
    assert [e["type"] for e in pulled.events] == [
        "ticket.created",
        "ticket.replied",
        "ticket.replied",
        "survey.submitted",
        "ticket.resolved",
    ]


def test_the_pull_keeps_only_facts_since_its_start() -> None:
    conversation, messages = _history()
    since = datetime.fromtimestamp(T0 + 650, UTC)
    pulled = map_pulled(pulled_payloads(conversation, messages), SETTINGS, since)
    assert [e["event_id"] for e in pulled.events] == [
        "acme-cw:csat:304:5",
        f"acme-cw:conv:12:resolved:{T0 + 1800}",
    ]


def test_options_the_mapping_would_not_understand_are_refused() -> None:
    CW.check_options(dict(SETTINGS.options))
    with pytest.raises(ValueError, match="default_channel"):
        CW.check_options({"default_channel": "fax"})
    with pytest.raises(ValueError, match="unassigned_agent"):
        CW.check_options({"unassigned_agent": ""})
