"""A Kafka producer that starts on first use, for writers whose start-up must not wait on Kafka.

The API publishes agreement documents and SLA status changes; a broker that is down should
delay those messages, not the API's start-up. Each send waits for the broker's
acknowledgement, within a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaProducer


class LazyProducer:
    """Starts (after `prepare`, e.g. creating its topic) on the first `send`."""

    def __init__(
        self,
        bootstrap_servers: str,
        prepare: Callable[[], Awaitable[None]],
        timeout_seconds: float = 10.0,
        *,
        idempotent: bool = False,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        # Idempotent: the producer's own retries (e.g. after an acknowledgement that came too
        # late) carry the same sequence number, and the broker drops the repeats.
        self.idempotent = idempotent
        self.prepare = prepare
        self.timeout_seconds = timeout_seconds
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                await self.prepare()
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
                    acks="all",
                    enable_idempotence=self.idempotent,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def send(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> None:
        """Send one message and wait for the acknowledgement (`value` None: a tombstone)."""
        producer = await self._started()
        await asyncio.wait_for(
            producer.send_and_wait(topic, key=key, value=value, headers=headers),
            self.timeout_seconds,
        )

    async def enqueue(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[object]:
        """Hand one message to the producer; the future resolves with the acknowledgement.

        No deadline of its own: the caller decides how long to wait, and abandoning the wait
        does not withdraw the message (an idempotent producer retries it until acknowledged).
        """
        producer = await self._started()
        future: asyncio.Future[object] = await producer.send(
            topic, key=key, value=value, headers=headers
        )
        return future

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
