"""Amazon Connect contact records for tests, written after AWS's public "Data model for
Amazon Connect contact records" (field names, nesting, timestamps as "...Z", durations in
whole seconds). `answered`, `abandoned` and `unqueued` build the three shapes a voice
contact takes; keyword overrides change single fields.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

INSTANCE = "arn:aws:connect:eu-central-1:111122223333:instance/0f6c4a2e-4b1d-4c3e-9a55-2f7d0c1b9e10"
QUEUE_ARN = f"{INSTANCE}/queue/8c1d2e3f-1111-4aaa-8bbb-123456789abc"


def at(base: datetime, seconds: float) -> str:
    return (base + timedelta(seconds=seconds)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _envelope(contact_id: str, phone: str, start: datetime, **over: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "AWSAccountId": "111122223333",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": None,
        "AgentConnectionAttempts": 0,
        "Attributes": {"language": "zh-CN"},
        "Channel": "VOICE",
        "ConnectedToSystemTimestamp": at(start, 0),
        "ContactId": contact_id,
        "CustomerEndpoint": {"Address": phone, "Type": "TELEPHONE_NUMBER"},
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "InitialContactId": None,
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": at(start, 0),
        "InstanceARN": INSTANCE,
        "MediaStreams": [{"Type": "AUDIO"}],
        "NextContactId": None,
        "PreviousContactId": None,
        "Queue": None,
        "Recording": None,
        "SystemEndpoint": {"Address": "+864001234567", "Type": "TELEPHONE_NUMBER"},
        "TransferCompletedTimestamp": None,
    }
    record.update(over)
    return record


def answered(
    contact_id: str,
    phone: str,
    start: datetime,
    *,
    wait: int = 12,
    talk: int = 240,
    hold: int | None = 30,
    acw: int = 45,
    agent: str = "li.na",
    queue: str = "BasicQueue",
    resolved: str | None = "true",
    updated_after: int = 60,
    **over: Any,
) -> dict[str, Any]:
    """A call queued 5 s after it arrived, answered after `wait` s, then talk, hold, ACW."""
    enq, conn = 5, 5 + wait
    acw_start = conn + talk + (hold or 0)
    attributes: dict[str, Any] = {"language": "zh-CN"}
    if resolved is not None:
        attributes["resolved"] = resolved
    agent_part: dict[str, Any] = {
        "ARN": f"{INSTANCE}/agent/{agent}",
        "AfterContactWorkDuration": acw,
        "AfterContactWorkEndTimestamp": at(start, acw_start + acw),
        "AfterContactWorkStartTimestamp": at(start, acw_start),
        "AgentInteractionDuration": talk,
        "ConnectedToAgentTimestamp": at(start, conn),
        "CustomerHoldDuration": hold,
        "HierarchyGroups": None,
        "LongestHoldDuration": hold or 0,
        "NumberOfHolds": 1 if hold else 0,
        "RoutingProfile": {
            "ARN": f"{INSTANCE}/routing-profile/basic",
            "Name": "Basic Routing Profile",
        },
        "Username": agent,
    }
    if hold is None:
        del agent_part["CustomerHoldDuration"]
    fields: dict[str, Any] = {
        "Agent": agent_part,
        "AgentConnectionAttempts": 1,
        "Attributes": attributes,
        "DisconnectTimestamp": at(start, acw_start),
        "LastUpdateTimestamp": at(start, acw_start + acw + updated_after),
        "Queue": {
            "ARN": QUEUE_ARN,
            "DequeueTimestamp": at(start, conn),
            "Duration": wait,
            "EnqueueTimestamp": at(start, enq),
            "Name": queue,
        },
    }
    fields.update(over)
    return _envelope(contact_id, phone, start, **fields)


def abandoned(
    contact_id: str,
    phone: str,
    start: datetime,
    *,
    wait: int = 40,
    queue: str = "BasicQueue",
    **over: Any,
) -> dict[str, Any]:
    """A call queued 5 s after it arrived whose caller hung up after `wait` s in the queue."""
    fields: dict[str, Any] = {
        "DisconnectTimestamp": at(start, 5 + wait),
        "LastUpdateTimestamp": at(start, 5 + wait + 30),
        "Queue": {
            "ARN": QUEUE_ARN,
            "DequeueTimestamp": at(start, 5 + wait),
            "Duration": wait,
            "EnqueueTimestamp": at(start, 5),
            "Name": queue,
        },
    }
    fields.update(over)
    return _envelope(contact_id, phone, start, **fields)


def unqueued(contact_id: str, phone: str, start: datetime, **over: Any) -> dict[str, Any]:
    """A call that ended in the IVR, never queued."""
    fields = {"DisconnectTimestamp": at(start, 20), "LastUpdateTimestamp": at(start, 50)}
    fields.update(over)
    return _envelope(contact_id, phone, start, **fields)
