"""The JSON Schemas in schemas/v1 and the pydantic models in services/core/contract/ are equal.

Equal means: same event types, same fields (required and optional), and the same verdict on
every input: the committed examples, generated valid events and single-field mutations.
Known places where the models are laxer than the contract sit in one xfail table below.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import TypeAdapter
from referencing import Registry, Resource

from services.core.contract.events import (
    EVENT_MODELS,
    Identifier,
    InvalidEvent,
    Seconds,
    event_to_json,
    parse_event,
)
from tests.unit.contract_strategies import mutated_events, valid_events

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "v1"
SCHEMAS = {p.name: json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.schema.json"))}
TYPE_SCHEMAS = {s["properties"]["type"]["const"]: s for s in SCHEMAS.values() if "allOf" in s}
ENVELOPE = SCHEMAS["envelope.schema.json"]
REGISTRY: Registry[Any] = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in SCHEMAS.values()
)
VALID = sorted((SCHEMA_DIR / "examples" / "valid").glob("*.json"))
INVALID = sorted((SCHEMA_DIR / "examples" / "invalid").glob("*.json"))

# jsonschema checks `date-time` only when rfc3339-validator is installed; it is not, so the
# check is spelled out here: RFC 3339 shape (leap second allowed, as the RFC does) plus a
# real calendar date, which the schema's pattern alone cannot express.
FORMAT_CHECKER = FormatChecker()
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))", re.ASCII
)


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second, off_hour, off_minute = (
        int(g or 0) for g in match.groups()
    )
    datetime(year, month, day, hour, minute, min(second, 59))  # raises on a bad calendar date
    return second <= 60 and off_hour < 24 and off_minute < 60


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY, format_checker=FORMAT_CHECKER)


EVENT = _validator("event.schema.json")


def schema_accepts(event: Any) -> bool:
    return bool(EVENT.is_valid(event))


def model_accepts(event: Any) -> bool:
    try:
        parse_event(event)
    except InvalidEvent:
        return False
    return True


def _type_name(path: Path) -> str:
    return next(t for t in EVENT_MODELS if path.name.startswith(t + "."))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_valid_draft_2020_12_with_matching_id(name: str) -> None:
    Draft202012Validator.check_schema(SCHEMAS[name])
    assert SCHEMAS[name]["$id"] == f"https://slawatch.dev/schemas/v1/{name}"


def test_schema_types_equal_event_models() -> None:
    assert set(TYPE_SCHEMAS) == set(EVENT_MODELS)
    refs = {ref["$ref"] for ref in SCHEMAS["event.schema.json"]["oneOf"]}
    assert refs == {f"{t}.schema.json" for t in EVENT_MODELS}


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_fields_and_required_fields_equal_model_fields(event_type: str) -> None:
    schema, fields = TYPE_SCHEMAS[event_type], EVENT_MODELS[event_type].model_fields
    assert schema["unevaluatedProperties"] is False
    assert set(ENVELOPE["properties"]) | set(schema["properties"]) == set(fields)
    required = {name for name, field in fields.items() if field.is_required()}
    assert set(ENVELOPE["required"]) | set(schema["required"]) == required


@pytest.mark.parametrize(
    ("definition", "annotation"), [("identifier", Identifier), ("seconds", Seconds)]
)
def test_shared_definitions_equal_model_constraints(definition: str, annotation: Any) -> None:
    mine = dict(ENVELOPE["$defs"][definition])
    mine.pop("description")
    if "pattern" in mine:  # the guard only changes Python's re, see the description
        mine["pattern"] = mine["pattern"].replace(r"(?!\n)", "")
    assert mine == TypeAdapter(annotation).json_schema()


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_every_type_has_valid_and_invalid_examples(event_type: str) -> None:
    assert any(_type_name(p) == event_type for p in VALID)
    assert any(p.name.startswith(event_type + ".") for p in INVALID)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_example_passes_schema_and_model(path: Path) -> None:
    event = json.loads(path.read_text())
    _validator(f"{_type_name(path)}.schema.json").validate(event)
    EVENT.validate(event)
    parsed = parse_event(event)
    # The canonical wire form the ingest service publishes must itself honour the contract.
    EVENT.validate(json.loads(event_to_json(parsed)))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_fails_schema_and_model(path: Path) -> None:
    case = json.loads(path.read_text())
    assert not schema_accepts(case["event"])
    with pytest.raises(InvalidEvent) as caught:
        parse_event(case["event"])
    assert case["reason_contains"] in caught.value.reason


@pytest.mark.parametrize(
    "text", ["2024-02-30T00:00:00Z", "2024-05-06T09:15:00", "2024-05-06 09:15:00Z"]
)
def test_format_checker_really_checks_date_time(text: str) -> None:
    assert not FORMAT_CHECKER.conforms(text, "date-time")


@given(valid_events())
def test_generated_valid_events_pass_both(event: dict[str, Any]) -> None:
    assert schema_accepts(event), list(EVENT.iter_errors(event))
    assert json.loads(event_to_json(parse_event(event))) is not None


def _model_is_laxer(field: str, value: Any) -> bool:
    """The one known difference: JSON Schema cannot tell 5.0 from 5; the model can."""
    return field == "score" and isinstance(value, float) and value.is_integer()


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@given(mutated_events())
def test_schema_and_model_agree_on_single_field_mutations(
    case: tuple[dict[str, Any], str, Any],
) -> None:
    event, field, value = case
    model = EVENT_MODELS.get(event["type"]) if isinstance(event.get("type"), str) else None
    if model is not None and field in model.model_fields and _model_is_laxer(field, value):
        return
    assert schema_accepts(event) == model_accepts(event), (field, value)


LOOSE_VALUES_BOTH_REJECT = [
    ("call.completed", "talk_seconds", "12.5"),
    ("call.completed", "talk_seconds", True),
    ("call.completed", "resolved", "yes"),
    ("call.completed", "resolved", 1),
    ("call.completed", "occurred_at", 1_700_000_000),
    ("call.completed", "occurred_at", "1700000000"),
    ("call.completed", "occurred_at", "2024-05-06 09:15:00Z"),
    ("call.completed", "occurred_at", "2024-05-06_09:15:00Z"),
    ("call.completed", "occurred_at", "2024-05-06T09:15Z"),
    ("call.completed", "occurred_at", "2024-05-06T09:15:00+0000"),
    ("call.completed", "occurred_at", "2024-05-06T09:15:00,5Z"),
]


@pytest.mark.parametrize(("example", "field", "value"), LOOSE_VALUES_BOTH_REJECT)
def test_loose_values_are_rejected_by_schema_and_model(
    example: str, field: str, value: Any
) -> None:
    event = json.loads((SCHEMA_DIR / "examples" / "valid" / f"{example}.json").read_text())
    event[field] = value
    assert not schema_accepts(event)
    assert not model_accepts(event)


def test_integral_float_score_is_the_one_known_difference() -> None:
    """JSON Schema counts 5.0 as an integer; the model insists on 5 (documented in schemas/)."""
    event = json.loads(
        (SCHEMA_DIR / "examples" / "valid" / "survey.submitted.ticket.json").read_text()
    )
    event["score"] = 5.0
    assert schema_accepts(event)
    assert not model_accepts(event)
