"""Reads and idempotent writes of KPI buckets, stream positions and snapshots.

Workers may flush the same rows again after a restart or rebalance, so every write is an
upsert keyed by the primary key. Callers pass and receive epoch seconds; the conversion to
timezone-aware datetimes happens only here. Callers own the transaction (commit/rollback).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.windows import WindowResult
from services.core.storage.models import KpiBucket, KpiSnapshot, StreamPosition


def to_datetime(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def to_epoch(instant: datetime) -> float:
    return instant.timestamp()


@dataclass(frozen=True, slots=True)
class BucketRow:
    """One partition's partial aggregate of one bucket; `data` is `Aggregate.to_dict()`."""

    agreement_id: str
    family: str
    partition: int
    granularity: str
    bucket_start: float
    data: dict[str, Any]
    slice: str = ""  # "" for the totals, else "dimension=value" (docs/kpis.md, "Breakdowns")


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One stored figure of one window at `taken_at` (epoch seconds)."""

    taken_at: float
    value: float | None
    n: int
    window_start: float
    window_end: float


def _last_per_key(rows: Iterable[tuple[tuple[Any, ...], dict[str, Any]]]) -> list[dict[str, Any]]:
    # PostgreSQL rejects an INSERT .. ON CONFLICT that touches one row twice, and the rows of
    # one statement are sent together; keep the last value given for each key. Writing in key
    # order means two overlapping writers (e.g. during a takeover) cannot deadlock.
    by_key = dict(rows)
    return [by_key[key] for key in sorted(by_key)]


async def upsert_buckets(session: AsyncSession, rows: Iterable[BucketRow]) -> None:
    """Insert or replace bucket rows; rows whose data is unchanged are left untouched."""
    params = _last_per_key(
        (
            (r.agreement_id, r.family, r.partition, r.granularity, r.bucket_start, r.slice),
            {
                "agreement_id": r.agreement_id,
                "family": r.family,
                "partition": r.partition,
                "granularity": r.granularity,
                "bucket_start": to_datetime(r.bucket_start),
                "slice": r.slice,
                "data": r.data,
            },
        )
        for r in rows
    )
    if not params:
        return
    # The Core table, not the ORM entity: a plain executemany, which the worker's flush of
    # thousands of rows per second needs (the ORM bulk path costs several times the CPU).
    table = cast(Table, KpiBucket.__table__)
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key],
        set_={"data": stmt.excluded.data, "updated_at": func.now()},
        # Skipping identical rows keeps `updated_at` meaningful and avoids dead tuples.
        where=table.c.data.is_distinct_from(stmt.excluded.data),
    )
    await session.execute(stmt, params)


async def upsert_stream_positions(
    session: AsyncSession, rows: Iterable[tuple[str, str, int, float]]
) -> None:
    """Record (agreement, family, partition, latest event time); a position never moves back."""
    latest: dict[tuple[str, str, int], float] = {}
    for agreement_id, family, partition, at in rows:
        key = (agreement_id, family, partition)
        latest[key] = max(at, latest.get(key, at))
    params = [
        {"agreement_id": a, "family": f, "partition": p, "latest_event_at": to_datetime(t)}
        for (a, f, p), t in sorted(latest.items())
    ]
    if not params:
        return
    stmt = insert(StreamPosition)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in StreamPosition.__table__.primary_key],
        set_={
            # A worker that replays older events after a rebalance must not rewind time.
            "latest_event_at": func.greatest(
                StreamPosition.latest_event_at, stmt.excluded.latest_event_at
            ),
            "updated_at": func.now(),
        },
    )
    await session.execute(stmt, params)


async def load_buckets(
    session: AsyncSession, agreement_id: str, granularity: str, min_start: float, max_start: float
) -> list[tuple[str, float, Aggregate]]:
    """Every family's and partition's buckets with `min_start <= bucket_start <= max_start`."""
    result = await session.execute(
        select(KpiBucket.granularity, KpiBucket.bucket_start, KpiBucket.data)
        .where(
            KpiBucket.agreement_id == agreement_id,
            KpiBucket.granularity == granularity,
            KpiBucket.bucket_start.between(to_datetime(min_start), to_datetime(max_start)),
            KpiBucket.slice == "",
        )
        .order_by(KpiBucket.bucket_start)
    )
    return [(g, to_epoch(start), Aggregate.from_dict(data)) for g, start, data in result]


async def load_slice_buckets(
    session: AsyncSession,
    agreement_id: str,
    dimension: str,
    granularity: str,
    min_start: float,
    max_start: float,
) -> list[tuple[str, str, float, Aggregate]]:
    """(value, granularity, start, aggregate) of the slices of `dimension` in the range."""
    prefix = f"{dimension}="
    result = await session.execute(
        select(KpiBucket.slice, KpiBucket.granularity, KpiBucket.bucket_start, KpiBucket.data)
        .where(
            KpiBucket.agreement_id == agreement_id,
            KpiBucket.granularity == granularity,
            KpiBucket.bucket_start.between(to_datetime(min_start), to_datetime(max_start)),
            KpiBucket.slice.startswith(prefix, autoescape=True),
        )
        .order_by(KpiBucket.bucket_start)
    )
    return [
        (slice_[len(prefix) :], g, to_epoch(start), Aggregate.from_dict(data))
        for slice_, g, start, data in result
    ]


async def stream_time(session: AsyncSession, agreement_id: str) -> float | None:
    """The agreement's stream time: the latest event time over all its partitions."""
    latest = await session.scalar(
        select(func.max(StreamPosition.latest_event_at)).where(
            StreamPosition.agreement_id == agreement_id
        )
    )
    return None if latest is None else to_epoch(latest)


async def write_snapshots(
    session: AsyncSession, agreement_id: str, results: Sequence[WindowResult], taken_at: float
) -> None:
    """Store every figure of `results` as taken at `taken_at`; rewriting replaces the values."""
    params = _last_per_key(
        (
            (result.window, kpi),
            {
                "agreement_id": agreement_id,
                "window": result.window,
                "kpi": kpi,
                "taken_at": to_datetime(taken_at),
                "value": figure.value,
                "n": figure.n,
                "window_start": to_datetime(result.start),
                "window_end": to_datetime(result.end),
            },
        )
        for result in results
        for kpi, figure in result.figures.items()
    )
    if not params:
        return
    stmt = insert(KpiSnapshot)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.name for c in KpiSnapshot.__table__.primary_key],
        set_={name: stmt.excluded[name] for name in ("value", "n", "window_start", "window_end")},
    )
    await session.execute(stmt, params)


async def read_snapshots(
    session: AsyncSession, agreement_id: str, kpi: str, window: str, since: float, until: float
) -> list[SnapshotRow]:
    """Snapshots of one figure and window with `since <= taken_at < until`, oldest first."""
    result = await session.execute(
        select(
            KpiSnapshot.taken_at,
            KpiSnapshot.value,
            KpiSnapshot.n,
            KpiSnapshot.window_start,
            KpiSnapshot.window_end,
        )
        .where(
            KpiSnapshot.agreement_id == agreement_id,
            KpiSnapshot.kpi == kpi,
            KpiSnapshot.window == window,
            KpiSnapshot.taken_at >= to_datetime(since),
            KpiSnapshot.taken_at < to_datetime(until),
        )
        .order_by(KpiSnapshot.taken_at)
    )
    return [
        SnapshotRow(to_epoch(at), value, n, to_epoch(start), to_epoch(end))
        for at, value, n, start, end in result
    ]


async def delete_snapshots_before(session: AsyncSession, before: float) -> int:
    """Delete every snapshot taken before `before` (retention); returns the rows deleted."""
    result = await session.execute(
        delete(KpiSnapshot).where(KpiSnapshot.taken_at < to_datetime(before))
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def ping(session: AsyncSession) -> None:
    """Raise unless the database answers a trivial query."""
    await session.execute(text("SELECT 1"))
