"""The sync command loads a file into PostgreSQL and the topic; running it again is a no-op."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from services.admin.sync_agreements import sync_file
from services.core.contract.topics import agreements_topic
from services.core.settings import DatabaseSettings, KafkaSettings
from services.core.storage.agreements_repo import get_agreement
from tests.integration.agreements_support import read_topic
from tests.integration.stack import write_agreements

pytest_plugins = ["tests.integration.db_fixtures"]


async def test_sync_is_idempotent_and_publishes_every_agreement(
    tmp_path: Path,
    topic_prefix: str,
    kafka_bootstrap: str,
    migrated_database: str,
    db_session: AsyncSession,
) -> None:
    path, mapping = write_agreements(tmp_path, topic_prefix)
    database = DatabaseSettings(database_url=migrated_database)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)

    first = await sync_file(path, database, kafka)
    second = await sync_file(path, database, kafka)

    assert [s.agreement.agreement_id for s in first] == list(mapping.values())
    assert [s.version for s in second] == [1, 1, 1]
    assert [s.agreement for s in second] == [s.agreement for s in first]
    stored = await get_agreement(db_session, mapping["globex-hotline"])
    assert stored is not None
    assert [m.measure_id for m in stored.agreement.measures] == ["callback-queue", "ivr-upgrade"]
    messages = await read_topic(kafka_bootstrap, agreements_topic(topic_prefix))
    assert [key for key, _, _ in messages] == list(mapping.values()) * 2
    assert {h["version"] for _, _, h in messages} == {"1"}
