"""Hypothesis strategies over the v1 event field space, for the schema/model contract test.

Valid events are drawn field by field from the models (`EVENT_MODELS[...].model_fields`),
then fixed up for the two cross-field rules. Mutations change one field to a value from a
hostile pool, drop one field or add one; the test then asks schema and model for a verdict.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from services.core.contract.events import EVENT_MODELS, Author

_ID_EDGE = r"[^\x00-\x20\x7F-\x9F\u2028\u2029]"
_ID_INNER = r"[^\x00-\x1F\x7F-\x9F\u2028\u2029]"
# Old-style ASCII ids (v1 producers) and any printable Unicode the contract now accepts.
IDENTIFIER = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}\Z") | st.from_regex(
    rf"\A{_ID_EDGE}({_ID_INNER}{{0,254}}{_ID_EDGE})?\Z"
)
SECONDS = st.integers(0, 604_800) | st.floats(0, 604_800, allow_nan=False)
_OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@st.composite
def rfc3339(draw: st.DrawFn) -> str:
    """An RFC 3339 date-time with offset, in the spellings both sides must accept."""
    moment = draw(st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=_OFFSETS))
    text = moment.isoformat()
    if moment.utcoffset() == timedelta(0) and draw(st.booleans()):
        text = text[:-6] + draw(st.sampled_from(["Z", "z"]))
    return text.replace("T", "t") if draw(st.integers(0, 9)) == 0 else text


# Values for fields that are not enums, by field name (every model field must be covered).
_BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "occurred_at": rfc3339(),
    "source": st.text(min_size=1, max_size=128),
    "talk_seconds": SECONDS,
    "hold_seconds": SECONDS,
    "wrap_seconds": SECONDS,
    "resolved": st.booleans(),
    "score": st.integers(1, 5),
}


def _field_value(name: str, annotation: Any) -> st.SearchStrategy[Any]:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from([member.value for member in annotation])
    return _BY_NAME.get(name, IDENTIFIER)


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """A JSON-shaped event of any type that satisfies the contract."""
    event_type = draw(st.sampled_from(sorted(EVENT_MODELS)))
    model = EVENT_MODELS[event_type]
    event: dict[str, Any] = {"type": event_type}
    for name, field in model.model_fields.items():
        if name == "type" or (not field.is_required() and draw(st.booleans())):
            continue
        event[name] = draw(_field_value(name, field.annotation))
    if event_type == "ticket.replied":
        event["author"] = draw(st.sampled_from([a.value for a in Author]))
        if event["author"] == Author.AGENT:
            event["agent_id"] = draw(IDENTIFIER)
        elif draw(st.booleans()):
            event["agent_id"] = None  # explicit null means absent on both sides
        else:
            event.pop("agent_id", None)
    if event_type == "survey.submitted":
        event.pop("ticket_id", None)
        event.pop("call_id", None)
        subject, other = draw(st.permutations(["ticket_id", "call_id"]))
        event[subject] = draw(IDENTIFIER)
        if draw(st.booleans()):
            event[other] = None
    return event


_ALL_FIELDS = sorted({name for m in EVENT_MODELS.values() for name in m.model_fields})
_ENUM_VALUES = ["email", "phone", "urgent", "on_hold", "closed", "agent", "customer", "Agent"]
_DATE_TIMES = [
    "2024-05-06T09:15:00Z",
    "2024-05-06T09:15:00.5+05:30",
    "2024-05-06T09:15:00",  # naive
    "2024-02-30T09:15:00Z",  # no such day
    "2024-06-30T23:59:60Z",  # leap second
    "0000-01-01T00:00:00Z",
    "2024-05-06T24:00:00Z",
    "2024-05-06",
]
_PLAIN: list[Any] = [
    None,
    "",
    "x",
    "A" * 128,
    "A" * 129,
    "A" * 256,
    "A" * 257,
    "-x",
    "a b",
    " a",
    "a ",
    "T-1\n",
    "é",
    "ü-1",
    "tel:+86 138-0013-8000",
    "queue:售后 热线",
    "a\u2028b",
    "a\x85b",
    "a\tb",
    "arn:aws:connect:eu-west-1:123456789012:instance/" + "x" * 200,
    [],
    {},
    ["a"],
]
_NUMBERS = [0, 1, 5, 6, -1, 0.5, 604_800, 604_800.001, -0.001, 1e300, True, False]
HOSTILE: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from([*_PLAIN, *_NUMBERS, *_ENUM_VALUES, *sorted(EVENT_MODELS), *_DATE_TIMES]),
    st.text(max_size=6),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
)


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[dict[str, Any], str, Any]:
    """A valid event with one field replaced, removed or added: (event, field, new value)."""
    event = draw(valid_events())
    own = st.sampled_from(sorted(event))
    # Mostly the event's own fields: a foreign field is rejected as extra whatever its value.
    field = draw(st.one_of(own, own, own, st.sampled_from([*_ALL_FIELDS, "extra"])))
    if field in event and draw(st.integers(0, 4)) == 0:
        del event[field]
        return event, field, "<removed>"
    value = draw(HOSTILE)
    event[field] = value
    return event, field, value
