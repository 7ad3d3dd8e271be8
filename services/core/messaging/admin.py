"""Create the Kafka topics a service needs before it produces or consumes.

Services call `ensure_topics` at start-up instead of relying on broker auto-creation, so the
partition count (which fixes how keys spread) and compaction are always what we chose.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError, for_code

from services.core.contract.topics import Family, deadletter_topic, topic_name

log = logging.getLogger(__name__)

_RETRY_SECONDS = 0.5


def event_topics(prefix: str) -> list[str]:
    """Every topic the event pipeline uses: one per family plus the dead-letter topic."""
    return [*(topic_name(prefix, family) for family in Family), deadletter_topic(prefix)]


async def ensure_topics(
    bootstrap: str,
    names: Sequence[str],
    partitions: int,
    replication_factor: int,
    compacted: Sequence[str] = (),
    *,
    timeout_seconds: float = 30.0,
) -> None:
    """Create the topics in `names` that do not exist yet; existing ones are left as they are.

    `compacted` names get `cleanup.policy=compact`. Connection failures are retried until
    `timeout_seconds` pass, because services often start together with the broker.
    """
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            await _create_missing(bootstrap, names, partitions, replication_factor, compacted)
            return
        except KafkaError as exc:
            retriable = isinstance(exc, KafkaConnectionError) or exc.retriable
            if not retriable or time.monotonic() >= deadline:
                raise
            log.info("broker at %s not reachable yet (%s); retrying", bootstrap, exc)
            await asyncio.sleep(_RETRY_SECONDS)


async def _create_missing(
    bootstrap: str,
    names: Sequence[str],
    partitions: int,
    replication_factor: int,
    compacted: Sequence[str],
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [name for name in dict.fromkeys(names) if name not in existing]
        if not missing:
            return
        new_topics = [
            NewTopic(
                name,
                partitions,
                replication_factor,
                topic_configs={"cleanup.policy": "compact"} if name in compacted else {},
            )
            for name in missing
        ]
        response = await admin.create_topics(new_topics)
        # The broker answers per topic instead of failing the request; another service may
        # have created the same topic between our listing and our request, which is fine.
        for topic, code, *message in response.topic_errors:
            error = for_code(code)
            if code and error is not TopicAlreadyExistsError:
                raise error(f"cannot create topic {topic}: {message[0] if message else ''}")
        log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()
