"""Zendesk's ticket events export maps onto the same v1 events (same ids) as its webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.connectors.zendesk import ZendeskConnector, default_settings
from services.core.connectors.zendesk.ticket_events import TicketState, map_ticket_event_record
from services.core.contract.events import parse_event
from tests.helpdesk_payloads import zd_comment, zd_created, zd_rating, zd_status
from tests.zendesk_export import ze_change, ze_comment, ze_create, ze_event

T0, T1, T2, T3, T4 = (f"2026-10-05T0{h}:00:00Z" for h in range(5))
CUSTOMER, AGENT = 5501, 9100
BASE = default_settings("agr-1", "acme-zd", pseudonym_key=b"k" * 32)


def _with(**changes: Any) -> ConnectorSettings:
    return type(BASE)(**{**BASE.__dict__, **changes})


SETTINGS = _with(lossy=BASE.lossy | {"comment_author_inferred"})


def _export(record: dict[str, Any], state: TicketState, settings: Any = SETTINGS) -> list[Any]:
    events = map_ticket_event_record(record, settings, state)
    for event in events:
        parse_event(event)
    return events


def _webhook(payload: dict[str, Any]) -> list[Any]:
    return list(ZendeskConnector().map(payload, SETTINGS))


def _created_audit() -> dict[str, Any]:
    children = ze_create(CUSTOMER, priority="high", assignee=AGENT)
    opening = ze_comment(5600, CUSTOMER, T0, body="Printer on fire")
    return ze_event(1, 42, T0, CUSTOMER, children, opening, channel="email")


def test_one_ticket_s_history_maps_to_exactly_what_its_webhooks_map_to() -> None:
    state: TicketState = {}
    rated = ze_change("satisfaction_score", "good", "offered")
    exported = [
        *_export(_created_audit(), state),
        *_export(ze_event(2, 42, T1, CUSTOMER, ze_comment(5601, CUSTOMER, T1)), state),
        *_export(ze_event(3, 42, T2, AGENT, ze_comment(5602, AGENT, T2)), state),
        *_export(ze_event(4, 42, T3, AGENT, ze_change("status", "solved", "open")), state),
        *_export(ze_event(5, 42, T4, CUSTOMER, rated), state),
    ]
    live = [
        *_webhook(zd_created(42, T0, priority="high", via={"channel": "email"})),
        *_webhook(zd_comment(42, T0, T1, 5601, str(CUSTOMER), staff=False)),
        *_webhook(zd_comment(42, T0, T2, 5602, str(AGENT), staff=True)),
        *_webhook(zd_status(42, T0, T3, "open", "solved", event_id="01HZX-webhook-uuid")),
        *_webhook(zd_rating(42, 42, "good", T4)),
    ]
    assert exported == live
    assert [e["type"] for e in exported] == [
        "ticket.created",
        "ticket.replied",
        "ticket.replied",
        "ticket.resolved",
        "survey.submitted",
    ]
    assert (exported[0]["channel"], exported[0]["priority"]) == ("email", "high")
    assert [e.get("author") for e in exported[1:3]] == ["customer", "agent"]
    assert exported[3]["event_id"] == "acme-zd:ticket:42:status_changed:solved:1791169200"
    assert state == {"42": {"requester": "5501", "assignee": "9100", "created_at": T0}}


@pytest.mark.parametrize(
    ("author", "public", "options", "expected"),
    [
        (CUSTOMER, True, {}, "customer"),
        (AGENT, True, {}, "agent"),
        (7777, True, {}, "agent"),  # anyone but the requester: an agent (the lossy guess)
        (7777, True, {"end_user_ids": ["7777"]}, "customer"),  # a CC'd end user, configured
        (-1, True, {}, None),  # Zendesk's system user: triggers, not a reply
        (AGENT, False, {}, None),  # internal note
    ],
)
def test_who_replied_is_inferred_from_the_requester_and_the_options(
    author: int, public: bool, options: dict[str, Any], expected: str | None
) -> None:
    settings = _with(lossy=SETTINGS.lossy, options={**BASE.options, **options})
    state: TicketState = {}
    _export(_created_audit(), state, settings)
    comment = ze_comment(5601, author, T1, public=public)
    events = _export(ze_event(2, 42, T1, author, comment), state, settings)
    assert [e.get("author") for e in events] == ([expected] if expected else [])


def test_without_the_lossy_flag_or_the_requester_a_reply_is_refused() -> None:
    state: TicketState = {}
    with pytest.raises(MappingRefused, match="comment_author_inferred"):
        _export(_created_audit(), state, BASE)
    assert state == {}  # a refused record leaves the state as it was
    reply = ze_event(2, 43, T1, AGENT, ze_comment(5601, AGENT, T1))
    with pytest.raises(MappingRefused, match="requester is unknown"):
        _export(reply, state)


def test_a_changed_requester_is_followed_and_a_closed_ticket_is_forgotten() -> None:
    state: TicketState = {}
    _export(_created_audit(), state)
    _export(ze_event(2, 42, T1, AGENT, ze_change("requester_id", 6600, CUSTOMER)), state)
    events = _export(ze_event(3, 42, T2, 6600, ze_comment(5601, 6600, T2)), state)
    assert events[0]["author"] == "customer"
    assert _export(ze_event(4, 42, T3, AGENT, ze_change("status", "solved", "open")), state)
    assert _export(ze_event(5, 42, T4, -1, ze_change("status", "closed", "solved")), state) == []
    assert state == {}


def test_field_name_and_value_spelling_and_reopening() -> None:
    state: TicketState = {}
    _export(_created_audit(), state)
    change = {"id": 9, "event_type": "Change", "field_name": "status", "value": "solved"}
    assert _export(ze_event(2, 42, T1, AGENT, {**change, "previous_value": "open"}), state)
    reopened = _export(ze_event(3, 42, T2, CUSTOMER, ze_change("status", "open", "solved")), state)
    assert [e["type"] for e in reopened] == ["ticket.reopened"]
    assert reopened == _webhook(zd_status(42, T0, T2, "solved", "open"))


def test_a_ticket_born_solved_is_resolved_by_its_assignee_at_creation() -> None:
    children = ze_create(CUSTOMER, status="solved", priority=None, assignee=AGENT)
    events = _export(ze_event(1, 44, T0, AGENT, children, channel="voice"), {})
    assert [e["type"] for e in events] == ["ticket.created", "ticket.resolved"]
    assert (events[0]["channel"], events[0]["priority"]) == ("phone", "normal")
    assert events[1]["agent_id"] == "acme-zd:user:9100"
