"""Topic names and message keys: how events are laid out on Kafka.

One topic per event family. Keys keep everything one computation needs on one partition:
all events of a ticket (ticket key), all calls of a customer (so repeat contacts for FCR are
seen by the worker that saw the first call), each survey on its own.
"""

from __future__ import annotations

from enum import StrEnum

from services.core.contract.events import CallEvent, EventBase, SurveySubmitted

TOPIC_VERSION = "v1"


class Family(StrEnum):
    TICKETS = "tickets"
    CALLS = "calls"
    SURVEYS = "surveys"


def family_of(event_type: str) -> Family:
    """The family of an event type name, e.g. `ticket.created` -> tickets."""
    head = event_type.split(".", 1)[0]
    try:
        return {"ticket": Family.TICKETS, "call": Family.CALLS, "survey": Family.SURVEYS}[head]
    except KeyError:
        raise ValueError(f"unknown event family for type {event_type!r}") from None


def topic_name(prefix: str, family: Family) -> str:
    return f"{prefix}.{family.value}.{TOPIC_VERSION}"


def deadletter_topic(prefix: str) -> str:
    return f"{prefix}.deadletter.{TOPIC_VERSION}"


def agreements_topic(prefix: str) -> str:
    """Compacted, keyed by agreement id: the latest document of every agreement (see
    docs/agreements.md); a tombstone (null value) removes one."""
    return f"{prefix}.agreements.{TOPIC_VERSION}"


def sla_status_topic(prefix: str) -> str:
    """Keyed by agreement id: SLA status changes of targets (docs/sla.md, "Status events")."""
    return f"{prefix}.sla.status.{TOPIC_VERSION}"


def event_key(event: EventBase) -> str:
    """Partitioning key: agreement plus the entity whose events must stay together."""
    if isinstance(event, CallEvent):
        entity = event.customer_id
    elif isinstance(event, SurveySubmitted):
        entity = event.survey_id
    else:
        entity = getattr(event, "ticket_id")  # noqa: B009 - every ticket event has one
    return f"{event.agreement_id}/{entity}"
