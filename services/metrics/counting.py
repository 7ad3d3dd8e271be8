"""Per agreement and hour, how the worker's events ended: the data-quality counts.

Each agent notes the outcome of every message of a batch (`note`) and saves the batch's
outcomes to PostgreSQL (`save`) before Faust acknowledges it, in one transaction with the
partition's mark, the last offset counted (services/core/storage/event_counts.py). A message at
or below the mark has been counted: read again after a crash or a takeover, it is skipped,
whatever the engine says of it the second time. So every message is counted once, as its
first pass saw it.

If PostgreSQL does not answer within `SAVE_TIMEOUT_SECONDS`, the outcomes stay pending and
go with a later batch's (tried again after `RETRY_SECONDS`); the worker does not stall for
them. A worker that dies while PostgreSQL is unreachable loses the outcomes it had pending,
and beyond `MAX_PENDING` pending outcomes new ones are dropped (logged); the figures
themselves are not affected. Outcomes (docs/metrics.md, "Data quality"): `accepted`
(counted in the figures, also a replay the engine recognises), `duplicate`, `late`,
`invalid`, `unknown`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.storage.event_counts import CountKey, add_counts, hour_of, lock_marks, set_marks

log = logging.getLogger(__name__)
SAVE_TIMEOUT_SECONDS = 5.0
RETRY_SECONDS = 5.0
MAX_PENDING = 200_000
OUTCOME_OF = {
    "accepted": "accepted",
    "replayed": "accepted",
    "duplicate": "duplicate",
    "late": "late",
    "unknown_agreement": "unknown",
    "invalid": "invalid",
    # Outside the range the workers count (docs/kpis.md), or the engine failed on it: either
    # way the event was not counted because of what it carries.
    "out_of_range": "invalid",
    "unprocessable": "invalid",
}
Noted = tuple[int, str, float, str]  # (offset, agreement id, hour start, outcome)


def tally(
    pending: Mapping[tuple[str, int], Sequence[Noted]], marks: Mapping[tuple[str, int], int]
) -> tuple[Counter[CountKey], dict[tuple[str, int], int]]:
    """The counts of the messages above their partition's mark, and the new marks."""
    counts: Counter[CountKey] = Counter()
    new_marks: dict[tuple[str, int], int] = {}
    for tp, noted in pending.items():
        mark = marks.get(tp, -1)
        for offset, agreement_id, hour, outcome in noted:
            if offset > mark:
                counts[(agreement_id, hour, outcome)] += 1
        top = max((offset for offset, *_ in noted), default=mark)
        new_marks[tp] = max(mark, top)
    return counts, new_marks


def invalid_claim(value: bytes | None) -> str | None:
    """The `agreement_id` an invalid message claims, if it is JSON and names one."""
    try:
        data = json.loads(value or b"")
    except ValueError:
        return None
    agreement = data.get("agreement_id") if isinstance(data, dict) else None
    return agreement if isinstance(agreement, str) else None


@dataclass
class OutcomeCounts:
    """The outcomes noted since the last successful save, per (topic, partition)."""

    sessions: async_sessionmaker[AsyncSession] | None
    pending: dict[tuple[str, int], list[Noted]] = field(default_factory=dict)
    dropped: int = 0
    _size: int = 0
    _retry_at: float = 0.0

    def note(self, message: Any, event: Any, outcome: str) -> None:
        """Note how `message` ended; `event` is its parsed event, or None if invalid.

        Valid events count in the hour of their `occurred_at`, invalid ones (also those out of
        the counted range, or that the engine failed on) in the hour they were read. A message
        naming no agreement is not noted.
        """
        if self.sessions is None:
            return
        counted_as = OUTCOME_OF[outcome]
        read_at = float(message.timestamp or time.time())
        if event is None:
            agreement, at = invalid_claim(message.value), read_at
        elif counted_as == "invalid":
            # An out-of-range time would file it where no period's report looks.
            agreement, at = event.agreement_id, read_at
        else:
            agreement, at = event.agreement_id, event.occurred_at_epoch
        if agreement is None:
            return
        if self._size >= MAX_PENDING:
            self.dropped += 1
            return
        self._size += 1
        noted = (message.offset, agreement, hour_of(at), counted_as)
        self.pending.setdefault((message.topic, message.partition), []).append(noted)

    async def save(self) -> bool:
        """Add the pending outcomes to PostgreSQL; False (and kept pending) on failure."""
        if not self.pending or self.sessions is None:
            return True
        now = time.monotonic()
        if now < self._retry_at:
            return False
        if self.dropped:
            log.error("%d event outcomes dropped while the database was unreachable", self.dropped)
            self.dropped = 0
        # A copy: outcomes noted while we await the database stay for the next save.
        pending = {tp: list(noted) for tp, noted in self.pending.items()}
        try:
            async with asyncio.timeout(SAVE_TIMEOUT_SECONDS):
                await self._save(self.sessions, pending)
        except Exception:
            log.exception("saving event counts failed; retrying in %ss", RETRY_SECONDS)
            self._retry_at = now + RETRY_SECONDS
            return False
        for tp, noted in pending.items():
            self._size -= len(noted)
            rest = self.pending.get(tp, [])[len(noted) :]
            if rest:
                self.pending[tp] = rest
            else:
                self.pending.pop(tp, None)
        return True

    @staticmethod
    async def _save(
        sessions: async_sessionmaker[AsyncSession], pending: Mapping[tuple[str, int], list[Noted]]
    ) -> None:
        snapshot = pending
        async with sessions() as session, session.begin():
            marks: dict[tuple[str, int], int] = {}
            for topic in sorted({t for t, _ in snapshot}):
                locked = await lock_marks(session, topic, (p for t, p in snapshot if t == topic))
                marks.update({(topic, p): m for p, m in locked.items()})
            counts, new_marks = tally(snapshot, marks)
            await add_counts(session, counts)
            for topic in sorted({t for t, _ in new_marks}):
                await set_marks(
                    session, topic, {p: m for (t, p), m in new_marks.items() if t == topic}
                )
