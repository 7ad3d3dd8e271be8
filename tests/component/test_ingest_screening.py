"""Ingest refuses what the workers could not count: unknown agreements, out-of-range dates.

Per event, with a reason, in the same 422 problem as contract violations; the rest of the
batch is stored. Refusals of existing agreements are counted for the data-quality figures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.core.contract.events import parse_event
from services.core.storage.event_counts import hour_of
from tests.component.test_ingest_api import Harness, created, harness, post

__all__ = ["harness"]  # the fixture, imported for this module's tests


def at(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_events_of_an_agreement_nobody_stored_are_refused_per_event(
    harness: Harness,
) -> None:
    response = await post(harness, [created(1), created(2, agreement_id="nobody")])

    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == ["e-1"]
    assert body["rejected"] == [
        {"index": 1, "event_id": "e-2", "reason": "agreement_id: no agreement 'nobody'"}
    ]
    assert harness.publisher.batches == [[parse_event(created(1))]]


async def test_a_batch_of_only_unknown_agreements_publishes_nothing(harness: Harness) -> None:
    response = await post(harness, created(1, agreement_id="nobody"))

    assert response.status_code == 422
    assert harness.publisher.batches == []


@pytest.mark.parametrize(
    ("agreement", "occurred_at", "reason"),
    [
        ("acme", "9999-12-31T23:59:59Z", "after receipt"),
        ("old", "0001-01-01T00:00:00Z", "2000-01-01T00:00:00Z, the earliest the floor"),
        ("old", "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z, the earliest the floor"),
        ("acme", "0001-01-01T00:00:00Z", "2022-12-31T00:00:00Z, the earliest the agreement's"),
        ("acme", "2022-12-30T23:59:59Z", "2022-12-31T00:00:00Z, the earliest the agreement's"),
    ],
    ids=["year-9999", "year-1", "before-floor", "year-1-term", "long-before-term"],
)
async def test_occurred_at_outside_the_range_is_refused_with_its_reason(
    harness: Harness, agreement: str, occurred_at: str, reason: str
) -> None:
    bad = created(1, occurred_at=occurred_at, agreement_id=agreement)
    response = await post(harness, [bad, created(2)])

    assert response.status_code == 422
    body = response.json()
    assert body["accepted"] == ["e-2"]
    (rejected,) = body["rejected"]
    assert rejected["event_id"] == "e-1"
    assert rejected["reason"].startswith("occurred_at: ")
    assert reason in rejected["reason"]


async def test_the_edges_of_the_range_are_accepted(harness: Harness) -> None:
    # The term of "acme" starts 2024-01-01; 366 days before is 2022-12-31T00:00Z.
    soon = datetime.now(UTC) + timedelta(seconds=240)
    batch = [created(1, occurred_at="2022-12-31T00:00:00Z"), created(2, occurred_at=at(soon))]

    response = await post(harness, batch)

    assert response.status_code == 202, response.json()


async def test_a_year_ahead_is_refused(harness: Harness) -> None:
    ahead = datetime.now(UTC) + timedelta(days=365)
    response = await post(harness, created(1, occurred_at=at(ahead)))

    assert response.status_code == 422
    assert "after receipt" in response.json()["rejected"][0]["reason"]


async def test_refusals_of_existing_agreements_are_counted(harness: Harness) -> None:
    batch: list[Any] = [
        created(1),
        created(1, ticket_id="T-again"),  # duplicate event_id
        created(2, priority="asap"),  # breaks the contract
        created(3, occurred_at="9999-12-31T23:59:59Z"),  # out of range: invalid
        created(4, agreement_id="nobody"),  # no such agreement: not stored
    ]
    before = datetime.now(UTC)

    assert (await post(harness, batch)).status_code == 422

    hour = hour_of(before.timestamp())
    counts = {(a, o): n for (a, h, o), n in harness.agreements.counts.items() if h >= hour}
    assert counts == {("acme", "duplicate"): 1, ("acme", "invalid"): 2}


async def test_an_unreachable_agreement_store_is_503(harness: Harness) -> None:
    harness.agreements.broken = True

    response = await post(harness, created(1))

    assert response.status_code == 503
    assert response.json()["type"] == "urn:slawatch:problem:agreements-unavailable"
    assert response.headers["retry-after"]
    assert harness.publisher.batches == []
