"""The review pack shows a measure's effect: a drop after a mid-quarter start, with an
interval that excludes zero, and a control measure whose interval includes zero.

Two quarters of generated history (tests/review_scenario.py) are read through the pack's
adapter (`fetch_pack_inputs`: the KPI API's and the effect route's own code) from memory.
"""

from __future__ import annotations

import pytest

from services.core.reviews.build import build_pack
from services.core.reviews.fetch import fetch_pack_inputs
from services.core.reviews.model import EffectRow, ReviewPack
from services.core.reviews.render.html import render_html
from tests.review_scenario import NOW, QUARTER, agreement, memory_reader


@pytest.fixture(scope="module")
async def pack() -> ReviewPack:
    inputs = await fetch_pack_inputs(memory_reader(), agreement(), QUARTER, now=NOW)
    return build_pack(inputs)


def aht_effect(pack: ReviewPack, measure_id: str) -> EffectRow:
    review = next(m for m in pack.measures if m.measure.measure_id == measure_id)
    assert review.complete
    (effect,) = review.effects
    assert effect.kpi == "aht_mean_seconds"
    return effect


async def test_the_aht_drop_after_the_mid_quarter_measure_has_an_interval_below_zero(
    pack: ReviewPack,
) -> None:
    effect = aht_effect(pack, "aht-coaching")

    assert not effect.too_few_data
    assert effect.method == "bootstrap"
    assert effect.before is not None
    assert effect.after is not None
    assert effect.before == pytest.approx(600, rel=0.05)
    assert effect.after == pytest.approx(480, rel=0.05)
    assert effect.difference is not None
    assert effect.difference < -80
    assert effect.interval is not None
    low, high = effect.interval
    assert low < effect.difference < high < 0  # the interval excludes zero
    assert effect.direction == "better"


async def test_the_control_measure_shows_an_interval_that_includes_zero(pack: ReviewPack) -> None:
    effect = aht_effect(pack, "control")

    assert not effect.too_few_data
    assert effect.interval is not None
    low, high = effect.interval
    assert low < 0 < high


async def test_the_aht_target_row_shows_the_months_of_the_quarter_and_the_drop(
    pack: ReviewPack,
) -> None:
    row = next(r for r in pack.targets if r.target_id == "aht")
    october, november, december = row.months

    assert [m.period for m in row.months] == ["2026-10", "2026-11", "2026-12"]
    assert october.value is not None
    assert december.value is not None
    assert december.value < october.value - 80
    assert row.quarter.n == october.n + november.n + december.n
    trend = next(t for t in pack.trends if t.target_id == "aht")
    assert next(p.period for p in trend.monthly) == "2026-01"  # since the agreement began
    assert [p.period for p in trend.monthly][-1] == "2026-12"


@pytest.mark.parametrize(
    ("language", "excludes", "includes", "caveat"),
    [
        ("en", "excludes zero", "includes zero", "not proof of cause"),
        ("zh-CN", "不含零", "含零", "并不能证明因果关系"),
    ],
)
async def test_the_page_reads_the_intervals_and_says_it_is_no_proof_of_cause(
    pack: ReviewPack, language: str, excludes: str, includes: str, caveat: str
) -> None:
    page = render_html(pack, language)  # type: ignore[arg-type]
    measures = page.split('id="measures"')[1].split("</section>")[0]

    coaching, control = measures.split('<table class="effect">')[1:]
    assert excludes in coaching.split("</table>")[0]
    assert includes in control.split("</table>")[0]
    assert excludes not in control.split("</table>")[0]
    assert caveat in measures
