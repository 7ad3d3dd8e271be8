"""Bodies of the agreement routes, with the examples shown in the OpenAPI document.

Requests reuse the core models (`AgreementInput`, `ImprovementMeasure`), so the API accepts
exactly what the agreements file accepts; only the answers and the target patch live here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.core.agreements.model import Agreement, status_on, targets_at
from services.core.agreements.targets import TargetVersion, TargetWindow
from services.core.agreements.term import AgreementStatus
from services.core.storage.agreements_repo import StoredAgreement

AGREEMENT_EXAMPLE: dict[str, Any] = {
    "agreement_id": "acme-helpdesk",
    "name": "ACME retail helpdesk improvement",
    "client": "acme",
    "provider": "supportco",
    "parties": {
        "client": {
            "name": "ACME Retail GmbH",
            "contacts": [{"name": "Petra Schulz", "email": "petra@acme.example", "role": "owner"}],
        },
        "provider": {"name": "SupportCo Ltd", "contacts": []},
    },
    "term": {
        "effective_from": "2026-01-01",
        "effective_to": "2026-12-31",
        "auto_renew": True,
        "renewal_months": 12,
        "notice_days": 90,
    },
    "timezone": "Europe/Berlin",
    "frt_target_seconds": {"low": 28800, "normal": 14400, "high": 3600, "urgent": 900},
    "resolution_target_seconds": {"low": 432000, "normal": 172800, "high": 86400, "urgent": 14400},
    "clock_target_changes": [
        {
            "effective_from": "2026-07-01T00:00:00+02:00",
            "frt_target_seconds": {"low": 28800, "normal": 7200, "high": 3600, "urgent": 900},
        }
    ],
    "targets": [
        {
            "target_id": "frt-attainment",
            "kpi": "frt_attainment",
            "baseline": 0.78,
            "target": 0.9,
            "direction": "at_least",
            "window": "30d",
            "at_risk_band": 0.03,
            "effective_from": "2026-01-01T00:00:00+01:00",
        },
        {
            "target_id": "service-level",
            "kpi": "service_level",
            "baseline": 0.72,
            "target": 0.8,
            "direction": "at_least",
            "window": "24h",
            "at_risk_band": 0.05,
        },
    ],
    "measures": [
        {
            "measure_id": "kb-returns",
            "kind": "knowledge_base",
            "title": "Knowledge base for returns",
            "owner": "Dana Okafor",
            "planned_start": "2026-02-01",
            "planned_end": "2026-04-30",
            "status": "in_progress",
            "actual_start": "2026-02-09",
            "kpis": ["resolution_mean_seconds", "fcr_tickets_rate"],
        }
    ],
}
MEASURE_EXAMPLE = AGREEMENT_EXAMPLE["measures"][0]
PATCH_EXAMPLE: dict[str, Any] = {"effective_from": "2027-01-01T00:00:00+01:00", "target": 0.92}


class AgreementDetailOut(BaseModel):
    """The stored document (every target version) with what is derived from it now."""

    agreement: Agreement
    status: AgreementStatus = Field(description="From the term, today in the agreement's zone.")
    version: int = Field(description="Counts the changes of the stored document.")
    current_targets: list[TargetVersion] = Field(description="The versions in effect now.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, stored: StoredAgreement, now: datetime) -> AgreementDetailOut:
        return cls(
            agreement=stored.agreement,
            status=status_on(stored.agreement, now),
            version=stored.version,
            current_targets=targets_at(stored.agreement, now),
            created_at=stored.created_at,
            updated_at=stored.updated_at,
        )


class TargetPatch(BaseModel):
    """A new version of a target from `effective_from`; unset fields keep their values."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [PATCH_EXAMPLE]})

    effective_from: AwareDatetime
    target: float | None = None
    baseline: float | None = Field(default=None, description="null clears the baseline.")
    at_risk_band: Annotated[float, Field(ge=0)] | None = None
    window: TargetWindow | None = None
    retired: bool | None = Field(default=None, description="true ends the target.")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"effective_from"})


class TargetHistoryOut(BaseModel):
    """Every version of one target, oldest first, and the one in effect now."""

    agreement_id: str
    target_id: str
    current: TargetVersion | None = Field(description="null: retired or not yet effective.")
    versions: list[TargetVersion]

    @classmethod
    def of(cls, agreement: Agreement, target_id: str, now: datetime) -> TargetHistoryOut:
        current = [t for t in targets_at(agreement, now) if t.target_id == target_id]
        return cls(
            agreement_id=agreement.agreement_id,
            target_id=target_id,
            current=current[0] if current else None,
            versions=[t for t in agreement.targets if t.target_id == target_id],
        )
