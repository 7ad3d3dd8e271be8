"""Event contract v1: the frozen models every producer and consumer agrees on.

Events are flat JSON objects: the envelope fields (`event_id`, `type`, `occurred_at`,
`agreement_id`, `source`) sit beside the payload fields of the type. The JSON Schemas
under `schemas/v1/` describe the same contract; `tests/unit/test_contract.py` proves the
two equal. A breaking change means a v2 module, never an edit here. `occurred_at` may be any
RFC 3339 instant here; the range ingest accepts is in services/core/contract/event_range.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    model_validator,
)

SCHEMA_VERSION = 1

# Identifiers carry what real tools send: phone-style and e-mail-style ids, queue names with
# spaces, CJK names, long ARNs. Any printable Unicode of 1..256 characters is accepted except
# C0/C1 control characters and the line/paragraph separators (they forge log lines), with no
# space at either end (two spellings of one id). A superset of the old ASCII pattern, so v1
# producers keep working. Connectors namespace tool ids as `<namespace>:<tool id>` and never
# put phone numbers or e-mail addresses here in clear (docs/connectors.md, "Identifiers").
IDENTIFIER_MAX_LENGTH = 256
_ID_EDGE = r"[^\x00-\x20\x7F-\x9F\u2028\u2029]"
_ID_INNER = r"[^\x00-\x1F\x7F-\x9F\u2028\u2029]"
IDENTIFIER_PATTERN = f"^{_ID_EDGE}({_ID_INNER}*{_ID_EDGE})?$"
Identifier = Annotated[
    str, Field(min_length=1, max_length=IDENTIFIER_MAX_LENGTH, pattern=IDENTIFIER_PATTERN)
]
Seconds = Annotated[float, Field(ge=0, le=86_400 * 7, strict=True)]
# RFC 3339 date-time with a mandatory offset and seconds; the same pattern as the schema.
_RFC3339 = re.compile(
    r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3])"
    r":[0-5][0-9]:[0-5][0-9](\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])\Z"
)


def _rfc3339(value: Any) -> Any:
    """Accept RFC 3339 text (or an aware datetime from Python callers), nothing looser."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with offset, e.g. 2026-10-01T09:30:00Z")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]


class Channel(StrEnum):
    EMAIL = "email"
    CHAT = "chat"
    WEB = "web"
    PHONE = "phone"
    SOCIAL = "social"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    ON_HOLD = "on_hold"
    SOLVED = "solved"
    CLOSED = "closed"


class Author(StrEnum):
    AGENT = "agent"
    CUSTOMER = "customer"


class EventBase(BaseModel):
    """Envelope shared by every event type."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    event_id: Identifier
    type: str
    occurred_at: Timestamp
    agreement_id: Identifier
    source: Annotated[str, Field(min_length=1, max_length=128)] | None = None

    @property
    def occurred_at_epoch(self) -> float:
        return self.occurred_at.timestamp()


class TicketCreated(EventBase):
    type: Literal["ticket.created"]
    ticket_id: Identifier
    customer_id: Identifier
    channel: Channel
    priority: Priority


class TicketReplied(EventBase):
    type: Literal["ticket.replied"]
    ticket_id: Identifier
    author: Author
    agent_id: Identifier | None = None

    @model_validator(mode="after")
    def _agent_id_iff_agent(self) -> TicketReplied:
        if self.author is Author.AGENT and self.agent_id is None:
            raise ValueError("agent_id is required when author is 'agent'")
        if self.author is Author.CUSTOMER and self.agent_id is not None:
            raise ValueError("agent_id must be absent when author is 'customer'")
        return self


class TicketStatusChanged(EventBase):
    type: Literal["ticket.status_changed"]
    ticket_id: Identifier
    status: TicketStatus


class TicketResolved(EventBase):
    type: Literal["ticket.resolved"]
    ticket_id: Identifier
    agent_id: Identifier


class TicketReopened(EventBase):
    type: Literal["ticket.reopened"]
    ticket_id: Identifier


class CallEvent(EventBase):
    """Every call event names its caller, so one customer's calls share a partition.

    Repeat-contact detection for FCR needs all calls of a customer in one place; keying the
    calls topic by customer keeps that join local to a partition.
    """

    call_id: Identifier
    customer_id: Identifier


class CallOffered(CallEvent):
    type: Literal["call.offered"]
    queue: Identifier


class CallAnswered(CallEvent):
    type: Literal["call.answered"]
    agent_id: Identifier


class CallAbandoned(CallEvent):
    type: Literal["call.abandoned"]


class CallCompleted(CallEvent):
    type: Literal["call.completed"]
    talk_seconds: Seconds
    hold_seconds: Seconds
    wrap_seconds: Seconds
    resolved: StrictBool


class SurveySubmitted(EventBase):
    type: Literal["survey.submitted"]
    survey_id: Identifier
    ticket_id: Identifier | None = None
    call_id: Identifier | None = None
    score: Annotated[int, Field(ge=1, le=5, strict=True)]

    @model_validator(mode="after")
    def _exactly_one_subject(self) -> SurveySubmitted:
        if (self.ticket_id is None) == (self.call_id is None):
            raise ValueError("exactly one of ticket_id or call_id is required")
        return self


TicketEvent = TicketCreated | TicketReplied | TicketStatusChanged | TicketResolved | TicketReopened
CallEventT = CallOffered | CallAnswered | CallAbandoned | CallCompleted
Event = Annotated[
    TicketEvent | CallEventT | SurveySubmitted,
    Field(discriminator="type"),
]

EVENT_MODELS: dict[str, type[EventBase]] = {
    "ticket.created": TicketCreated,
    "ticket.replied": TicketReplied,
    "ticket.status_changed": TicketStatusChanged,
    "ticket.resolved": TicketResolved,
    "ticket.reopened": TicketReopened,
    "call.offered": CallOffered,
    "call.answered": CallAnswered,
    "call.abandoned": CallAbandoned,
    "call.completed": CallCompleted,
    "survey.submitted": SurveySubmitted,
}

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


class InvalidEvent(ValueError):
    """An event that breaks the contract; `reason` is safe to show to the sender."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False):
        # The discriminator adds the type name as the first location; drop it for readability.
        loc_parts = [str(p) for p in err["loc"]]
        if loc_parts and loc_parts[0] in EVENT_MODELS:
            loc_parts = loc_parts[1:]
        loc = ".".join(loc_parts) or "event"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def parse_event(data: Any) -> EventBase:
    """Validate a decoded JSON value against the contract, or raise `InvalidEvent`."""
    if not isinstance(data, dict):
        raise InvalidEvent("event must be a JSON object")
    try:
        return _EVENT_ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None


def parse_event_json(raw: bytes | str) -> EventBase:
    """Decode and validate one JSON-encoded event, or raise `InvalidEvent`."""
    try:
        return _EVENT_ADAPTER.validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise InvalidEvent("not valid JSON") from None
        raise InvalidEvent(_describe(exc)) from None


def event_to_json(event: EventBase) -> bytes:
    """Canonical wire form: JSON with RFC 3339 timestamps, absent optionals omitted."""
    return event.model_dump_json(exclude_none=True).encode()


def event_time(event: EventBase) -> datetime:
    return event.occurred_at
