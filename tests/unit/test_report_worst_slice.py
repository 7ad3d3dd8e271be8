"""The report's worst-slice findings: the costliest slice of each breakdown, in words."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.core.reports.findings import worst_slice
from services.core.reports.model import Breakdown, Slice
from services.core.reports.render.i18n import Formats
from services.core.reports.render.view import View


def breakdown(*slices: Slice) -> Breakdown:
    return Breakdown(
        target_id="frt-p90", kpi="frt_p90_seconds", dimension="priority", available=True,
        slices=slices,
    )  # fmt: skip


URGENT = Slice(dimension="priority", key="urgent", value=9000.0, n=40, cost=120.0)
LOW = Slice(dimension="priority", key="low", value=7300.0, n=300, cost=30.0)
NORMAL = Slice(dimension="priority", key="normal", value=3000.0, n=500, cost=0.0)


def test_the_costliest_slice_is_the_finding_with_its_numbers() -> None:
    found = worst_slice(breakdown(URGENT, LOW, NORMAL), 7200.0, "duration")

    assert found is not None
    assert (found.code, found.severity, found.target_id, found.kind) == (
        "worst_slice", "low", "frt-p90", "duration",
    )  # fmt: skip
    assert found.values == {
        "dimension": "priority", "slice": "urgent", "value": 9000.0, "n": 40, "target": 7200.0,
    }  # fmt: skip


def test_no_finding_when_no_slice_costs_anything_or_none_exist() -> None:
    assert worst_slice(breakdown(NORMAL), 7200.0, "duration") is None
    assert worst_slice(breakdown(), 7200.0, "duration") is None


def test_the_sentence_names_dimension_and_slice_in_the_readers_language() -> None:
    found = worst_slice(breakdown(URGENT, LOW), 7200.0, "duration")
    assert found is not None
    english = View(Formats("en", ZoneInfo("Asia/Shanghai"))).finding(found)
    chinese = View(Formats("zh-CN", ZoneInfo("Asia/Shanghai"))).finding(found)

    assert english.startswith("By priority, urgent costs the most against the target for")
    assert "(n = 40)" in english
    assert chinese.startswith("按优先级划分\uff0c紧急")
    assert "\uff08n = 40\uff09" in chinese
