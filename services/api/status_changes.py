"""Status changes: stored once with their event, whatever the number of API replicas.

Every replica evaluates every target on each cache refresh. For each agreement, one
transaction tries to store each target's new status with a compare-and-set
(`sla_status_repo.claim_change`); the replica whose UPDATE wins records the change in the
history and its event in the outbox, then commits. The row stays locked until then, so
another replica's UPDATE waits and afterwards finds the status already stored: no second
event. Nothing here talks to the broker: the relay (services/api/status_relay.py) publishes
the outbox, so a slow broker can neither roll a change back nor have it published twice.
A target's first evaluation only stores its status: there is no previous status to change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.catalog import AgreementInfo
from services.api.sla_status import AgreementSla
from services.core.agreements.sla import Status
from services.core.messaging.sla_status import SlaStatusChanged
from services.core.storage import outbox_repo
from services.core.storage import sla_status_repo as repo


class StatusChangeRecorder:
    """`FiguresCache.on_statuses`: stores statuses, records their changes and events."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        on_recorded: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.on_recorded = on_recorded  # e.g. wake the relay: publish without waiting

    async def __call__(self, info: AgreementInfo, sla: AgreementSla) -> list[SlaStatusChanged]:
        """The events this call stored in the outbox (empty when nothing changed or another
        replica stored the changes)."""
        now = sla.evaluated_at
        recorded: list[SlaStatusChanged] = []
        async with self.sessions() as session, session.begin():
            # Targets in id order: two replicas lock rows in the same order, so never deadlock.
            for t in sorted(sla.targets, key=lambda t: t.version.target_id):
                status = t.result.status
                previous = await repo.claim_change(
                    session, info.agreement_id, t.version.target_id, status, sla.stream_time, now
                )
                if previous is None:
                    continue
                event = SlaStatusChanged(
                    occurred_at=datetime.fromtimestamp(now, UTC),
                    agreement_id=info.agreement_id,
                    client=info.client,
                    target_id=t.version.target_id,
                    kpi=t.version.kpi,
                    window=t.version.window,
                    previous_status=Status(previous),
                    status=status,
                    value=t.result.value,
                    target=t.result.target,
                )
                await repo.add_change(session, history_row(event, sla.stream_time))
                await outbox_repo.add(
                    session, event.event_id, event.agreement_id, event.model_dump_json(), now
                )
                recorded.append(event)
        if recorded and self.on_recorded is not None:
            self.on_recorded()
        return recorded


def history_row(event: SlaStatusChanged, stream_time: float | None) -> repo.StatusChangeRow:
    return repo.StatusChangeRow(
        event_id=event.event_id,
        agreement_id=event.agreement_id,
        target_id=event.target_id,
        kpi=event.kpi,
        window=event.window,
        previous_status=event.previous_status.value,
        status=event.status.value,
        value=event.value,
        target=event.target,
        stream_time=stream_time,
        occurred_at=event.occurred_at.timestamp(),
    )
