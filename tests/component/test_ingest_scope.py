"""Publisher keys are scoped: every kind of key against every kind of agreement.

Like the viewer test of the API walks every route, this walks every pair of key and agreement
and states the expected answer in a table of its own (not by calling the rule it checks):
an event outside the key's scope is refused with its reason and never published. A scoped
key gets the same answer for an agreement that does not exist as for another client's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import pytest

from services.core.auth.access import ApiKeyRecord, Role, issue_key
from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.app import create_app
from tests.auth import ADMIN, ADMIN_TOKEN, MemoryKeys, bearer
from tests.component.test_ingest_api import FakeAgreements, FakePublisher, created

OWNERS = {"acme-a": "acme", "acme-b": "acme", "ini-a": "initech"}
AGREEMENTS = [*OWNERS, "nowhere"]  # "nowhere" exists for no client
SOURCE = "zendesk"

# Each key, and the agreements it may write (for events with `source` "zendesk").
KEYS: dict[str, frozenset[str]] = {
    "admin": frozenset(OWNERS),  # not limited: "nowhere" is refused as unknown (422)
    "bootstrap": frozenset(OWNERS),
    "publisher-acme": frozenset({"acme-a", "acme-b"}),
    "publisher-acme-a": frozenset({"acme-a"}),
    "publisher-acme-connector": frozenset({"acme-a", "acme-b"}),
    "publisher-acme-other-connector": frozenset(),
    "publisher-initech": frozenset({"ini-a"}),
    "publisher-unscoped-legacy": frozenset(),  # stored before keys had a client
}


def _legacy(keys: MemoryKeys) -> str:
    token, record = issue_key(Role.PUBLISHER, "acme", "old", datetime.now(UTC))
    keys.records[record.key_id] = replace(record, client=None)
    return token


def _tokens(keys: MemoryKeys) -> dict[str, str]:
    publisher = Role.PUBLISHER
    return {
        "admin": keys.issue(Role.ADMIN),
        "bootstrap": ADMIN_TOKEN,
        "publisher-acme": keys.issue(publisher, "acme"),
        "publisher-acme-a": keys.issue(publisher, "acme", agreements=frozenset({"acme-a"})),
        "publisher-acme-connector": keys.issue(publisher, "acme", connector=SOURCE),
        "publisher-acme-other-connector": keys.issue(publisher, "acme", connector="freshdesk"),
        "publisher-initech": keys.issue(publisher, "initech"),
        "publisher-unscoped-legacy": _legacy(keys),
    }


class Ingest:
    def __init__(
        self,
        client: httpx.AsyncClient,
        publisher: FakePublisher,
        keys: MemoryKeys,
        agreements: FakeAgreements,
    ):
        self.client, self.publisher, self.agreements = client, publisher, agreements
        self.tokens = _tokens(keys)

    async def post(self, key: str, body: object) -> httpx.Response:
        return await self.client.post("/v1/events", json=body, headers=bearer(self.tokens[key]))


@pytest.fixture
async def ingest() -> AsyncIterator[Ingest]:
    publisher, keys, agreements = FakePublisher(), MemoryKeys(), FakeAgreements.of(OWNERS)
    app = create_app(
        IngestSettings(),
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        publisher,
        security=ADMIN,
        lookup_key=keys.lookup,
        lookup_agreements=agreements.lookup,
        record_counts=agreements.record,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            yield Ingest(client, publisher, keys, agreements)


PAIRS = [(key, agreement) for key in KEYS for agreement in AGREEMENTS]


@pytest.mark.parametrize(("key", "agreement"), PAIRS, ids=[f"{k}->{a}" for k, a in PAIRS])
async def test_every_key_publishes_exactly_its_scope(
    ingest: Ingest, key: str, agreement: str
) -> None:
    event = created(1, agreement_id=agreement, source=SOURCE)

    response = await ingest.post(key, event)

    if agreement in KEYS[key]:
        assert response.status_code == 202, response.text
        assert ingest.publisher.published_ids == ["e-1"]
    elif key in ("admin", "bootstrap"):  # not limited: the agreement does not exist
        assert response.status_code == 422, response.text
        assert response.json()["rejected"][0]["reason"] == "agreement_id: no agreement 'nowhere'"
        assert ingest.publisher.batches == []
    else:
        assert response.status_code == 403, response.text
        problem = response.json()
        assert problem["type"] == "urn:slawatch:problem:out-of-scope"
        assert problem["accepted"] == []
        [rejection] = problem["rejected"]
        assert (rejection["index"], rejection["event_id"]) == (0, "e-1")
        assert rejection["reason"]
        assert "no agreement" not in rejection["reason"]
        assert ingest.publisher.batches == []
    assert len(ingest.agreements.lookups) == 1  # one lookup for existence, scope and range


async def test_a_mixed_batch_publishes_only_the_events_in_scope(ingest: Ingest) -> None:
    batch = [
        created(1, agreement_id="acme-a"),
        created(2, agreement_id="ini-a"),  # another client's
        {"event_id": "bad"},  # invalid
        created(4, agreement_id="acme-b"),
        created(5, agreement_id="nowhere"),
    ]

    response = await ingest.post("publisher-acme", batch)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["accepted"] == ["e-1", "e-4"]
    assert [r["index"] for r in problem["rejected"]] == [1, 2, 4]
    assert "initech" not in response.text  # nothing said about whose agreement it is
    assert problem["rejected"][0]["reason"] == problem["rejected"][2]["reason"].replace(
        "nowhere", "ini-a"
    )
    assert ingest.publisher.published_ids == ["e-1", "e-4"]


async def test_scope_comes_before_the_time_range_and_refusals_count_only_in_scope(
    ingest: Ingest,
) -> None:
    far = "9999-12-31T23:59:59Z"
    batch = [
        created(1, agreement_id="acme-a", priority="asap"),  # breaks the contract: counted
        created(2, agreement_id="acme-a", occurred_at=far),  # out of range: counted
        created(3, agreement_id="ini-a", priority="asap"),  # another client's: not counted
        created(4, agreement_id="ini-a", occurred_at=far),  # out of scope, whatever its date
        created(5, agreement_id="nowhere", occurred_at=far),
        created(6, agreement_id="acme-b"),
    ]

    response = await ingest.post("publisher-acme", batch)

    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["accepted"] == ["e-6"]
    reasons = [r["reason"] for r in problem["rejected"]]
    assert reasons[1].startswith("occurred_at: ")
    assert reasons[3] == reasons[4].replace("nowhere", "ini-a")  # no leak of whose or when
    assert "initech" not in response.text
    counts = {(a, outcome): n for (a, _, outcome), n in ingest.agreements.counts.items()}
    assert counts == {("acme-a", "invalid"): 2}  # nothing written into initech's figures
    assert ingest.agreements.lookups == [{"acme-a", "ini-a", "nowhere", "acme-b"}]


async def test_a_connector_key_needs_its_source_on_every_event(ingest: Ingest) -> None:
    response = await ingest.post("publisher-acme-connector", created(1, agreement_id="acme-a"))

    assert response.status_code == 403
    assert SOURCE in response.json()["rejected"][0]["reason"]
    assert ingest.publisher.batches == []


async def test_an_unreadable_agreement_store_is_503_and_publishes_nothing() -> None:
    broken = FakeAgreements(broken=True)
    publisher, keys = FakePublisher(), MemoryKeys()
    token = keys.issue(Role.PUBLISHER, "acme")
    app = create_app(
        IngestSettings(),
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        publisher,
        security=ADMIN,
        lookup_key=keys.lookup,
        lookup_agreements=broken.lookup,
        record_counts=broken.record,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            body = created(1, agreement_id="acme-a")
            response = await client.post("/v1/events", json=body, headers=bearer(token))

    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert publisher.batches == []


def test_records_keep_their_scope() -> None:
    _, record = issue_key(
        Role.PUBLISHER, "acme", "n", datetime.now(UTC), agreements=frozenset({"a"}), connector="z"
    )
    assert isinstance(record, ApiKeyRecord)
    assert (record.client, record.agreements, record.connector) == ("acme", {"a"}, "z")
