"""Response bodies of the SLA status routes, with the examples shown in the OpenAPI document."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.api.catalog import AgreementInfo
from services.api.sla_status import AgreementSla, TargetEvaluation
from services.core.agreements.sla import Status
from services.core.agreements.targets import Direction
from services.core.storage.sla_status_repo import StatusChangeRow


def _utc(epoch_seconds: float | None) -> datetime | None:
    return None if epoch_seconds is None else datetime.fromtimestamp(epoch_seconds, UTC)


def _examples(*examples: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


TARGET_EXAMPLE = {
    "target_id": "frt-attainment",
    "kpi": "frt_attainment",
    "window": "30d",
    "status": "at_risk",
    "value": 0.915,
    "n": 1830,
    "target": 0.9,
    "baseline": 0.78,
    "direction": "at_least",
    "at_risk_band": 0.03,
    "progress_percent": 112.5,
    "error_budget_remaining": 0.15,
    "burn_rate": 1.4,
    "evaluated_at": "2026-10-14T09:41:10Z",
    "stream_time": "2026-10-14T09:41:07Z",
}


class TargetStatusOut(BaseModel):
    """One target version in effect and where its figure stands (docs/sla.md)."""

    model_config = _examples(TARGET_EXAMPLE)

    target_id: str
    kpi: str = Field(description="The figure judged (docs/kpis.md).")
    window: str = Field(description="The target's evaluation window.")
    status: Status
    value: float | None = Field(description="The figure over the window; null when n is 0.")
    n: int
    target: float
    baseline: float | None
    direction: Direction
    at_risk_band: float
    progress_percent: float | None = Field(description="0 at the baseline, 100 at the target.")
    error_budget_remaining: float | None = Field(description="Attainment-style targets only.")
    burn_rate: float | None = Field(description="Over the 1h window; attainment-style only.")
    evaluated_at: datetime = Field(description="When the figures cache judged it (UTC).")
    stream_time: datetime | None = Field(description="The agreement's stream time it used.")

    @classmethod
    def of(cls, t: TargetEvaluation, sla: AgreementSla) -> TargetStatusOut:
        v, r = t.version, t.result
        return cls(
            target_id=v.target_id,
            kpi=v.kpi,
            window=v.window,
            status=r.status,
            value=r.value,
            n=r.n,
            target=r.target,
            baseline=r.baseline,
            direction=v.direction,
            at_risk_band=v.at_risk_band,
            progress_percent=r.progress_percent,
            error_budget_remaining=r.error_budget_remaining,
            burn_rate=r.burn_rate,
            evaluated_at=datetime.fromtimestamp(sla.evaluated_at, UTC),
            stream_time=_utc(sla.stream_time),
        )


class AgreementStatusOut(BaseModel):
    model_config = _examples({"agreement_id": "acme-helpdesk", "targets": [TARGET_EXAMPLE]})

    agreement_id: str
    targets: list[TargetStatusOut] = Field(description="Every target in effect, by target id.")

    @classmethod
    def of(cls, sla: AgreementSla) -> AgreementStatusOut:
        targets = [TargetStatusOut.of(t, sla) for t in sla.targets]
        return cls(agreement_id=sla.agreement_id, targets=targets)


class StatusLineOut(BaseModel):
    """One agreement on the wall board."""

    model_config = _examples(
        {
            "agreement_id": "acme-helpdesk",
            "name": "ACME retail helpdesk improvement",
            "client": "acme",
            "worst_status": "breached",
            "counts": {"met": 3, "at_risk": 1, "breached": 1, "no_data": 1},
            "stream_time": "2026-10-14T09:41:07Z",
        }
    )

    agreement_id: str
    name: str
    client: str
    worst_status: Status | None = Field(description="Null when no target is in effect.")
    counts: dict[Status, int] = Field(description="Number of targets per status.")
    stream_time: datetime | None

    @classmethod
    def of(cls, info: AgreementInfo, sla: AgreementSla) -> StatusLineOut:
        return cls(
            agreement_id=info.agreement_id,
            name=info.name,
            client=info.client,
            worst_status=sla.worst(),
            counts=sla.counts(),
            stream_time=_utc(sla.stream_time),
        )


class StatusChangeOut(BaseModel):
    """A change as published on the status topic."""

    model_config = _examples(
        {
            "event_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
            "occurred_at": "2026-10-14T09:41:10Z",
            "target_id": "frt-attainment",
            "kpi": "frt_attainment",
            "window": "30d",
            "previous_status": "at_risk",
            "status": "breached",
            "value": 0.893,
            "target": 0.9,
            "stream_time": "2026-10-14T09:41:07Z",
        }
    )

    event_id: str
    occurred_at: datetime
    target_id: str
    kpi: str
    window: str
    previous_status: Status
    status: Status
    value: float | None
    target: float
    stream_time: datetime | None

    @classmethod
    def of(cls, row: StatusChangeRow) -> StatusChangeOut:
        instants = {"occurred_at": _utc(row.occurred_at), "stream_time": _utc(row.stream_time)}
        return cls.model_validate(asdict(row) | instants)


class StatusHistoryOut(BaseModel):
    agreement_id: str
    changes: list[StatusChangeOut] = Field(description="Oldest first.")
