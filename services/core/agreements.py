"""What the KPI engine needs to know about an agreement: zone, calendar, clock targets.

These are the measurement parameters. The full agreement (parties, term, KPI targets with
baselines, improvement measures) builds on this model; the engine reads only this part.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.core.events import Identifier, Priority

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PositiveSeconds = Annotated[float, Field(gt=0)]


class OpeningHours(BaseModel):
    """One opening interval of a weekday, local time, `start < end` (end may be 24:00)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time | None = None  # None means midnight at the end of the day

    @field_validator("end", mode="before")
    @classmethod
    def _midnight(cls, value: Any) -> Any:
        return None if value in ("24:00", "24:00:00") else value

    @model_validator(mode="after")
    def _ordered(self) -> OpeningHours:
        if self.end is not None and self.end <= self.start:
            raise ValueError("opening hours must end after they start")
        return self


class BusinessCalendar(BaseModel):
    """Weekly opening hours and holidays, interpreted in the agreement's time zone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekly_hours: dict[str, tuple[OpeningHours, ...]]
    holidays: frozenset[date] = frozenset()

    @field_validator("weekly_hours")
    @classmethod
    def _known_days(cls, value: dict[str, tuple[OpeningHours, ...]]) -> dict[str, Any]:
        unknown = set(value) - set(DAY_NAMES)
        if unknown:
            raise ValueError(f"unknown weekday names {sorted(unknown)}; use {DAY_NAMES}")
        return value


class PriorityTargets(BaseModel):
    """A clock target per ticket priority, in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: PositiveSeconds
    normal: PositiveSeconds
    high: PositiveSeconds
    urgent: PositiveSeconds

    def for_priority(self, priority: Priority | str) -> float:
        return float(getattr(self, Priority(priority).value))


class MeasurementParams(BaseModel):
    """Measurement parameters of one agreement, as the KPI engine uses them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agreement_id: Identifier
    timezone: str = "UTC"
    calendar: BusinessCalendar | None = None
    frt_target_seconds: PriorityTargets
    resolution_target_seconds: PriorityTargets
    service_level_threshold_seconds: PositiveSeconds = 20.0
    short_abandon_seconds: Annotated[float, Field(ge=0)] = 5.0
    fcr_horizon_seconds: PositiveSeconds = 7 * 86_400.0

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class AgreementFile(BaseModel):
    """The YAML/JSON agreements file: `agreements: [...]`."""

    model_config = ConfigDict(extra="ignore")

    agreements: list[dict[str, Any]]


def load_measurement_params(path: Path) -> dict[str, MeasurementParams]:
    """Read the measurement part of every agreement in a YAML or JSON file."""
    raw = yaml.safe_load(path.read_text())
    parsed = AgreementFile.model_validate(raw)
    fields = set(MeasurementParams.model_fields)
    params = [
        MeasurementParams.model_validate({k: v for k, v in a.items() if k in fields})
        for a in parsed.agreements
    ]
    return {p.agreement_id: p for p in params}
