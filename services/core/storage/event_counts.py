"""`event_counts`: how many events of an agreement ended how, per UTC hour.

Ingest adds its refusals; workers add what they counted, found duplicate, late, invalid or
could not attribute to a known agreement (docs/metrics.md, "Data quality"). Counts are only
kept for agreements that exist: an id nobody stored would otherwise let any sender create
rows. A worker adds the outcomes of a partition's messages together with the partition's
mark (`event_count_marks`) in one transaction, so a message read again after a crash or a
takeover is never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.storage.models import EVENT_OUTCOMES, EventCount

HOUR_SECONDS = 3600
CountKey = tuple[str, float, str]  # (agreement id, hour start in epoch seconds, outcome)

# One statement per batch however many rows: the workers call these before acknowledging.
_ADD = text(
    "INSERT INTO event_counts (agreement_id, hour, outcome, count)"
    " SELECT v.a, v.h, v.o, v.c FROM unnest(CAST(:a AS text[]), CAST(:h AS timestamptz[]),"
    " CAST(:o AS text[]), CAST(:c AS bigint[])) AS v(a, h, o, c)"
    " WHERE EXISTS (SELECT 1 FROM agreements g WHERE g.agreement_id = v.a)"
    " ON CONFLICT (agreement_id, hour, outcome)"
    " DO UPDATE SET count = event_counts.count + EXCLUDED.count"
)
_SEED_MARKS = text(
    "INSERT INTO event_count_marks (topic, partition, counted_to)"
    " SELECT :topic, p, -1 FROM unnest(CAST(:parts AS int[])) AS p ON CONFLICT DO NOTHING"
)
_LOCK_MARKS = text(
    "SELECT partition, counted_to FROM event_count_marks"
    " WHERE topic = :topic AND partition = ANY(CAST(:parts AS int[]))"
    " ORDER BY partition FOR UPDATE"
)
_SET_MARKS = text(
    "UPDATE event_count_marks AS m SET counted_to = v.o"
    " FROM unnest(CAST(:parts AS int[]), CAST(:offsets AS bigint[])) AS v(p, o)"
    " WHERE m.topic = :topic AND m.partition = v.p AND m.counted_to < v.o"
)


def hour_of(epoch_seconds: float) -> float:
    """The start of the UTC hour containing `epoch_seconds`."""
    return float(epoch_seconds // HOUR_SECONDS * HOUR_SECONDS)


async def add_counts(session: AsyncSession, counts: Mapping[CountKey, int]) -> None:
    """Add `counts`; those of agreements that do not exist are dropped."""
    rows = sorted((key, n) for key, n in counts.items() if n)
    if rows:
        await session.execute(
            _ADD,
            {
                "a": [a for (a, _, _), _ in rows],
                "h": [datetime.fromtimestamp(h, tz=UTC) for (_, h, _), _ in rows],
                "o": [o for (_, _, o), _ in rows],
                "c": [n for _, n in rows],
            },
        )


async def lock_marks(
    session: AsyncSession, topic: str, partitions: Iterable[int]
) -> dict[int, int]:
    """The marks of `partitions` of `topic` (-1 when none yet), locked until the transaction
    ends, so two workers briefly owning one partition add its outcomes one after the other."""
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    await session.execute(_SEED_MARKS, {"topic": topic, "parts": wanted})
    found = await session.execute(_LOCK_MARKS, {"topic": topic, "parts": wanted})
    return {int(p): int(o) for p, o in found}


async def set_marks(session: AsyncSession, topic: str, marks: Mapping[int, int]) -> None:
    """Move the marks of `topic` forward (never back)."""
    if marks:
        parts = sorted(marks)
        offsets = [marks[p] for p in parts]
        await session.execute(_SET_MARKS, {"topic": topic, "parts": parts, "offsets": offsets})


async def read_counts(
    session: AsyncSession, agreement_id: str, since: float, until: float
) -> dict[str, int]:
    """Every outcome's count over the hours starting in [since, until) (0 when none)."""
    query = (
        select(EventCount.outcome, func.sum(EventCount.count))
        .where(
            EventCount.agreement_id == agreement_id,
            EventCount.hour >= datetime.fromtimestamp(since, tz=UTC),
            EventCount.hour < datetime.fromtimestamp(until, tz=UTC),
        )
        .group_by(EventCount.outcome)
    )
    found = {str(o): int(n) for o, n in await session.execute(query)}
    return {outcome: found.get(outcome, 0) for outcome in EVENT_OUTCOMES}


async def total_counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """All-time count per (agreement id, outcome): the Prometheus counters."""
    query = select(
        EventCount.agreement_id, EventCount.outcome, func.sum(EventCount.count)
    ).group_by(EventCount.agreement_id, EventCount.outcome)
    return {(str(a), str(o)): int(n) for a, o, n in await session.execute(query)}
