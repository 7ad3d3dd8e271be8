"""API keys in PostgreSQL: the CLI creates, lists and revokes; the API checks them per request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.admin import api_keys as apikeys
from services.api.main import create_app
from services.api.seed import seed_missing
from services.core.auth import key_store as store
from services.core.auth.access import ApiKeyRecord, Role, hash_token, key_id_of
from services.core.settings import ApiSettings, DatabaseSettings, IngestSettings, KafkaSettings
from services.core.storage.session import make_sessionmaker
from services.ingest.app import create_app as ingest_app
from tests.auth import ADMIN, bearer
from tests.component.api_scenario import write_agreements
from tests.component.test_ingest_api import FakePublisher, created

pytest_plugins = ["tests.integration.db_fixtures"]


async def cli(database_url: str, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`python -m services.admin.api_keys ARGV`: exit status and standard output."""
    database = DatabaseSettings(database_url=database_url)
    status = await apikeys.run(apikeys.parse_args(argv), database)
    return status, capsys.readouterr().out


async def test_cli_creates_lists_and_revokes(
    migrated_database: str, db_session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    status, token = await cli(
        migrated_database, "create", "--role", "viewer", "--client", "acme", "--name", "portal",
        capsys=capsys,
    )  # fmt: skip
    token = token.strip()
    key_id = key_id_of(token)
    assert status == 0
    assert key_id is not None

    stored = await store.find_key(db_session, key_id)
    assert stored is not None
    assert (stored.role, stored.client, stored.name) == (Role.VIEWER, "acme", "portal")
    assert token not in stored.hash
    _, listing = await cli(migrated_database, "list", capsys=capsys)
    assert key_id in listing
    assert token not in listing

    assert (await cli(migrated_database, "revoke", key_id, capsys=capsys))[0] == 0
    assert (await cli(migrated_database, "revoke", key_id, capsys=capsys))[0] == 1
    db_session.expire_all()
    revoked = await store.find_key(db_session, key_id)
    assert revoked is not None
    assert revoked.revoked_at is not None


@pytest.mark.parametrize(
    ("role", "client", "connector"),
    [(Role.VIEWER, None, None), (Role.ADMIN, "acme", None), (Role.VIEWER, "acme", "zendesk")],
)
async def test_the_table_refuses_a_scope_that_does_not_fit_the_role(
    db_session: AsyncSession, role: Role, client: str | None, connector: str | None
) -> None:
    record = ApiKeyRecord(
        f"sw_bad{role}{client}"[:15], hash_token("x"), role, client, "bad", datetime.now(UTC),
        connector=connector,
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        await store.insert_key(db_session, record)
    await db_session.rollback()


async def test_cli_creates_a_scoped_publisher_key(
    migrated_database: str, db_session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    status, token = await cli(
        migrated_database, "create", "--role", "publisher", "--client", "acme",
        "--agreement", "acme-a", "--agreement", "acme-b", "--connector", "zendesk",
        "--name", "Acme Zendesk", capsys=capsys,
    )  # fmt: skip
    key_id = key_id_of(token.strip())
    assert status == 0
    assert key_id is not None

    stored = await store.find_key(db_session, key_id)
    assert stored is not None
    assert (stored.role, stored.client, stored.connector) == (Role.PUBLISHER, "acme", "zendesk")
    assert stored.agreements == {"acme-a", "acme-b"}
    _, listing = await cli(migrated_database, "list", capsys=capsys)
    assert f"{key_id}\tpublisher\tacme\tacme-a,acme-b\tzendesk\t" in listing


async def test_the_cli_refuses_a_publisher_key_without_a_client() -> None:
    with pytest.raises(SystemExit):
        apikeys.parse_args(["create", "--role", "publisher", "--name", "x"])


async def test_ingest_checks_a_stored_publisher_key_against_stored_agreements(
    tmp_path: Path,
    migrated_database: str,
    db_engine: AsyncEngine,
    agreement_id: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    own, other = agreement_id, agreement_id + "-other"  # clients "acme" and "initech"
    await seed_missing(
        make_sessionmaker(db_engine), write_agreements(tmp_path / "a.yaml", own, other)
    )
    _, token = await cli(
        migrated_database, "create", "--role", "publisher", "--client", "acme", "--name", "t",
        capsys=capsys,
    )  # fmt: skip
    publisher = FakePublisher()
    app = ingest_app(
        IngestSettings(),
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        publisher,
        security=ADMIN,
        database=DatabaseSettings(database_url=migrated_database),
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            for target, status in ((own, 202), (other, 403), (own + "-missing", 403)):
                # within the range of the seeded terms (2026-01-01)
                body = created(1, agreement_id=target, occurred_at="2026-03-02T09:00:00Z")
                response = await client.post("/v1/events", json=body, headers=bearer(token))
                assert response.status_code == status, response.text

    assert [e.agreement_id for batch in publisher.batches for e in batch] == [own]


async def test_the_api_checks_stored_keys_on_every_request(
    tmp_path: Path,
    migrated_database: str,
    kafka_bootstrap: str,
    agreement_id: str,
    topic_prefix: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    own, other = agreement_id, agreement_id + "-other"  # clients "acme" and "initech"
    _, token = await cli(
        migrated_database, "create", "--role", "viewer", "--client", "acme", "--name", "t",
        capsys=capsys,
    )  # fmt: skip
    headers = bearer(token.strip())
    app = create_app(
        ApiSettings(agreements_file=write_agreements(tmp_path / "a.yaml", own, other)),
        DatabaseSettings(database_url=migrated_database),
        KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix),
        refresh_interval_seconds=3600,
        security=ADMIN,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            listed = (await client.get("/v1/agreements", headers=headers)).json()
            assert own in {a["agreement_id"] for a in listed}
            assert other not in {a["agreement_id"] for a in listed}
            assert (await client.get(f"/v1/agreements/{own}", headers=headers)).is_success
            hidden = await client.get(f"/v1/agreements/{other}", headers=headers)
            assert hidden.status_code == 404

            key_id = key_id_of(token.strip())
            assert key_id is not None
            await cli(migrated_database, "revoke", key_id, capsys=capsys)

            assert (await client.get("/v1/agreements", headers=headers)).status_code == 401
