"""KPI targets of an agreement, kept as versions so that changing one never rewrites history.

A target (`target_id`) is a sequence of versions, each in effect from its `effective_from`
until the next one. A change adds a version; no version is ever edited or removed, so the
SLA status of a past instant is always judged against the target that applied then. Ending a
target is a version with `retired: true`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from services.core.contract.events import Identifier
from services.core.kpi.figure_table import FIGURE_NAMES, RATIO_FIGURES

Direction = Literal["at_most", "at_least"]
TargetWindow = Literal["1h", "24h", "7d", "30d", "month", "quarter"]
# Stored in UTC so that equal instants compare, sort and serialise alike.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda v: v.astimezone(UTC))]
# Figures that are shares (0..1): a target of 90 instead of 0.9 is a typo worth refusing.
RATIO_KPIS = RATIO_FIGURES


class TargetVersionConflict(ValueError):
    """A change that would rewrite a stored version or change what a target measures."""


class TargetDefinition(BaseModel):
    """What one version of a target says; `at_risk_band` is in the KPI's unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target_id: Identifier
    kpi: str = Field(description="A figure name of docs/kpis.md, e.g. frt_attainment.")
    baseline: float | None = Field(default=None, description="The value before the agreement.")
    target: float
    direction: Direction
    window: TargetWindow
    at_risk_band: Annotated[float, Field(ge=0)] = Field(
        default=0.0, description="How close to the target, on the good side, counts as at risk."
    )
    retired: bool = Field(default=False, description="True: the target ends with this version.")

    @field_validator("kpi")
    @classmethod
    def _known_kpi(cls, value: str) -> str:
        if value not in FIGURE_NAMES:
            raise ValueError(f"unknown kpi {value!r}; use one of {', '.join(FIGURE_NAMES)}")
        return value

    @model_validator(mode="after")
    def _ratio_bounds(self) -> TargetDefinition:
        if self.kpi in RATIO_KPIS:
            for name in ("target", "baseline"):
                value = getattr(self, name)
                if value is not None and not 0.0 <= value <= 1.0:
                    raise ValueError(f"{self.kpi} is a ratio: {name} must be within 0..1")
        return self

    def same_definition(self, other: TargetDefinition) -> bool:
        return self.model_dump(exclude={"effective_from"}) == other.model_dump(
            exclude={"effective_from"}
        )


class TargetInput(TargetDefinition):
    """A target as written in a file or a PUT body: without `effective_from`, "from now on"."""

    effective_from: UtcDatetime | None = None


class TargetVersion(TargetDefinition):
    """A stored version, in effect from `effective_from` (UTC) until the next version."""

    effective_from: UtcDatetime


def check_versions(targets: Iterable[TargetInput | TargetVersion]) -> None:
    """Each version key once, at most one undated entry per target, one KPI per target."""
    seen: dict[str, TargetDefinition] = {}
    keys: set[tuple[str, datetime | None]] = set()
    for t in targets:
        key = (t.target_id, t.effective_from)
        if key in keys:
            when = "without effective_from" if t.effective_from is None else str(t.effective_from)
            raise ValueError(f"target {t.target_id!r} is listed twice {when}")
        keys.add(key)
        first = seen.setdefault(t.target_id, t)
        if (first.kpi, first.direction) != (t.kpi, t.direction):
            raise ValueError(
                f"target {t.target_id!r}: every version must have the same kpi and direction"
            )


def versions_at(versions: Iterable[TargetVersion], instant: datetime) -> list[TargetVersion]:
    """The version in effect at `instant` of every target that is not retired then."""
    current: dict[str, TargetVersion] = {}
    for v in sorted(versions, key=lambda v: v.effective_from):
        if v.effective_from <= instant:
            current[v.target_id] = v
    return [v for _, v in sorted(current.items()) if not v.retired]


def combine(existing: Sequence[TargetVersion], new: Iterable[TargetVersion]) -> list[TargetVersion]:
    """The union of two version lists; a key already stored must keep its definition."""
    by_key = {(v.target_id, v.effective_from): v for v in existing}
    kinds = {v.target_id: (v.kpi, v.direction) for v in existing}
    for v in new:
        old = by_key.get((v.target_id, v.effective_from))
        if old is not None and not old.same_definition(v):
            raise TargetVersionConflict(
                f"target {v.target_id!r} already has a different version effective "
                f"{v.effective_from.isoformat()}; versions are never rewritten: state a new "
                "effective_from (or omit it to mean now)"
            )
        if kinds.setdefault(v.target_id, (v.kpi, v.direction)) != (v.kpi, v.direction):
            raise TargetVersionConflict(
                f"target {v.target_id!r} measures {kinds[v.target_id][0]} "
                f"({kinds[v.target_id][1]}); use a new target_id for another kpi or direction"
            )
        by_key[(v.target_id, v.effective_from)] = v
    return sorted(by_key.values(), key=lambda v: (v.target_id, v.effective_from))


def apply_inputs(
    existing: Sequence[TargetVersion], inputs: Sequence[TargetInput], now: datetime
) -> list[TargetVersion]:
    """All versions after a file or PUT states the agreement's targets at `now`.

    Dated inputs are versions as given. An undated input adds a version at `now` unless the
    version in effect now already says the same. A target in effect now but absent from the
    inputs gets a retired version at `now`. Nothing stored is removed or changed.
    """
    dated = [TargetVersion(**i.model_dump()) for i in inputs if i.effective_from is not None]
    versions = combine(existing, dated)
    in_effect = {v.target_id: v for v in versions_at(versions, now)}
    added: list[TargetVersion] = []
    for i in inputs:
        if i.effective_from is None:
            current = in_effect.get(i.target_id)
            if current is None or not current.same_definition(i):
                added.append(TargetVersion(**{**i.model_dump(), "effective_from": now}))
    named = {i.target_id for i in inputs}
    for target_id, current in in_effect.items():
        if target_id not in named:
            retired: dict[str, Any] = {"retired": True, "effective_from": now}
            added.append(TargetVersion(**{**current.model_dump(), **retired}))
    return combine(versions, added)
