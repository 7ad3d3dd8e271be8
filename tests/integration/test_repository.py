"""The repository against the real PostgreSQL: upserts are idempotent, positions only move
forward, reads filter exactly."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.kpi.aggregate import Aggregate
from services.core.kpi.facts import Fact, FactKind
from services.core.kpi.figures import Figure
from services.core.kpi.windows import WindowResult
from services.core.storage import repository as repo
from services.core.storage.models import KpiBucket
from services.core.storage.repository import BucketRow, SnapshotRow

T0 = 1_791_964_800.0  # 2026-10-14T08:00:00Z

# The database fixtures (clean schema, engine, session, unique agreement id).
pytest_plugins = ["tests.integration.db_fixtures"]


def aggregate(*frt_seconds: float) -> dict[str, Any]:
    agg = Aggregate()
    for value in frt_seconds:
        agg.apply(Fact(FactKind.FIRST_RESPONSE, T0, value, ok=value < 3600))
    return agg.to_dict()


async def bucket_table(session: AsyncSession, agreement: str) -> list[tuple[Any, ...]]:
    result = await session.execute(
        select(KpiBucket.__table__)
        .where(KpiBucket.agreement_id == agreement)
        .order_by(
            KpiBucket.family, KpiBucket.partition, KpiBucket.granularity, KpiBucket.bucket_start
        )
    )
    return [tuple(row) for row in result]


async def test_upserting_the_same_rows_twice_leaves_the_table_unchanged(
    db_session: AsyncSession, agreement_id: str
) -> None:
    rows = [
        BucketRow(agreement_id, family, partition, "minute", T0 + 60 * i, aggregate(60.0 * i))
        for family in ("tickets", "calls")
        for partition in (0, 3)
        for i in range(3)
    ]
    await repo.upsert_buckets(db_session, rows)
    await db_session.commit()
    first = await bucket_table(db_session, agreement_id)
    await repo.upsert_buckets(db_session, rows)
    await db_session.commit()

    assert await bucket_table(db_session, agreement_id) == first
    assert len(first) == 12


async def test_upsert_replaces_changed_data_and_keeps_the_last_duplicate(
    db_session: AsyncSession, agreement_id: str
) -> None:
    row = BucketRow(agreement_id, "tickets", 0, "hour", T0, aggregate(10.0))
    await repo.upsert_buckets(db_session, [row])
    await db_session.commit()
    [before] = await bucket_table(db_session, agreement_id)

    newer = BucketRow(agreement_id, "tickets", 0, "hour", T0, aggregate(10.0, 20.0))
    newest = BucketRow(agreement_id, "tickets", 0, "hour", T0, aggregate(10.0, 20.0, 30.0))
    await repo.upsert_buckets(db_session, [newer, newest])  # one key twice in one statement
    await db_session.commit()
    [after] = await bucket_table(db_session, agreement_id)

    assert after[5] == newest.data
    assert after[6] > before[6]  # updated_at moved because the data changed


async def test_many_rows_are_written_in_one_call(
    db_session: AsyncSession, agreement_id: str
) -> None:
    rows = [BucketRow(agreement_id, "calls", 1, "minute", T0 + 60 * i, {}) for i in range(2500)]
    await repo.upsert_buckets(db_session, rows)
    await db_session.commit()

    assert len(await bucket_table(db_session, agreement_id)) == 2500


async def test_an_unknown_family_is_rejected(db_session: AsyncSession, agreement_id: str) -> None:
    with pytest.raises(IntegrityError, match="ck_kpi_buckets_family"):
        await repo.upsert_buckets(
            db_session, [BucketRow(agreement_id, "emails", 0, "hour", T0, {})]
        )
    await db_session.rollback()


async def test_stream_positions_never_move_back(
    db_session: AsyncSession, agreement_id: str
) -> None:
    assert await repo.stream_time(db_session, agreement_id) is None

    await repo.upsert_stream_positions(
        db_session, [(agreement_id, "tickets", 0, T0 + 100), (agreement_id, "tickets", 0, T0 + 5)]
    )
    await repo.upsert_stream_positions(db_session, [(agreement_id, "calls", 2, T0 + 50)])
    await db_session.commit()
    assert await repo.stream_time(db_session, agreement_id) == T0 + 100

    await repo.upsert_stream_positions(db_session, [(agreement_id, "tickets", 0, T0 + 10)])
    await db_session.commit()
    assert await repo.stream_time(db_session, agreement_id) == T0 + 100

    await repo.upsert_stream_positions(db_session, [(agreement_id, "calls", 2, T0 + 200.5)])
    await db_session.commit()
    assert await repo.stream_time(db_session, agreement_id) == T0 + 200.5


async def test_load_buckets_filters_agreement_granularity_and_inclusive_range(
    db_session: AsyncSession, agreement_id: str
) -> None:
    other = agreement_id + "-other"
    rows = [
        BucketRow(agreement_id, "tickets", 0, "hour", T0 - 3600, aggregate(1.0)),
        BucketRow(agreement_id, "tickets", 0, "hour", T0, aggregate(2.0)),
        BucketRow(agreement_id, "calls", 5, "hour", T0 + 3600, aggregate(3.0)),
        BucketRow(agreement_id, "surveys", 1, "hour", T0 + 7200, aggregate(4.0)),
        BucketRow(agreement_id, "tickets", 0, "minute", T0, aggregate(5.0)),
        BucketRow(other, "tickets", 0, "hour", T0, aggregate(6.0)),
    ]
    await repo.upsert_buckets(db_session, rows)
    await db_session.commit()

    loaded = await repo.load_buckets(db_session, agreement_id, "hour", T0, T0 + 3600)

    assert [(g, start, agg.to_dict()) for g, start, agg in loaded] == [
        ("hour", T0, aggregate(2.0)),
        ("hour", T0 + 3600, aggregate(3.0)),
    ]
    assert await repo.load_buckets(db_session, agreement_id, "month", 0, T0 * 2) == []


async def test_snapshots_upsert_and_read_back_in_a_half_open_range(
    db_session: AsyncSession, agreement_id: str
) -> None:
    def result(value: float | None, n: int) -> WindowResult:
        figures = {"csat": Figure(value, n), "frt_mean_seconds": Figure(None, 0)}
        return WindowResult("24h", T0 - 86_400, T0, figures)

    for taken_at in (T0, T0 + 60, T0 + 120):
        await repo.write_snapshots(db_session, agreement_id, [result(0.5, 2)], taken_at)
    await repo.write_snapshots(db_session, agreement_id, [result(0.75, 4)], T0 + 60)
    await db_session.commit()

    read = await repo.read_snapshots(db_session, agreement_id, "csat", "24h", T0, T0 + 120)

    assert read == [
        SnapshotRow(T0, 0.5, 2, T0 - 86_400, T0),
        SnapshotRow(T0 + 60, 0.75, 4, T0 - 86_400, T0),
    ]
    assert await repo.read_snapshots(
        db_session, agreement_id, "frt_mean_seconds", "24h", 0, T0 * 2
    ) == [SnapshotRow(t, None, 0, T0 - 86_400, T0) for t in (T0, T0 + 60, T0 + 120)]


async def test_ping_answers(db_session: AsyncSession) -> None:
    await repo.ping(db_session)
