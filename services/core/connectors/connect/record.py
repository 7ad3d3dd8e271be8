"""One Amazon Connect contact record (CTR), read into the few typed fields slawatch needs.

Connect's contact record is a large, growing JSON document (AWS adds fields and asks
consumers to ignore the ones they do not know); the mapping needs a dozen of them. Reading
them here, once, with their types checked, keeps the mapping free of `dict.get` chains and
turns a malformed record into one `MappingRefused` with a reason a person can act on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.connectors.base import MappingRefused


@dataclass(frozen=True)
class AgentPart:
    """`Agent` of a record: set only when the contact was connected to an agent."""

    username: str | None
    arn: str | None
    connected_at: datetime | None
    interaction_seconds: float | None
    hold_seconds: float | None
    acw_seconds: float | None
    acw_started_at: datetime | None
    acw_ended_at: datetime | None


@dataclass(frozen=True)
class ContactRecord:
    """The fields of a contact record that the mapping reads (names as in the CTR)."""

    contact_id: str
    channel: str
    initiation_method: str
    initiated_at: datetime | None
    disconnected_at: datetime | None
    last_update_at: datetime | None
    customer_address: str | None
    queue_name: str | None
    queue_arn: str | None
    enqueued_at: datetime | None
    transferred_out: bool
    agent: AgentPart | None
    attributes: Mapping[str, str]


def read_record(data: Any) -> ContactRecord:
    """Check and read one decoded contact record, or raise `MappingRefused`."""
    if not isinstance(data, Mapping):
        raise MappingRefused("a contact record must be a JSON object")
    contact_id = data.get("ContactId")
    if not isinstance(contact_id, str) or not contact_id.strip():
        raise MappingRefused("ContactId is missing")
    queue = _object(data, "Queue")
    endpoint = _object(data, "CustomerEndpoint")
    attributes = _object(data, "Attributes")
    return ContactRecord(
        contact_id=contact_id.strip(),
        channel=_text(data, "Channel") or "",
        initiation_method=_text(data, "InitiationMethod") or "",
        initiated_at=_instant(data, "InitiationTimestamp"),
        disconnected_at=_instant(data, "DisconnectTimestamp"),
        last_update_at=_instant(data, "LastUpdateTimestamp"),
        customer_address=_text(endpoint, "Address") if endpoint else None,
        queue_name=_text(queue, "Name") if queue else None,
        queue_arn=_text(queue, "ARN") if queue else None,
        enqueued_at=_instant(queue, "EnqueueTimestamp") if queue else None,
        # Sent on from the queue (to another queue, a number or a callback) without an agent:
        # the next contact segment carries the call on, so this one is no abandon.
        transferred_out=bool(data.get("NextContactId") or data.get("TransferCompletedTimestamp")),
        agent=_agent(_object(data, "Agent")),
        attributes={str(k): str(v) for k, v in (attributes or {}).items() if v is not None},
    )


def _agent(agent: Mapping[str, Any] | None) -> AgentPart | None:
    if not agent:
        return None
    return AgentPart(
        username=_text(agent, "Username"),
        arn=_text(agent, "ARN"),
        connected_at=_instant(agent, "ConnectedToAgentTimestamp"),
        interaction_seconds=_seconds(agent, "AgentInteractionDuration"),
        hold_seconds=_seconds(agent, "CustomerHoldDuration"),
        acw_seconds=_seconds(agent, "AfterContactWorkDuration"),
        acw_started_at=_instant(agent, "AfterContactWorkStartTimestamp"),
        acw_ended_at=_instant(agent, "AfterContactWorkEndTimestamp"),
    )


def _object(data: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise MappingRefused(f"{name} must be an object")
    return value


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise MappingRefused(f"{name} must be a string")
    return value.strip()


def _instant(data: Mapping[str, Any], name: str) -> datetime | None:
    text = _text(data, name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise MappingRefused(f"{name} is not an ISO 8601 timestamp: {text[:40]!r}") from None
    # Connect writes UTC ("...Z"); a naive value is read as UTC rather than refused.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _seconds(data: Mapping[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise MappingRefused(f"{name} must be a number of seconds >= 0")
    return float(value)
