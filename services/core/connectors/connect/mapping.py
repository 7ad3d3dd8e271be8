"""Contact record -> v1 call events (docs/connectors.md, "Amazon Connect").

One contact record (one contact segment: a transfer starts a new one) states up to three
facts: it was offered to a queue, then answered by an agent or abandoned, and, if answered,
completed with its talk, hold and after-contact-work durations. Event ids are the contact id
plus the fact, never anything of the delivery, so a record delivered twice, re-delivered
after a change, or read again by a backfill maps to the same ids (the engine keeps the
first copy of an id; docs/connectors.md says why that is the rule for changed records).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from services.core.connectors.base import (
    ConnectorSettings,
    MappingRefused,
    namespaced,
    pseudonym,
)
from services.core.connectors.connect.record import AgentPart, ContactRecord

NO_HOLD_TIME = "no_hold_time"
DEFAULT_INITIATION_METHODS = ("INBOUND", "TRANSFER", "QUEUE_TRANSFER", "CALLBACK", "API")
DEFAULT_RESOLVED_ATTRIBUTE = "resolved"
DEFAULT_RESOLVED_VALUES = ("true", "yes", "y", "1", "resolved")


def map_record(record: ContactRecord, settings: ConnectorSettings) -> list[dict[str, Any]]:
    """The v1 events one contact record states; `[]` for contacts slawatch does not count."""
    if record.channel != "VOICE" or record.initiation_method not in _methods(settings):
        return []
    agent = record.agent if record.agent and record.agent.connected_at else None
    if agent is None and record.transferred_out:
        # Sent on from the queue unanswered: the next segment is offered in its own queue,
        # and an offer without an outcome here would look like a repeat contact for ever.
        return []
    base = {
        "call_id": namespaced(settings, f"contact:{record.contact_id}"),
        "customer_id": _customer(record, settings),
    }
    events: list[dict[str, Any]] = []
    event = _events_of(record, settings, base)
    if record.enqueued_at is not None:
        events.append(event("call.offered", record.enqueued_at, queue=_queue(record, settings)))
        if agent is not None:
            events.append(_answered(event, agent, settings))
        elif record.disconnected_at is None:
            raise MappingRefused("queued, never answered and no DisconnectTimestamp")
        else:
            events.append(event("call.abandoned", record.disconnected_at))
    # An agent reached without a queue (e.g. an API contact routed to one agent) was handled
    # but never offered: it counts in AHT and FCR only.
    if agent is not None:
        events.append(_completed(event, record, agent, settings))
    return events


def check_options(options: Mapping[str, Any]) -> None:
    """Raise ValueError for options `map_record` would not understand."""
    if options.get("queue_id", "name") not in ("name", "arn"):
        raise ValueError("queue_id must be 'name' or 'arn'")
    if options.get("agent_id", "username") not in ("username", "arn"):
        raise ValueError("agent_id must be 'username' or 'arn'")
    if not isinstance(options.get("resolved_attribute", DEFAULT_RESOLVED_ATTRIBUTE), str):
        raise ValueError("resolved_attribute must be a contact attribute name")
    for name in ("resolved_values", "initiation_methods"):
        value = options.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of strings")


def _answered(event: _Event, agent: AgentPart, settings: ConnectorSettings) -> dict[str, Any]:
    assert agent.connected_at is not None
    return event("call.answered", agent.connected_at, agent_id=_agent_id(agent, settings))


def _completed(
    event: _Event, record: ContactRecord, agent: AgentPart, settings: ConnectorSettings
) -> dict[str, Any]:
    if agent.interaction_seconds is None:
        raise MappingRefused("Agent.AgentInteractionDuration is missing")
    hold = agent.hold_seconds
    if hold is None:
        # Without the hold time AHT is understated; only an agreement that accepted that
        # loss (lossy "no_hold_time", stated in its monthly report) counts such a call.
        if NO_HOLD_TIME not in settings.lossy:
            raise MappingRefused(
                "Agent.CustomerHoldDuration is missing (lossy no_hold_time is off)"
            )
        hold = 0.0
    wrap = _wrap_seconds(agent)
    talk = agent.interaction_seconds
    assert agent.connected_at is not None
    ended = agent.acw_ended_at or record.disconnected_at
    if ended is None:
        ended = agent.connected_at + timedelta(seconds=talk + hold + wrap)
    return event(
        "call.completed",
        ended,
        talk_seconds=talk,
        hold_seconds=hold,
        wrap_seconds=wrap,
        resolved=_resolved(record, settings),
    )


def _wrap_seconds(agent: AgentPart) -> float:
    if agent.acw_seconds is not None:
        return agent.acw_seconds
    if agent.acw_started_at and agent.acw_ended_at:
        return max(0.0, (agent.acw_ended_at - agent.acw_started_at).total_seconds())
    return 0.0  # no after-contact work configured for this agent


def _resolved(record: ContactRecord, settings: ConnectorSettings) -> bool:
    name = str(settings.options.get("resolved_attribute", DEFAULT_RESOLVED_ATTRIBUTE))
    truthy = _lowered(settings.options.get("resolved_values", DEFAULT_RESOLVED_VALUES))
    return record.attributes.get(name, "").strip().lower() in truthy


def _customer(record: ContactRecord, settings: ConnectorSettings) -> str:
    if record.customer_address and record.customer_address.lower() not in ("anonymous", "unknown"):
        return pseudonym("phone", record.customer_address, settings.pseudonym_key)
    # A withheld number: a caller of its own, so no repeat contact is ever matched to it.
    return namespaced(settings, f"anonymous:{record.contact_id}")


def _queue(record: ContactRecord, settings: ConnectorSettings) -> str:
    by_arn = settings.options.get("queue_id") == "arn"
    first, second = (
        (record.queue_arn, record.queue_name) if by_arn else (record.queue_name, record.queue_arn)
    )
    queue = first or second
    if queue is None:
        raise MappingRefused("Queue has neither Name nor ARN")
    return queue


def _agent_id(agent: AgentPart, settings: ConnectorSettings) -> str:
    by_arn = settings.options.get("agent_id") == "arn"
    first, second = (agent.arn, agent.username) if by_arn else (agent.username, agent.arn)
    agent_id = first or second
    if agent_id is None:
        raise MappingRefused("Agent has neither Username nor ARN")
    return agent_id


def _methods(settings: ConnectorSettings) -> frozenset[str]:
    methods = settings.options.get("initiation_methods", DEFAULT_INITIATION_METHODS)
    return frozenset(str(m).upper() for m in methods)


def _lowered(values: Iterable[Any]) -> frozenset[str]:
    return frozenset(str(v).strip().lower() for v in values)


class _Event(Protocol):
    def __call__(self, kind: str, at: datetime, **fields: Any) -> dict[str, Any]: ...


def _events_of(record: ContactRecord, settings: ConnectorSettings, base: dict[str, Any]) -> _Event:
    """The event builder of one contact: ids `<namespace>:contact:<ContactId>:<fact>`."""

    def event(kind: str, at: datetime, **fields: Any) -> dict[str, Any]:
        fact = kind.removeprefix("call.")
        return {
            "event_id": namespaced(settings, f"contact:{record.contact_id}:{fact}"),
            "type": kind,
            "occurred_at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "agreement_id": settings.agreement_id,
            **base,
            **fields,
        }

    return event
