"""The full agreement: parties, term, measurement parameters, KPI targets, improvement measures.

An `Agreement` *is* a `MeasurementParams` (it extends that model), so the fields the KPI
engine reads keep one definition; `measurement_params()` gives the engine's part alone. Two
shapes exist: `AgreementInput` is what people write (a file, a PUT body: targets may omit
`effective_from`), `Agreement` is what is stored and published (every target version dated).
Term rules: services/core/agreements/term.py; targets: services/core/agreements/targets.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.core.agreements.calendars import TOPIC_KEY_PREFIX
from services.core.agreements.targets import (
    TargetInput,
    TargetVersion,
    apply_inputs,
    check_versions,
    versions_at,
)
from services.core.agreements.term import AgreementStatus, Term, agreement_status, today_in
from services.core.contract.events import Identifier
from services.core.contract.text import STORABLE
from services.core.kpi.figures import FIGURE_NAMES
from services.core.kpi.params import MeasurementParams

Text = Annotated[str, Field(min_length=1, max_length=500), STORABLE]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]
MeasureKind = Literal["process_change", "platform_upgrade", "training", "knowledge_base", "other"]
MeasureStatus = Literal["planned", "in_progress", "done", "cancelled"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Contact(_Frozen):
    name: Text
    email: Email
    role: Text


class Party(_Frozen):
    name: Text
    contacts: tuple[Contact, ...] = ()


class Parties(_Frozen):
    client: Party
    provider: Party


def _ordered(first: date | None, last: date | None, what: str) -> None:
    if first is not None and last is not None and last < first:
        raise ValueError(f"{what}: end {last} is before start {first}")


class ActionItemRef(_Frozen):
    """The review meeting action item a measure came from (docs/agreements.md, "Quarterly review
    meeting record")."""

    quarter: Annotated[str, Field(pattern=r"^\d{4}-Q[1-4]$", examples=["2026-Q4"])]
    item_id: Identifier


class ImprovementMeasure(_Frozen):
    """Something the provider does to reach the targets, tracked with its plan and progress."""

    measure_id: Identifier
    kind: MeasureKind
    title: Text
    owner: Text
    planned_start: date | None = None
    planned_end: date | None = None
    actual_start: date | None = None
    actual_end: date | None = None
    status: MeasureStatus = "planned"
    notes: Annotated[str, Field(max_length=5000), STORABLE] = ""
    kpis: tuple[str, ...] = Field(
        default=(),
        max_length=len(FIGURE_NAMES),
        description="Figures of docs/kpis.md the measure should move; their before/after "
        "comparison: GET .../measures/{measure_id}/effect.",
    )
    action_item: ActionItemRef | None = Field(
        default=None, description="Set when the measure was made from a review action item."
    )

    @field_validator("kpis")
    @classmethod
    def _known_kpis(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(FIGURE_NAMES))
        if unknown:
            raise ValueError(f"unknown kpis {unknown}; known: {', '.join(FIGURE_NAMES)}")
        return tuple(dict.fromkeys(value))  # order kept, repeats dropped

    @model_validator(mode="after")
    def _dates(self) -> ImprovementMeasure:
        _ordered(self.planned_start, self.planned_end, f"measure {self.measure_id!r} plan")
        _ordered(self.actual_start, self.actual_end, f"measure {self.measure_id!r} actuals")
        if self.actual_end is not None and self.actual_start is None:
            raise ValueError(f"measure {self.measure_id!r}: actual_end needs actual_start")
        return self


class _AgreementBase(MeasurementParams):
    name: Text
    client: Identifier = Field(description="Client id; access to an agreement is scoped by it.")
    provider: Identifier
    parties: Parties
    term: Term
    measures: tuple[ImprovementMeasure, ...] = ()
    report_language: Literal["zh-CN", "en"] = Field(
        default="zh-CN", description="Default language of the monthly report (docs/reports.md)."
    )

    @field_validator("agreement_id")
    @classmethod
    def _not_a_calendar_key(cls, value: str) -> str:
        if value.startswith(TOPIC_KEY_PREFIX):  # calendars share the agreements topic
            raise ValueError(f"agreement ids may not start with {TOPIC_KEY_PREFIX!r}")
        return value

    @field_validator("measures")
    @classmethod
    def _unique_measures(
        cls, value: tuple[ImprovementMeasure, ...]
    ) -> tuple[ImprovementMeasure, ...]:
        ids = [m.measure_id for m in value]
        if len(set(ids)) != len(ids):
            raise ValueError(f"measure ids must be unique, got {sorted(ids)}")
        return tuple(sorted(value, key=lambda m: m.measure_id))

    def measurement_params(self) -> MeasurementParams:
        """The part the KPI engine reads."""
        return MeasurementParams(**{k: getattr(self, k) for k in MeasurementParams.model_fields})


class AgreementInput(_AgreementBase):
    """An agreement as people write it; see `resolve` for how it becomes an `Agreement`."""

    targets: tuple[TargetInput, ...] = ()

    @field_validator("targets")
    @classmethod
    def _valid_targets(cls, value: tuple[TargetInput, ...]) -> tuple[TargetInput, ...]:
        check_versions(value)
        return value


class Agreement(_AgreementBase):
    """An agreement as stored and published: `targets` holds every version of every target."""

    targets: tuple[TargetVersion, ...] = ()

    @field_validator("targets")
    @classmethod
    def _valid_targets(cls, value: tuple[TargetVersion, ...]) -> tuple[TargetVersion, ...]:
        check_versions(value)
        return tuple(sorted(value, key=lambda t: (t.target_id, t.effective_from)))


def resolve(draft: AgreementInput, history: Sequence[TargetVersion], now: datetime) -> Agreement:
    """The agreement `draft` describes at `now`, on top of the stored target `history`."""
    targets = apply_inputs(history, draft.targets, now)
    return Agreement(**{**dict(draft), "targets": tuple(targets)})


def targets_at(agreement: Agreement, instant: datetime) -> list[TargetVersion]:
    """The version in effect at `instant` of each target of `agreement` (retired ones left out)."""
    return versions_at(agreement.targets, instant)


def status_on(agreement: Agreement, now: datetime | None = None) -> AgreementStatus:
    """The status today (or at `now`) in the agreement's own time zone."""
    return agreement_status(agreement.term, today_in(agreement.zone, now))


def to_document(agreement: Agreement) -> dict[str, Any]:
    """The JSON document stored and published; holidays sorted so equal agreements give
    byte-equal documents (a set's order varies between processes)."""
    document = agreement.model_dump(mode="json")
    if document.get("calendar") and "holidays" in document["calendar"]:
        document["calendar"]["holidays"] = sorted(document["calendar"]["holidays"])
    return document


def load_agreement_inputs(path: Path) -> list[AgreementInput]:
    """Every agreement of a YAML or JSON file `agreements: [...]`, validated as a whole."""
    raw: Any = yaml.safe_load(path.read_text()) or {}
    return [AgreementInput.model_validate(a) for a in raw.get("agreements") or []]
