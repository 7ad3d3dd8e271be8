"""Open tickets falling due: `/v1/agreements/{id}/tickets/at-risk`.

Reads the open-tickets view the metrics workers keep (docs/sla.md, "Open tickets"). "Now"
is the agreement's stream time, so the answer is consistent with the KPI figures even when
events arrive late or are replayed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.api.deps import AgreementsDep, SessionDep
from services.api.problems import problem_responses
from services.core.http.problems import ProblemError
from services.core.storage.open_tickets import OpenTicketRow, open_tickets_due
from services.core.storage.repository import stream_time

router = APIRouter(prefix="/v1", tags=["tickets"])
Reason = Literal["first_response", "resolution"]


class DeadlineOut(BaseModel):
    """One clock of one open ticket that falls due soon or already has."""

    ticket_id: str
    reason: Reason = Field(description="Which clock is due.")
    due_at: datetime
    overdue: bool = Field(description="The due instant is at or before the stream time.")
    priority: str
    status: str
    paused: bool = Field(
        description="Paused now. A paused clock does not run, so a paused ticket is listed "
        "only for a deadline it had already passed before the pause."
    )
    created_at: datetime


class AtRiskOut(BaseModel):
    agreement_id: str
    stream_time: datetime | None = Field(description="The agreement's stream time (now).")
    until: datetime | None = Field(description="Deadlines up to this instant are listed.")
    deadlines: list[DeadlineOut] = Field(description="Sorted by due instant, earliest first.")


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def deadlines(rows: list[OpenTicketRow], now: float, until: float) -> list[DeadlineOut]:
    """Every first-response and resolution deadline of `rows` up to `until`, earliest first."""
    found: list[tuple[float, str, DeadlineOut]] = []
    for row in rows:
        clocks: tuple[tuple[Reason, float | None], ...] = (
            ("first_response", row.first_response_due_at),
            ("resolution", row.resolution_due_at),
        )
        for reason, due in clocks:
            if due is None or due > until:
                continue
            out = DeadlineOut(
                ticket_id=row.ticket_id,
                reason=reason,
                due_at=_utc(due),
                overdue=due <= now,
                priority=row.priority,
                status=row.status,
                paused=row.paused,
                created_at=_utc(row.created_at),
            )
            found.append((due, row.ticket_id, out))
    return [out for _, _, out in sorted(found, key=lambda item: item[:2])]


@router.get(
    "/agreements/{agreement_id}/tickets/at-risk",
    summary="Open tickets due within the next minutes, or overdue",
    responses=problem_responses(404, 422),
)
async def at_risk_tickets(
    agreement_id: Annotated[str, Path(examples=["acme-helpdesk"])],
    agreements: AgreementsDep,
    session: SessionDep,
    within_minutes: Annotated[
        float, Query(ge=0, le=43_200, description="Look this far past the stream time.")
    ] = 60,
) -> AtRiskOut:
    """Deadlines of open tickets due before stream time + `within_minutes`, overdue ones
    included. Without data yet, `stream_time` is null and the list empty."""
    if agreement_id not in agreements:
        raise ProblemError(
            404, "Unknown agreement", f"no agreement {agreement_id!r}", "unknown-agreement"
        )
    now = await stream_time(session, agreement_id)
    if now is None:
        return AtRiskOut(agreement_id=agreement_id, stream_time=None, until=None, deadlines=[])
    until = now + within_minutes * 60
    rows = await open_tickets_due(session, agreement_id, until)
    return AtRiskOut(
        agreement_id=agreement_id,
        stream_time=_utc(now),
        until=_utc(until),
        deadlines=deadlines(rows, now, until),
    )
