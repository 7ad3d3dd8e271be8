"""Agreements in the real PostgreSQL: round trip, idempotent writes, kept history, measures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.model import (
    AgreementInput,
    ImprovementMeasure,
    load_agreement_inputs,
    resolve,
)
from services.core.agreements.targets import TargetVersionConflict
from services.core.storage import agreement_changes as changes
from services.core.storage import agreements_repo as repo
from services.core.storage.models import AgreementTargetRow, ImprovementMeasureRow

pytest_plugins = ["tests.integration.db_fixtures"]

DEMO = Path(__file__).parents[2] / "deploy/agreements/demo.yaml"
NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


def demo(agreement_id: str) -> AgreementInput:
    acme = load_agreement_inputs(DEMO)[0]
    return AgreementInput.model_validate({**acme.model_dump(), "agreement_id": agreement_id})


async def count(session: AsyncSession, table: Any, agreement_id: str) -> int:
    query = select(func.count()).select_from(table).where(table.agreement_id == agreement_id)
    return int(await session.scalar(query) or 0)


async def test_round_trip_and_idempotent_rewrite(
    db_session: AsyncSession, agreement_id: str
) -> None:
    async with db_session.begin():
        stored, created = await changes.put_agreement(db_session, demo(agreement_id), NOW)
    async with db_session.begin():
        again, created_again = await changes.put_agreement(db_session, demo(agreement_id), NOW)

    assert (created, created_again) == (True, False)
    assert stored.version == again.version == 1
    assert again.agreement == stored.agreement
    assert stored.agreement == resolve(demo(agreement_id), (), NOW)
    got = await repo.get_agreement(db_session, agreement_id)
    assert got is not None
    assert got.agreement == stored.agreement
    assert await count(db_session, AgreementTargetRow, agreement_id) == 6
    assert await count(db_session, ImprovementMeasureRow, agreement_id) == 3
    listed = await repo.list_agreements(db_session, client="acme")
    assert agreement_id in {s.agreement.agreement_id for s in listed}


async def test_history_survives_a_document_without_it(
    db_session: AsyncSession, agreement_id: str
) -> None:
    async with db_session.begin():
        first, _ = await changes.put_agreement(db_session, demo(agreement_id), NOW)
    # A later document with no targets: they are retired, and every old version is kept.
    bare = AgreementInput.model_validate({**demo(agreement_id).model_dump(), "targets": []})
    later = NOW + timedelta(hours=1)
    async with db_session.begin():
        second, _ = await changes.put_agreement(db_session, bare, later)

    assert second.version == 2
    assert set(first.agreement.targets) <= set(second.agreement.targets)
    assert all(t.retired for t in second.agreement.targets if t.effective_from == later)
    assert await count(db_session, AgreementTargetRow, agreement_id) == 12


async def test_target_versions_and_measures_change_through_the_document(
    db_session: AsyncSession, agreement_id: str
) -> None:
    change_at = datetime(2027, 1, 1, tzinfo=UTC)
    async with db_session.begin():
        await changes.put_agreement(db_session, demo(agreement_id), NOW)
    async with db_session.begin():
        stored = await changes.add_target_version(
            db_session, agreement_id, "csat", change_at, {"target": 0.9}
        )
    async with db_session.begin():
        with pytest.raises(TargetVersionConflict):
            await changes.add_target_version(
                db_session, agreement_id, "csat", change_at, {"target": 0.95}
            )
    measure = ImprovementMeasure(measure_id="new-one", kind="other", title="T", owner="O")
    async with db_session.begin():
        with_measure, created = await changes.put_measure(db_session, agreement_id, measure)

    csat = [(t.effective_from, t.target) for t in stored.agreement.targets if t.target_id == "csat"]
    assert csat[1] == (change_at, 0.9)
    assert csat[0][1] == 0.85
    assert created
    assert with_measure.version == 3
    assert measure in with_measure.agreement.measures
    assert await count(db_session, ImprovementMeasureRow, agreement_id) == 4


async def test_delete_removes_history_and_measures(
    db_session: AsyncSession, agreement_id: str
) -> None:
    async with db_session.begin():
        await changes.put_agreement(db_session, demo(agreement_id), NOW)
    async with db_session.begin():
        assert await repo.delete_agreement(db_session, agreement_id)
        assert not await repo.delete_agreement(db_session, agreement_id)

    assert await repo.get_agreement(db_session, agreement_id) is None
    assert await count(db_session, AgreementTargetRow, agreement_id) == 0
    assert await count(db_session, ImprovementMeasureRow, agreement_id) == 0
