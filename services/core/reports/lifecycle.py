"""When a report is created and becomes final, and what changed between two versions (pure).

- The month closes at its end in the agreement's zone plus the allowed lateness: no event of
  the month can arrive after that (later ones are dead-lettered as `late`). The scheduled job
  then issues version 1 as `preliminary`.
- It is `final` once the FCR horizon has also passed for every credit of the month (close +
  `fcr_horizon_seconds`), or when an admin issues it.
- A version differs from the previous one in its figures (late data, FCR credits withdrawn),
  its free text or its state; `changes` lists the figures that differ, by path.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.core.reports.model import Report, ReportState
from services.core.reports.periods import bounds_utc

FIGURE_SECTIONS = (
    "targets",
    "other_kpis",
    "trends",
    "breakdowns",
    "data_quality",
    "breached_tickets",
)


def closes_at(period: str, zone: ZoneInfo, lateness_seconds: float) -> datetime:
    """When the month's figures can no longer get new events."""
    return bounds_utc(period, zone)[1] + timedelta(seconds=lateness_seconds)


def final_at(
    period: str, zone: ZoneInfo, lateness_seconds: float, horizon_seconds: float
) -> datetime:
    """When no FCR credit of the month can be withdrawn any more."""
    return closes_at(period, zone, lateness_seconds) + timedelta(seconds=horizon_seconds)


def state_at(now: datetime, final: datetime) -> ReportState:
    return "final" if now >= final else "preliminary"


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(report: Report) -> str:
    """SHA-256 of the report's canonical JSON: what was issued, byte for byte."""
    return hashlib.sha256(canonical(report.model_dump(mode="json"))).hexdigest()


def figures_of(document: dict[str, Any]) -> dict[str, Any]:
    """The sections whose numbers come from the data (not header, findings or free text)."""
    return {section: document.get(section) for section in FIGURE_SECTIONS}


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


def _key(item: Any, index: int) -> str:
    if isinstance(item, dict) and "ticket_id" in item:  # a breached ticket: one per cycle
        return f"{item['ticket_id']}/{item['kpi']}@{item['attributed_at']}"
    if isinstance(item, dict):
        for name in ("target_id", "kpi", "day", "period", "key"):
            if name in item:
                extra = f"/{item['dimension']}" if "dimension" in item else ""
                return f"{item[name]}{extra}"
    return str(index)


def _walk(before: Any, after: Any, path: str, out: list[Change]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for name in sorted(set(before) | set(after)):
            _walk(before.get(name), after.get(name), f"{path}.{name}" if path else name, out)
    elif isinstance(before, list) and isinstance(after, list):
        old = {_key(x, i): x for i, x in enumerate(before)}
        new = {_key(x, i): x for i, x in enumerate(after)}
        for name in [*old, *(k for k in new if k not in old)]:
            _walk(old.get(name), new.get(name), f"{path}[{name}]", out)
    elif before != after:
        out.append(Change(path, before, after))


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every figure that differs between two report documents, by path."""
    found: list[Change] = []
    _walk(figures_of(before), figures_of(after), "", found)
    return found


def same_content(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Nothing a reader would see differs, apart from when and as which version it was made."""
    keep = ("free_text", "findings", "measures", "next_steps", *FIGURE_SECTIONS)
    head = ("state", "term_status", "notice_deadline", "renews_on")
    return all(before.get(k) == after.get(k) for k in keep) and all(
        before["header"].get(k) == after["header"].get(k) for k in head
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
