"""Load agreements from a YAML/JSON file into PostgreSQL and publish them to the workers.

    python -m services.admin.sync_agreements --file deploy/agreements/demo.yaml

The GitOps and demo path: the file is the seed, PostgreSQL the source of truth afterwards.
All agreements of the file are written in one transaction (all or nothing); running it again
with the same file changes nothing (same versions, no new target versions). Agreements that
are stored but not in the file are left alone. Settings: DATABASE_URL, KAFKA_*.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from services.core.agreements.model import load_agreement_inputs
from services.core.messaging.agreement_topic import AgreementPublisher
from services.core.settings import DatabaseSettings, KafkaSettings
from services.core.storage.agreement_changes import put_agreement
from services.core.storage.agreements_repo import StoredAgreement
from services.core.storage.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)


async def sync_file(
    path: Path,
    database: DatabaseSettings,
    kafka: KafkaSettings,
    now: datetime | None = None,
) -> list[StoredAgreement]:
    """Upsert every agreement of `path`, then publish each; returns what is stored."""
    drafts = load_agreement_inputs(path)
    at = now or datetime.now(UTC)
    engine = make_engine(database)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            stored = [(await put_agreement(session, draft, at))[0] for draft in drafts]
    finally:
        await engine.dispose()
    # Published after the commit: a worker must never see an agreement the database lacks.
    publisher = AgreementPublisher(kafka)
    try:
        for s in stored:
            await publisher.publish(s.agreement.agreement_id, s.agreement, s.version)
    finally:
        await publisher.close()
    return stored


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Load agreements into PostgreSQL and Kafka.")
    parser.add_argument("--file", type=Path, required=True, help="YAML or JSON agreements file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
    stored = asyncio.run(sync_file(args.file, DatabaseSettings(), KafkaSettings()))
    for s in stored:
        log.info("agreement %s at version %d", s.agreement.agreement_id, s.version)


if __name__ == "__main__":
    main()
