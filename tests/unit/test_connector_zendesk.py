"""Zendesk connector: signatures and mappings, from payloads written after Zendesk's docs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.core.connectors.base import MappingRefused, SignatureRefused
from services.core.connectors.zendesk import ZendeskConnector, default_settings
from services.core.connectors.zendesk.signature import sign_zendesk
from services.core.contract.events import parse_event
from tests.helpdesk_payloads import (
    zd_call,
    zd_calls_page,
    zd_comment,
    zd_created,
    zd_event,
    zd_rating,
    zd_status,
    zd_ticket,
)

SECRET = b"dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rz"
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
T0 = "2026-10-05T08:00:00Z"
SETTINGS = default_settings("agr-1", "acme-zd", pseudonym_key=b"k" * 32)
ZD = ZendeskConnector()


def _map(payload: dict[str, Any], settings: Any = SETTINGS) -> list[dict[str, Any]]:
    events = list(ZD.map(payload, settings))
    for event in events:
        parse_event(event)  # every mapped event passes the v1 contract
    return events


def _headers(body: bytes, at: datetime = NOW, secret: bytes = SECRET) -> dict[str, str]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "X-Zendesk-Webhook-Signature": sign_zendesk(secret, stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }


def test_a_fresh_valid_signature_is_accepted_in_any_header_case() -> None:
    body = json.dumps(zd_created(1, T0)).encode()
    headers = {k.lower(): v for k, v in _headers(body).items()}
    ZD.verify(headers, body, SECRET, NOW + timedelta(seconds=30))


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda h, b: (h, b + b" "), "does not match"),
        (lambda h, b: (_headers(b, secret=b"other"), b), "does not match"),
        (
            lambda h, b: (
                {**h, "X-Zendesk-Webhook-Signature-Timestamp": "2026-10-05T09:00:01Z"},
                b,
            ),
            "does not match",
        ),
        (lambda h, b: (_headers(b, NOW - timedelta(minutes=6)), b), "away from now"),
        (lambda h, b: (_headers(b, NOW + timedelta(minutes=6)), b), "away from now"),
        (lambda h, b: ({"X-Zendesk-Webhook-Signature-Timestamp": "x"}, b), "missing"),
    ],
    ids=["body", "secret", "timestamp", "stale", "future", "no-signature"],
)
def test_bad_or_stale_signatures_are_refused(tamper: Any, reason: str) -> None:
    body = json.dumps(zd_created(1, T0)).encode()
    headers, sent = tamper(_headers(body), body)
    with pytest.raises(SignatureRefused, match=reason):
        ZD.verify(headers, sent, SECRET, NOW)


def test_ticket_created_maps_ids_channel_and_priority() -> None:
    (event,) = _map(zd_created(42, T0, priority="HIGH", via={"channel": "email"}))
    assert event == {
        "event_id": "acme-zd:ticket:42:created",
        "type": "ticket.created",
        "occurred_at": "2026-10-05T08:00:00Z",
        "agreement_id": "agr-1",
        "ticket_id": "acme-zd:ticket:42",
        "customer_id": "acme-zd:user:5501",
        "channel": "email",
        "priority": "high",
    }


def test_a_ticket_born_solved_is_created_and_resolved() -> None:
    created, resolved = _map(zd_created(43, T0, status="solved", via={"channel": "voice"}))
    assert created["channel"] == "phone"
    assert (resolved["type"], resolved["agent_id"]) == ("ticket.resolved", "acme-zd:user:9100")


def test_unknown_channel_falls_back_and_unknown_priority_is_refused() -> None:
    (event,) = _map(zd_created(44, T0, via={"channel": "carrier_pigeon"}, priority=None))
    assert (event["channel"], event["priority"]) == ("web", "normal")
    with pytest.raises(MappingRefused, match="priority"):
        _map(zd_created(45, T0, priority="asap"))


@pytest.mark.parametrize(
    ("staff", "public", "author", "expected"),
    [
        (True, True, "9100", {"author": "agent", "agent_id": "acme-zd:user:9100"}),
        (False, True, "5501", {"author": "customer"}),
        (True, False, "9100", None),  # private note
        (True, True, "-1", None),  # Zendesk's system user (triggers, automations)
    ],
    ids=["agent", "customer", "private-note", "bot"],
)
def test_comments_become_replies_only_when_public_and_human(
    staff: bool, public: bool, author: str, expected: dict[str, str] | None
) -> None:
    events = _map(
        zd_comment(42, T0, "2026-10-05T08:20:00Z", 77, author, staff=staff, public=public)
    )
    if expected is None:
        assert events == []
        return
    (event,) = events
    assert event["event_id"] == "acme-zd:comment:77"  # the comment's own id: backfills collapse
    assert {k: event[k] for k in expected} == expected
    assert "agent_id" in event or event["author"] == "customer"


def test_the_opening_comment_is_not_a_reply() -> None:
    assert _map(zd_comment(42, T0, T0, 76, "5501", staff=False)) == []


@pytest.mark.parametrize(
    ("previous", "current", "types", "status"),
    [
        ("open", "solved", ["ticket.resolved"], None),
        ("pending", "closed", ["ticket.resolved"], None),
        ("solved", "closed", [], None),
        ("solved", "open", ["ticket.reopened"], None),
        ("closed", "pending", ["ticket.reopened", "ticket.status_changed"], "pending"),
        ("open", "hold", ["ticket.status_changed"], "on_hold"),
        ("NEW", "OPEN", ["ticket.status_changed"], "open"),
    ],
)
def test_status_changes(previous: str, current: str, types: list[str], status: str | None) -> None:
    events = _map(zd_status(42, T0, "2026-10-05T09:00:00Z", previous, current, event_id="u-1"))
    assert [e["type"] for e in events] == types
    assert len({e["event_id"] for e in events}) == len(events)
    if events:  # from the fact, not the webhook's id: the ticket events export has none
        assert events[0]["event_id"] == f"acme-zd:ticket:42:status_changed:{current}:1791190800"
    if status is not None:
        assert events[-1]["status"] == status


def test_an_unknown_status_is_refused_and_an_override_maps_it() -> None:
    payload = zd_status(42, T0, "2026-10-05T09:00:00Z", "open", "waiting_on_vendor")
    with pytest.raises(MappingRefused, match="status map"):
        _map(payload)
    custom = default_settings("agr-1", "acme-zd")
    custom = type(custom)(**{**custom.__dict__, "status_map": {"waiting_on_vendor": "on_hold"}})
    assert _map(payload, custom)[0]["status"] == "on_hold"


def test_without_zendesk_event_id_the_id_comes_from_the_fact() -> None:
    first = zd_status(42, T0, "2026-10-05T09:00:00Z", "open", "solved")
    first.pop("id")
    again = json.loads(json.dumps(first))
    assert _map(first) == _map(again)
    assert _map(first)[0]["event_id"].startswith("acme-zd:ticket:42:status_changed:")


def test_priority_changes_and_other_domains_map_to_nothing() -> None:
    detail = zd_ticket(42, T0)
    assert _map(zd_event("priority_changed", detail, T0, {"current": "HIGH"}, "p1")) == []
    assert _map({"type": "zen:event-type:user.active_changed", "detail": {}}) == []
    with pytest.raises(MappingRefused):
        _map({"hello": "world"})


@pytest.mark.parametrize(("score", "value"), [("good", 5), ("bad", 1)])
def test_ratings_map_good_and_bad_onto_the_scale(score: str, value: int) -> None:
    (event,) = _map(zd_rating(900, 42, score, "2026-10-05T10:00:00Z"))
    assert (event["type"], event["score"], event["survey_id"], event["ticket_id"]) == (
        "survey.submitted",
        value,
        "acme-zd:rating:900",
        "acme-zd:ticket:42",
    )


def test_unanswered_ratings_map_to_nothing_and_undeclared_loss_is_refused() -> None:
    assert _map(zd_rating(900, 42, "offered", T0)) == []
    strict = type(SETTINGS)(**{**SETTINGS.__dict__, "lossy": frozenset()})
    with pytest.raises(MappingRefused, match="csat_good_bad"):
        _map(zd_rating(900, 42, "good", T0), strict)


def test_a_completed_call_is_offered_answered_and_completed() -> None:
    offered, answered, completed = _map(zd_calls_page(zd_call(7, T0)))
    assert offered["queue"] == "acme-zd:group:6000"
    assert answered["occurred_at"] == "2026-10-05T08:00:15Z"  # after the 15 s wait
    assert completed["occurred_at"] == "2026-10-05T08:03:05Z"  # + talk 120 + hold 20 + wrap 30
    assert (completed["talk_seconds"], completed["hold_seconds"], completed["wrap_seconds"]) == (
        120.0,
        20.0,
        30.0,
    )
    assert completed["resolved"] is True
    assert {e["customer_id"] for e in (offered, answered, completed)} == {"acme-zd:user:5501"}


def test_abandoned_ivr_and_outbound_calls() -> None:
    _offered, abandoned = _map({"call": zd_call(8, T0, "abandoned_in_queue", agent_id=None)})
    assert (abandoned["type"], abandoned["occurred_at"]) == (
        "call.abandoned",
        "2026-10-05T08:00:15Z",
    )
    assert _map({"call": zd_call(9, T0, "abandoned_in_ivr")}) == []
    assert _map({"call": zd_call(10, T0, direction="outbound")}) == []
    with pytest.raises(MappingRefused, match="completion_status"):
        _map({"call": zd_call(11, T0, "teleported")})


def test_missing_hold_time_is_zero_only_when_declared_lossy() -> None:
    *_, completed = _map({"call": zd_call(12, T0, hold_time=None)})
    assert completed["hold_seconds"] == 0.0
    strict = type(SETTINGS)(**{**SETTINGS.__dict__, "lossy": frozenset({"call_resolved_assumed"})})
    with pytest.raises(MappingRefused, match="no_hold_time"):
        _map({"call": zd_call(12, T0, hold_time=None)}, strict)


def test_a_caller_known_only_by_number_gets_a_pseudonym() -> None:
    a = _map({"call": zd_call(13, T0, customer_id=None, from_line="tel:+86 138-0013-8000")})
    b = _map({"call": zd_call(14, T0, customer_id=None, from_line="+8613800138000")})
    assert a[0]["customer_id"] == b[0]["customer_id"]
    assert a[0]["customer_id"].startswith("pii:phone:")
    assert "8613800138000" not in json.dumps(a)


def test_a_redelivered_call_record_maps_to_the_same_events() -> None:
    record = zd_call(15, T0)
    assert _map({"call": record}) == _map(zd_calls_page(dict(record, updated_at=NOW.isoformat())))


def test_options_the_mapping_would_not_understand_are_refused() -> None:
    ZD.check_options(dict(SETTINGS.options))
    for bad in (
        {"call_outcomes": {"completed": "maybe"}},
        {"bot_author_ids": "-1"},
        {"call_resolved": "yes"},
        {"default_channel": "fax"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ZD.check_options(bad)
