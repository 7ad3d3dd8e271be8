"""SLA status: `/v1/status` (wall board), `/v1/agreements/{id}/status` and its history.

Statuses come from the figures cache, judged at its last refresh, so the API, /metrics and
the status events agree; an agreement the cache has not judged yet is judged on request.
The history lists the changes stored when they were published (services/api/status_changes).
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.api.catalog import AgreementInfo
from services.api.deps import AgreementsDep, Runtime, RuntimeDep, SessionDep
from services.api.problems import problem_responses
from services.api.query_values import Instant
from services.api.routes.agreement_common import known_agreement
from services.api.security import ScopeDep
from services.api.sla_status import STATUS_RANK, AgreementSla
from services.api.status_schemas import (
    AgreementStatusOut,
    StatusChangeOut,
    StatusHistoryOut,
    StatusLineOut,
)
from services.core.http.problems import ProblemError
from services.core.storage.sla_status_repo import read_changes

router = APIRouter(prefix="/v1", tags=["sla"])
AgreementId = Annotated[str, Path(examples=["acme-helpdesk"])]
DEFAULT_HISTORY_SECONDS = 30 * 86_400.0


async def judged(runtime: Runtime, info: AgreementInfo) -> AgreementSla:
    cached = runtime.cache.statuses.get(info.agreement_id)
    return cached if cached is not None else await runtime.cache.evaluate(info)


@router.get("/status", summary="Every agreement's worst SLA status (wall board)")
async def status_board(
    runtime: RuntimeDep, agreements: AgreementsDep, client: ScopeDep
) -> list[StatusLineOut]:
    """One line per agreement (a viewer's client only), worst first: breached, at risk,
    no data, met, then agreements without targets; ties by agreement id."""
    infos = [i for i in list(agreements.values()) if client is None or i.client == client]
    lines = [StatusLineOut.of(info, await judged(runtime, info)) for info in infos]

    def rank(line: StatusLineOut) -> tuple[int, str]:
        worst = -1 if line.worst_status is None else STATUS_RANK[line.worst_status]
        return -worst, line.agreement_id

    return sorted(lines, key=rank)


@router.get(
    "/agreements/{agreement_id}/status",
    summary="SLA status of every target of an agreement",
    responses=problem_responses(404),
)
async def agreement_status(
    agreement_id: AgreementId, runtime: RuntimeDep, agreements: AgreementsDep
) -> AgreementStatusOut:
    """Every target version in effect now, judged against its KPI's figure over the target's
    window at the agreement's stream time (docs/sla.md)."""
    return AgreementStatusOut.of(await judged(runtime, known_agreement(agreements, agreement_id)))


@router.get(
    "/agreements/{agreement_id}/status/history",
    summary="Status changes of an agreement's targets",
    responses=problem_responses(404, 422),
)
async def status_history(
    agreement_id: AgreementId,
    agreements: AgreementsDep,
    session: SessionDep,
    from_: Annotated[
        Instant | None, Query(alias="from", description="Default: 30 days before `to`.")
    ] = None,
    to: Annotated[Instant | None, Query(description="Exclusive; default now.")] = None,
) -> StatusHistoryOut:
    """Changes with `from <= occurred_at < to`, oldest first: the events of the
    `{prefix}.sla.status.v1` topic, as stored when they were published."""
    known_agreement(agreements, agreement_id)
    until = time.time() if to is None else to.timestamp()
    since = until - DEFAULT_HISTORY_SECONDS if from_ is None else from_.timestamp()
    if since > until:
        raise ProblemError(422, "Invalid range", "from must not be after to", "invalid-range")
    rows = await read_changes(session, agreement_id, since, until)
    return StatusHistoryOut(
        agreement_id=agreement_id, changes=[StatusChangeOut.of(r) for r in rows]
    )
