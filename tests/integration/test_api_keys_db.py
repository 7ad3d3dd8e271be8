"""API keys in PostgreSQL: the CLI creates, lists and revokes; the API checks them per request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.main import create_app
from services.core import apikeys
from services.core.db import api_keys as store
from services.core.security import ApiKeyRecord, Role, hash_token, key_id_of
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from tests.auth import ADMIN, bearer
from tests.component.api_scenario import write_agreements

pytest_plugins = ["tests.integration.db_fixtures"]


async def cli(database_url: str, *argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`python -m services.core.apikeys ARGV`: exit status and standard output."""
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


@pytest.mark.parametrize(("role", "client"), [(Role.VIEWER, None), (Role.ADMIN, "acme")])
async def test_the_table_refuses_a_scope_that_does_not_fit_the_role(
    db_session: AsyncSession, role: Role, client: str | None
) -> None:
    record = ApiKeyRecord(
        f"sw_bad{role}{client}"[:15], hash_token("x"), role, client, "bad", datetime.now(UTC)
    )
    with pytest.raises(IntegrityError):
        await store.insert_key(db_session, record)
    await db_session.rollback()


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
