"""Amazon Connect contact records -> v1 call events (docs/connectors.md, "Amazon Connect")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.core.connectors.base import (
    ConnectorSettings,
    MappingRefused,
    SignatureRefused,
    pseudonym,
)
from services.core.connectors.connect import ConnectConnector
from services.core.contract.events import parse_event
from tests.connect_records import QUEUE_ARN, abandoned, answered, unqueued

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
KEY = b"k" * 32
PHONE = "+8613800138000"
CONNECTOR = ConnectConnector()


def settings(**over: Any) -> ConnectorSettings:
    fields: dict[str, Any] = {
        "agreement_id": "acme-cn",
        "tool": "connect",
        "namespace": "connect:acme",
        "pseudonym_key": KEY,
    }
    fields.update(over)
    return ConnectorSettings(**fields)


def by_type(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["type"]: e for e in events}


def test_an_answered_call_is_offered_answered_and_completed_with_its_durations() -> None:
    events = list(
        CONNECTOR.map(answered("c-1", PHONE, T0, wait=12, talk=240, hold=30, acw=45), settings())
    )
    assert [e["type"] for e in events] == ["call.offered", "call.answered", "call.completed"]
    for e in events:
        parse_event(e)  # every event keeps the v1 contract
    e = by_type(events)
    customer = pseudonym("phone", PHONE, KEY)
    assert {x["customer_id"] for x in events} == {customer}
    assert {x["call_id"] for x in events} == {"connect:acme:contact:c-1"}
    assert e["call.offered"]["occurred_at"] == "2026-10-05T09:00:05Z"  # EnqueueTimestamp
    assert e["call.offered"]["queue"] == "BasicQueue"
    assert e["call.answered"]["occurred_at"] == "2026-10-05T09:00:17Z"  # ConnectedToAgent
    assert e["call.answered"]["agent_id"] == "li.na"
    completed = e["call.completed"]
    assert (completed["talk_seconds"], completed["hold_seconds"], completed["wrap_seconds"]) == (
        240.0,
        30.0,
        45.0,
    )
    assert completed["resolved"] is True
    # Completed when the after-contact work ended: 17 + 240 + 30 + 45 s after the arrival.
    assert completed["occurred_at"] == "2026-10-05T09:05:32Z"
    assert e["call.offered"]["event_id"] == "connect:acme:contact:c-1:offered"
    assert PHONE not in repr(events)


def test_a_call_never_answered_in_its_queue_is_abandoned_at_its_disconnect() -> None:
    events = list(CONNECTOR.map(abandoned("c-2", PHONE, T0, wait=40), settings()))
    assert [e["type"] for e in events] == ["call.offered", "call.abandoned"]
    assert events[1]["occurred_at"] == "2026-10-05T09:00:45Z"
    for e in events:
        parse_event(e)


def test_a_redelivered_changed_record_maps_to_the_same_event_ids() -> None:
    first = answered("c-3", PHONE, T0, resolved=None)
    changed = answered("c-3", PHONE, T0, resolved="true", updated_after=3600)
    assert changed["LastUpdateTimestamp"] > first["LastUpdateTimestamp"]
    ids_first = [e["event_id"] for e in CONNECTOR.map(first, settings())]
    again = CONNECTOR.map(changed, settings())
    assert [e["event_id"] for e in again] == ids_first
    assert by_type(list(again))["call.completed"]["resolved"] is True  # values of the copy differ


def test_missing_hold_time_is_refused_unless_the_agreement_accepts_the_loss() -> None:
    record = answered("c-4", PHONE, T0, hold=None)
    with pytest.raises(MappingRefused, match="CustomerHoldDuration"):
        CONNECTOR.map(record, settings())
    lossy = by_type(list(CONNECTOR.map(record, settings(lossy=frozenset({"no_hold_time"})))))
    assert lossy["call.completed"]["hold_seconds"] == 0.0
    assert lossy["call.completed"]["talk_seconds"] == 240.0


@pytest.mark.parametrize(
    ("attributes", "options", "expected"),
    [
        ({"resolved": "TRUE"}, {}, True),
        ({"resolved": "no"}, {}, False),
        ({}, {}, False),
        (
            {"outcome": "fixed"},
            {"resolved_attribute": "outcome", "resolved_values": ["Fixed"]},
            True,
        ),
        (
            {"outcome": "callback"},
            {"resolved_attribute": "outcome", "resolved_values": ["fixed"]},
            False,
        ),
    ],
)
def test_resolved_comes_from_the_configured_contact_attribute(
    attributes: dict[str, str], options: dict[str, Any], expected: bool
) -> None:
    record = answered("c-5", PHONE, T0, Attributes=attributes)
    events = by_type(list(CONNECTOR.map(record, settings(options=options))))
    assert events["call.completed"]["resolved"] is expected


def test_queue_and_agent_ids_follow_the_options() -> None:
    record = answered("c-6", PHONE, T0, queue="Billing Support 账单")
    plain = by_type(list(CONNECTOR.map(record, settings())))
    assert plain["call.offered"]["queue"] == "Billing Support 账单"
    arns = by_type(
        list(CONNECTOR.map(record, settings(options={"queue_id": "arn", "agent_id": "arn"})))
    )
    assert arns["call.offered"]["queue"] == QUEUE_ARN
    assert arns["call.answered"]["agent_id"].endswith("/agent/li.na")


@pytest.mark.parametrize(
    "record",
    [
        answered("c-7", PHONE, T0, Channel="CHAT"),
        answered("c-8", PHONE, T0, InitiationMethod="OUTBOUND"),
        unqueued("c-9", PHONE, T0),
        abandoned(
            "c-10",
            PHONE,
            T0,
            NextContactId="c-11",
            TransferCompletedTimestamp="2026-10-05T09:00:30Z",
        ),
    ],
    ids=["chat", "outbound", "ivr-only", "sent-on-from-queue"],
)
def test_contacts_that_are_no_offered_call_map_to_nothing(record: dict[str, Any]) -> None:
    assert list(CONNECTOR.map(record, settings())) == []


def test_a_withheld_number_is_a_caller_of_its_own() -> None:
    record = abandoned("c-12", "anonymous", T0)
    events = list(CONNECTOR.map(record, settings()))
    assert {e["customer_id"] for e in events} == {"connect:acme:anonymous:c-12"}


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"Channel": "VOICE"}, "ContactId"),
        ("not a record", "JSON object"),
        (answered("c-13", PHONE, T0, InitiationTimestamp="yesterday"), "InitiationTimestamp"),
        (abandoned("c-14", PHONE, T0, DisconnectTimestamp=None), "DisconnectTimestamp"),
        (
            answered(
                "c-15", PHONE, T0, Agent={"ConnectedToAgentTimestamp": "2026-10-05T09:00:17Z"}
            ),
            "Agent",
        ),
    ],
)
def test_unmappable_records_are_refused_with_a_reason(record: Any, reason: str) -> None:
    with pytest.raises(MappingRefused, match=reason):
        CONNECTOR.map(record, settings())


def test_no_pseudonym_key_means_no_phone_number_leaves_the_connector() -> None:
    with pytest.raises(MappingRefused, match="pseudonym key"):
        CONNECTOR.map(abandoned("c-16", PHONE, T0), settings(pseudonym_key=b""))


def test_a_batch_maps_every_record_and_is_refused_whole_naming_a_bad_one() -> None:
    batch = [answered("c-17", PHONE, T0), abandoned("c-18", "+8613900139000", T0)]
    assert len(CONNECTOR.map(batch, settings())) == 5
    with pytest.raises(MappingRefused, match="record 1: ContactId"):
        CONNECTOR.map([batch[0], {"Channel": "VOICE"}], settings())
    with pytest.raises(MappingRefused, match="empty"):
        CONNECTOR.map([], settings())


@pytest.mark.parametrize(
    ("headers", "ok"),
    [
        ({"Authorization": "Bearer s3cret-token"}, True),
        ({"authorization": "bearer s3cret-token"}, True),
        ({"Authorization": "Bearer "}, False),
        ({"Authorization": "Bearer wrong"}, False),
        ({"Authorization": "Basic s3cret-token"}, False),
        ({}, False),
    ],
)
def test_verify_wants_the_connectors_secret(headers: dict[str, str], ok: bool) -> None:
    if ok:
        CONNECTOR.verify(headers, b"{}", b"s3cret-token", T0)
    else:
        with pytest.raises(SignatureRefused):
            CONNECTOR.verify(headers, b"{}", b"s3cret-token", T0)


@pytest.mark.parametrize(
    "options",
    [
        {"queue_id": "id"},
        {"agent_id": "email"},
        {"resolved_attribute": 3},
        {"resolved_values": "true"},
        {"initiation_methods": ["INBOUND", 1]},
    ],
)
def test_options_the_mapping_would_not_understand_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        CONNECTOR.check_options(options)
    CONNECTOR.check_options({"queue_id": "arn", "resolved_values": ["fixed"]})
