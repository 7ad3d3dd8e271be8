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

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.db.models import EVENT_OUTCOMES, EventCount, EventCountMark

HOUR_SECONDS = 3600
CountKey = tuple[str, float, str]  # (agreement id, hour start in epoch seconds, outcome)

_ADD = text(
    "INSERT INTO event_counts (agreement_id, hour, outcome, count)"
    " SELECT :agreement_id, :hour, :outcome, :count"
    " WHERE EXISTS (SELECT 1 FROM agreements WHERE agreement_id = :agreement_id)"
    " ON CONFLICT (agreement_id, hour, outcome)"
    " DO UPDATE SET count = event_counts.count + EXCLUDED.count"
)


def hour_of(epoch_seconds: float) -> float:
    """The start of the UTC hour containing `epoch_seconds`."""
    return float(epoch_seconds // HOUR_SECONDS * HOUR_SECONDS)


async def add_counts(session: AsyncSession, counts: Mapping[CountKey, int]) -> None:
    """Add `counts`; those of agreements that do not exist are dropped."""
    params = [
        {
            "agreement_id": agreement_id,
            "hour": datetime.fromtimestamp(hour, tz=UTC),
            "outcome": outcome,
            "count": count,
        }
        for (agreement_id, hour, outcome), count in sorted(counts.items())
        if count
    ]
    if params:
        await session.execute(_ADD, params)


async def lock_marks(
    session: AsyncSession, topic: str, partitions: Iterable[int]
) -> dict[int, int]:
    """The marks of `partitions` of `topic` (-1 when none yet), locked until the transaction
    ends, so two workers briefly owning one partition add its outcomes one after the other."""
    wanted = sorted(set(partitions))
    if not wanted:
        return {}
    seed = insert(EventCountMark).on_conflict_do_nothing()
    await session.execute(
        seed, [{"topic": topic, "partition": p, "counted_to": -1} for p in wanted]
    )
    query = (
        select(EventCountMark.partition, EventCountMark.counted_to)
        .where(EventCountMark.topic == topic, EventCountMark.partition.in_(wanted))
        .order_by(EventCountMark.partition)
        .with_for_update()
    )
    return {int(p): int(o) for p, o in await session.execute(query)}


async def set_marks(session: AsyncSession, topic: str, marks: Mapping[int, int]) -> None:
    """Move the marks of `topic` forward (never back)."""
    for partition, offset in sorted(marks.items()):
        await session.execute(
            update(EventCountMark)
            .where(
                EventCountMark.topic == topic,
                EventCountMark.partition == partition,
                EventCountMark.counted_to < offset,
            )
            .values(counted_to=offset)
        )


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
