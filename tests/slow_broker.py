"""A fake producer for the status event publisher: a broker that acknowledges slowly."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence


class SlowBroker:
    """Stores each message at once (the broker has it) and acknowledges it `ack_seconds`
    later; `fail_first` deliveries fail instead (the broker never stored those)."""

    def __init__(self, ack_seconds: float, fail_first: int = 0) -> None:
        self.ack_seconds = ack_seconds
        self.fail_first = fail_first
        self.stored: list[tuple[str, bytes, bytes, dict[str, bytes]]] = []

    async def enqueue(
        self, topic: str, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]
    ) -> asyncio.Future[object]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[object] = loop.create_future()
        if self.fail_first > 0:
            self.fail_first -= 1
            loop.call_later(self.ack_seconds, future.set_exception, OSError("refused"))
        else:
            self.stored.append((topic, key, value, dict(headers)))
            loop.call_later(self.ack_seconds, future.set_result, None)
        return future

    async def close(self) -> None:
        pass
