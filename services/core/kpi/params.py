"""What the KPI engine needs to know about an agreement: zone, calendar, clock targets.

These are the measurement parameters. The full agreement (parties, term, KPI targets with
baselines, improvement measures) builds on this model; the engine reads only this part.
"""

from __future__ import annotations

from datetime import UTC, date, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from services.core.contract.events import Identifier, Priority

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


DatedHours = dict[date, Annotated[tuple[OpeningHours, ...], Field(min_length=1)]]


class BusinessCalendar(BaseModel):
    """Weekly opening hours and the dates that differ from them, in the agreement's zone.

    A date is a holiday (closed all day), an extra working day (worked although its weekday
    has no opening hours, with its own hours) or a date with special hours (its own hours
    instead of its weekday's, e.g. closing at 15:00 on a holiday eve); at most one of them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    weekly_hours: dict[str, tuple[OpeningHours, ...]]
    holidays: frozenset[date] = frozenset()
    extra_working_days: DatedHours = Field(default_factory=dict)
    special_hours: DatedHours = Field(default_factory=dict)

    @field_validator("weekly_hours")
    @classmethod
    def _known_days(cls, value: dict[str, tuple[OpeningHours, ...]]) -> dict[str, Any]:
        unknown = set(value) - set(DAY_NAMES)
        if unknown:
            raise ValueError(f"unknown weekday names {sorted(unknown)}; use {DAY_NAMES}")
        return value

    @field_serializer("holidays")
    def _sorted_holidays(self, value: frozenset[date]) -> list[date]:
        return sorted(value)  # a set's order varies between processes

    @field_validator("extra_working_days", "special_hours")
    @classmethod
    def _sorted(cls, value: DatedHours) -> DatedHours:
        return dict(sorted(value.items()))  # equal calendars dump to equal documents

    @model_validator(mode="after")
    def _one_rule_per_date(self) -> BusinessCalendar:
        extra, special = set(self.extra_working_days), set(self.special_hours)
        for what, dates in (
            ("a holiday and an extra working day", self.holidays & extra),
            ("a holiday and has special hours", self.holidays & special),
            ("an extra working day and has special hours", extra & special),
        ):
            if dates:
                raise ValueError(f"{sorted(map(str, dates))}: a date cannot be both {what}")
        open_days = [d for d in extra if self.weekly_hours.get(DAY_NAMES[d.weekday()])]
        if open_days:
            raise ValueError(
                f"extra working days {sorted(map(str, open_days))} fall on weekdays with "
                "opening hours: give them special_hours instead"
            )
        return self

    def dated_years(self) -> set[int]:
        """The years of every dated entry (holidays, extra working days, special hours)."""
        dates = self.holidays | set(self.extra_working_days) | set(self.special_hours)
        return {d.year for d in dates}


class YearlyCalendar(BaseModel):
    """A calendar versioned by year: `years[y]` holds the rules of the local dates of year y.

    A year without a version keeps the weekly hours of the latest earlier version (of the
    first version, before it); its dated entries belong to their own year's version only.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    years: dict[Annotated[int, Field(ge=1, le=9998)], BusinessCalendar] = Field(min_length=1)

    @field_validator("years")
    @classmethod
    def _dates_in_their_year(cls, value: dict[int, BusinessCalendar]) -> dict[int, Any]:
        for year, rules in value.items():
            strays = rules.dated_years() - {year}
            if strays:
                raise ValueError(f"the {year} version has dates in {sorted(strays)}")
        return dict(sorted(value.items()))

    def rules_for(self, year: int) -> BusinessCalendar:
        """The version in effect in `year`."""
        earlier = [y for y in self.years if y <= year]
        return self.years[earlier[-1] if earlier else min(self.years)]


# What the ticket clock reads: an inline calendar, or a (resolved shared) yearly one.
CalendarRules = BusinessCalendar | YearlyCalendar


class PriorityTargets(BaseModel):
    """A clock target per ticket priority, in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: PositiveSeconds
    normal: PositiveSeconds
    high: PositiveSeconds
    urgent: PositiveSeconds

    def for_priority(self, priority: Priority | str) -> float:
        return float(getattr(self, Priority(priority).value))


class ClockTargetChange(BaseModel):
    """Per-priority clock targets in effect from `effective_from` until the next change.

    A target left out keeps the value it had before the change.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    effective_from: Annotated[AwareDatetime, AfterValidator(lambda v: v.astimezone(UTC))]
    frt_target_seconds: PriorityTargets | None = None
    resolution_target_seconds: PriorityTargets | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> ClockTargetChange:
        if self.frt_target_seconds is None and self.resolution_target_seconds is None:
            raise ValueError(
                f"the clock target change effective {self.effective_from.isoformat()} "
                "gives neither frt_target_seconds nor resolution_target_seconds"
            )
        return self


ClockTargetName = Literal["frt_target_seconds", "resolution_target_seconds"]


class MeasurementParams(BaseModel):
    """Measurement parameters of one agreement, as the KPI engine uses them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agreement_id: Identifier
    timezone: str = "UTC"
    calendar: CalendarRules | None = None
    calendar_id: Identifier | None = Field(
        default=None, description="A shared calendar (/v1/calendars), instead of `calendar`."
    )
    frt_target_seconds: PriorityTargets
    resolution_target_seconds: PriorityTargets
    clock_target_changes: tuple[ClockTargetChange, ...] = Field(
        default=(),
        description="Later versions of the two clock targets, oldest first; the targets "
        "above are in effect before the first change.",
    )
    service_level_threshold_seconds: PositiveSeconds = 20.0
    short_abandon_seconds: Annotated[float, Field(ge=0)] = 5.0
    fcr_horizon_seconds: PositiveSeconds = 7 * 86_400.0
    teams: dict[Identifier, tuple[Identifier, ...]] = Field(
        default_factory=dict,
        description="Breakdowns by team: team -> the ids of its agents (others: `unassigned`).",
    )

    @field_validator("teams")
    @classmethod
    def _one_team_per_agent(cls, value: dict[str, tuple[str, ...]]) -> dict[str, Any]:
        seen: dict[str, str] = {}
        for team, agents in value.items():
            if team in ("none", "other", "unassigned"):
                raise ValueError(f"{team!r} is a reserved slice name, not a team")
            for agent in agents:
                if seen.setdefault(agent, team) != team:
                    raise ValueError(f"agent {agent!r} is in teams {seen[agent]!r} and {team!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _one_calendar(self) -> MeasurementParams:
        # A resolved agreement carries both (services/core/agreements/calendars.py, `resolve`),
        # but that copy is made without validation: a document gives one or the other.
        if self.calendar_id is not None and self.calendar is not None:
            raise ValueError("give either calendar or calendar_id, not both")
        return self

    @field_validator("clock_target_changes")
    @classmethod
    def _changes_in_order(
        cls, value: tuple[ClockTargetChange, ...]
    ) -> tuple[ClockTargetChange, ...]:
        for before, after in pairwise(value):
            if after.effective_from == before.effective_from:
                raise ValueError(
                    f"two clock target changes are effective {after.effective_from.isoformat()}"
                    ": merge them into one"
                )
            if after.effective_from < before.effective_from:
                raise ValueError(
                    "clock_target_changes must be sorted by effective_from, oldest first: "
                    f"{after.effective_from.isoformat()} comes after "
                    f"{before.effective_from.isoformat()}"
                )
        return value

    def clock_target(self, name: ClockTargetName, priority: Priority | str, at: float) -> float:
        """The `name` target of `priority` in effect at epoch second `at` (docs/kpis.md).

        A change is in effect from its own instant on; before the first change (and without
        changes) the agreement's `frt_target_seconds`/`resolution_target_seconds` apply.
        """
        targets: PriorityTargets = getattr(self, name)
        for change in self.clock_target_changes:
            if change.effective_from.timestamp() > at:
                break
            targets = getattr(change, name) or targets
        return targets.for_priority(priority)

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
