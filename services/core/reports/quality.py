"""The month's data quality: how many events were counted and why the others were not (pure).

The counts are the ones `GET /v1/agreements/{id}/data-quality?period=` returns for the
report's month (`read_counts`, docs/metrics.md "Data quality"); the report only adds the
shares and turns them into findings, whose sentences live in the message catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from services.core.reports.model import DataQuality, Finding
from services.core.storage.models import EVENT_OUTCOMES

# Outcomes that keep an event out of the figures, in the order the report names them.
NOT_COUNTED = tuple(o for o in EVENT_OUTCOMES if o != "accepted")


def data_quality(counts: Mapping[str, int] | None) -> DataQuality | None:
    """The counts of every outcome (0 when absent) and their sum outside `accepted`."""
    if counts is None:
        return None
    full = {outcome: int(counts.get(outcome, 0)) for outcome in EVENT_OUTCOMES}
    return DataQuality(counts=full, not_counted=sum(full[o] for o in NOT_COUNTED))


def quality_findings(quality: DataQuality | None) -> list[Finding]:
    """One finding with the month's totals, then one per outcome that kept events out.

    None when no event was counted or refused: a month before the counts existed reads as
    zero, and "no events" would then be a false statement. All are low severity: they say
    what the figures leave out, not that a target was missed.
    """
    if quality is None:
        return []
    total = sum(quality.counts.values())
    if total == 0:
        return []
    found = [
        Finding(
            code="events_counted",
            severity="low",
            kind="count",
            values={
                "accepted": quality.counts["accepted"],
                "not_counted": quality.not_counted,
                "total": total,
                "share": quality.not_counted / total,
            },
        )
    ]
    for outcome in NOT_COUNTED:
        count = quality.counts[outcome]
        if count:
            found.append(
                Finding(
                    code=f"events_{outcome}",
                    severity="low",
                    kind="count",
                    values={"count": count, "share": count / total},
                )
            )
    return found


# Lossy connector mappings the report has its own sentence for; others read "lossy_other".
KNOWN_LOSSY = (
    "csat_good_bad",
    "no_hold_time",
    "no_urgent_priority",
    "comment_author_inferred",
)


def lossy_findings(lossy: Sequence[tuple[str, str, str]] | None) -> list[Finding]:
    """One finding per (connector, lossy flag): what a connector's mapping cannot carry over
    from its tool (docs/connectors.md, "Lossy mappings"), so a reader knows which figures
    are coarser. Low severity: they qualify the figures, they are no problem of the month."""
    found = []
    for connector_id, tool, flag in lossy or ():
        code = f"lossy_{flag}" if flag in KNOWN_LOSSY else "lossy_other"
        values: dict[str, int | float | str | None] = {"tool": tool, "connector": connector_id}
        values["flag"] = flag
        found.append(Finding(code=code, severity="low", values=values))
    return found
