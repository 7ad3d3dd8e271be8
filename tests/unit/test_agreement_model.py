"""The agreement model: validation messages, status rules, target versions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.core.agreements.model import (
    Agreement,
    AgreementInput,
    load_agreement_inputs,
    resolve,
    status_on,
    targets_at,
    to_document,
)
from services.core.agreements.targets import TargetInput, TargetVersionConflict, apply_inputs
from services.core.agreements.term import Term, agreement_status, current_term_end
from services.core.kpi.params import load_measurement_params

DEMO = Path(__file__).parents[2] / "deploy/agreements/demo.yaml"
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
JAN = "2026-01-01T00:00:00Z"
PRIORITY = {"low": 3600, "normal": 3600, "high": 1800, "urgent": 900}


def draft(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "agreement_id": "a1",
        "name": "A one",
        "client": "acme",
        "provider": "supportco",
        "parties": {"client": {"name": "ACME"}, "provider": {"name": "SupportCo"}},
        "term": {"effective_from": "2026-01-01"},
        "frt_target_seconds": PRIORITY,
        "resolution_target_seconds": PRIORITY,
        "targets": [target()],
    }
    return {**base, **changes}


def target(**changes: Any) -> dict[str, Any]:
    base = {"target_id": "frt", "kpi": "frt_attainment", "target": 0.9}
    return {**base, "direction": "at_least", "window": "30d", **changes}


def test_the_demo_file_is_a_valid_full_model_with_unchanged_measurement_params() -> None:
    drafts = load_agreement_inputs(DEMO)
    agreements = [resolve(d, (), NOW) for d in drafts]

    params = {a.agreement_id: a.measurement_params() for a in agreements}
    assert params == load_measurement_params(DEMO)
    assert {a.agreement_id: status_on(a, NOW) for a in agreements} == {
        "acme-helpdesk": "active",  # auto-renewing
        "globex-hotline": "expiring",  # ends 2027-01-31, 90 days' notice
        "initech-support": "active",
    }
    assert all(a.targets and a.measures for a in agreements)


def measure(**changes: Any) -> dict[str, Any]:
    return {"measure_id": "m1", "kind": "training", "title": "T", "owner": "O", **changes}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"targets": [target(), target(target=0.8)]}, "'frt' is listed twice without"),
        ({"targets": [target(kpi="frt_p99_seconds")]}, "unknown kpi 'frt_p99_seconds'"),
        ({"targets": [target(target=90)]}, "frt_attainment is a ratio: target"),
        ({"targets": [target(at_risk_band=-1)]}, "greater than or equal to 0"),
        ({"targets": [target(window="2w")]}, "'1h', '24h', '7d', '30d', 'month' or 'quarter'"),
        ({"targets": [target(effective_from="2026-01-01T00:00:00")]}, "timezone info"),
        (
            {"targets": [target(effective_from=JAN), target(direction="at_most")]},
            "same kpi and direction",
        ),
        ({"term": {"effective_from": "2026-02-01", "effective_to": "2026-01-31"}}, "is before"),
        ({"term": {"effective_from": "2026-01-01", "auto_renew": True}}, "auto-renewing term"),
        (
            {"measures": [measure(actual_start="2026-03-01", actual_end="2026-02-01")]},
            "actuals: end 2026-02-01 is before start 2026-03-01",
        ),
        ({"measures": [measure(actual_end="2026-02-01")]}, "actual_end needs actual_start"),
        ({"measures": [measure(), measure()]}, "measure ids must be unique"),
        ({"measures": [measure(kpis=["aht_mean_seconds", "aht_speed"])]}, "unknown kpis"),
        ({"client": ""}, "at least 1 character"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"sla": "gold"}, "Extra inputs are not permitted"),
        (
            {"parties": {"client": {"name": "C", "contacts": [{"name": "x", "email": "nope"}]}}},
            "String should match pattern",
        ),
    ],
)
def test_invalid_agreements_are_refused_with_a_clear_message(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        AgreementInput.model_validate(draft(**changes))


def term(**fields: Any) -> Term:
    return Term.model_validate({"effective_from": "2026-01-01", **fields})


YEARLY = {"effective_to": "2026-12-31", "auto_renew": True, "renewal_months": 12}
MONTHLY = {"effective_to": "2026-01-31", "auto_renew": True, "renewal_months": 1}
QUARTERLY = {"effective_to": "2026-03-31", "auto_renew": True, "renewal_months": 3}


@pytest.mark.parametrize(
    ("fields", "today", "status"),
    [
        ({}, "2025-12-31", "draft"),
        ({}, "2026-01-01", "active"),
        ({}, "2099-01-01", "active"),  # open-ended
        ({"effective_to": "2026-12-31"}, "2026-10-01", "active"),  # 91 days left
        ({"effective_to": "2026-12-31"}, "2026-10-02", "expiring"),  # 90 days left
        ({"effective_to": "2026-12-31"}, "2026-12-31", "expiring"),  # last day
        ({"effective_to": "2026-12-31"}, "2027-01-01", "expired"),
        ({"effective_to": "2026-12-31", "notice_days": 0}, "2026-12-30", "active"),
        ({"effective_to": "2026-12-31", "notice_days": 0}, "2026-12-31", "expiring"),
        (YEARLY, "2026-12-31", "active"),  # auto-renewing terms are never expiring
        (YEARLY, "2027-01-01", "active"),  # rolled forward
        (YEARLY, "2031-06-30", "active"),
        ({"terminated_at": "2026-06-01"}, "2026-05-31", "active"),
        ({"terminated_at": "2026-06-01"}, "2026-06-01", "terminated"),
        ({**YEARLY, "terminated_at": "2026-06-01"}, "2028-01-01", "terminated"),
        ({"terminated_at": "2025-12-01"}, "2025-12-15", "terminated"),  # cancelled as a draft
    ],
)
def test_agreement_status(fields: dict[str, Any], today: str, status: str) -> None:
    assert agreement_status(term(**fields), date.fromisoformat(today)) == status


@pytest.mark.parametrize(
    ("fields", "today", "end"),
    [
        (YEARLY, "2026-06-01", "2026-12-31"),
        (YEARLY, "2027-01-01", "2027-12-31"),
        (YEARLY, "2028-12-31", "2028-12-31"),
        (YEARLY, "2029-01-01", "2029-12-31"),
        # Month ends do not drift: 31 Jan + 1 month ends on 28 Feb, then 31 Mar again.
        (MONTHLY, "2026-02-15", "2026-02-28"),
        (MONTHLY, "2026-03-01", "2026-03-31"),
        (QUARTERLY, "2026-11-26", "2026-12-31"),
    ],
)
def test_auto_renewing_terms_roll_forward(fields: dict[str, Any], today: str, end: str) -> None:
    assert current_term_end(term(**fields), date.fromisoformat(today)) == date.fromisoformat(end)


def versioned() -> Agreement:
    return Agreement.model_validate(
        draft(
            targets=[
                target(effective_from="2026-01-01T00:00:00+01:00"),
                target(effective_from="2026-07-01T00:00:00Z", target=0.92),
                target(effective_from="2026-10-01T00:00:00Z", retired=True),
                target(target_id="csat", kpi="csat", target=0.85, effective_from=JAN),
            ]
        )
    )


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2025-12-31T22:59:59Z", []),
        ("2025-12-31T23:00:00Z", [("frt", 0.9)]),  # Berlin midnight
        ("2026-01-01T00:00:00Z", [("csat", 0.85), ("frt", 0.9)]),
        ("2026-06-30T23:59:59Z", [("csat", 0.85), ("frt", 0.9)]),
        ("2026-07-01T00:00:00Z", [("csat", 0.85), ("frt", 0.92)]),
        ("2026-10-01T00:00:00Z", [("csat", 0.85)]),  # retired
    ],
)
def test_targets_at_gives_the_version_in_effect(
    instant: str, expected: list[tuple[str, float]]
) -> None:
    got = targets_at(versioned(), datetime.fromisoformat(instant))
    assert [(t.target_id, t.target) for t in got] == expected


def inputs(*targets: dict[str, Any]) -> list[TargetInput]:
    return [TargetInput.model_validate(t) for t in targets]


def test_restating_targets_adds_versions_only_for_changes() -> None:
    first = apply_inputs([], inputs(target(), target(target_id="csat", kpi="csat")), NOW)
    later = NOW + timedelta(days=1)

    assert (
        apply_inputs(first, inputs(target(), target(target_id="csat", kpi="csat")), later) == first
    )
    changed = apply_inputs(first, inputs(target(target=0.95)), later)

    assert [(v.target_id, v.effective_from, v.target, v.retired) for v in changed] == [
        ("csat", NOW, 0.9, False),
        ("csat", later, 0.9, True),  # left out: retired from now on, history kept
        ("frt", NOW, 0.9, False),
        ("frt", later, 0.95, False),
    ]


def test_stored_versions_are_never_rewritten() -> None:
    stored = apply_inputs([], inputs(target(effective_from=JAN)), NOW)

    assert apply_inputs(stored, inputs(target(effective_from=JAN)), NOW) == stored
    with pytest.raises(TargetVersionConflict, match="already has a different version"):
        apply_inputs(stored, inputs(target(effective_from=JAN, target=0.8)), NOW)
    with pytest.raises(TargetVersionConflict, match="use a new target_id"):
        apply_inputs(stored, inputs(target(kpi="csat")), NOW)


def test_documents_are_canonical() -> None:
    holidays = ["2026-12-26", "2026-01-01", "2026-12-24"]
    calendar = {"weekly_hours": {"mon": [{"start": "08:00", "end": "24:00"}]}, "holidays": holidays}
    agreement = resolve(AgreementInput.model_validate(draft(calendar=calendar)), (), NOW)

    document = to_document(agreement)

    assert document["calendar"]["holidays"] == sorted(holidays)
    assert Agreement.model_validate(document) == agreement
