"""The review pack built by pure functions: quarter rows, discussion points, the term's
notice deadline against the next review, measures with effects, previous action items."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from services.core.agreements.term import Term
from services.core.kpi.effect import Effect
from services.core.kpi.figures import FIGURE_NAMES, Figure
from services.core.meetings.model import ActionItemState
from services.core.reports.render.i18n import LANGUAGES
from services.core.reviews.build import build_pack
from services.core.reviews.inputs import PackInputs
from services.core.reviews.points import term_review
from services.core.reviews.quarters import months_of, next_review_day, shift_quarter, trend_months
from services.core.reviews.render.html import render_html
from services.core.reviews.render.i18n import po_path
from services.core.storage.measure_effect import MeasureEffect
from tests.unit.test_report_build import demo

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)


def figures(**values: tuple[float | None, int]) -> dict[str, Figure]:
    return {name: Figure(*values.get(name, (None, 0))) for name in FIGURE_NAMES}


def inputs(**overrides: object) -> PackInputs:
    # csat (at_least 0.85, band 0.02): met with room every month; aht (at_most 480): missed
    # every month; frt-attainment: met in two months only; fcr: a month without data.
    months = [
        (
            "2026-10",
            figures(
                csat=(0.9, 50),
                aht_mean_seconds=(520.0, 90),
                frt_attainment=(0.95, 9),
                fcr_rate=(0.8, 10),
            ),
        ),
        (
            "2026-11",
            figures(
                csat=(0.92, 40),
                aht_mean_seconds=(500.0, 80),
                frt_attainment=(0.8, 9),
                fcr_rate=(0.8, 10),
            ),
        ),
        (
            "2026-12",
            figures(csat=(0.91, 45), aht_mean_seconds=(490.0, 70), frt_attainment=(0.95, 9)),
        ),
    ]
    quarter = figures(
        csat=(0.91, 135),
        aht_mean_seconds=(505.0, 240),
        frt_attainment=(0.9, 27),
        fcr_rate=(0.8, 20),
    )
    base: dict[str, object] = {
        "agreement": demo(),
        "quarter": "2026-Q4",
        "generated_at": NOW,
        "stream_time": NOW.timestamp(),
        "monthly": [("2026-09", figures(csat=(0.8, 30))), *months],
        "quarter_figures": quarter,
    }
    return PackInputs(**{**base, **overrides})  # type: ignore[arg-type]


def test_quarter_arithmetic() -> None:
    assert months_of("2026-Q4") == ["2026-10", "2026-11", "2026-12"]
    assert (shift_quarter("2026-Q4", 1), shift_quarter("2026-Q1", -1)) == ("2027-Q1", "2025-Q4")
    assert next_review_day("2026-Q4") == date(2027, 4, 1)  # after the next quarter closes
    assert trend_months("2026-Q4", date(2026, 8, 15)) == [
        "2026-08",
        "2026-09",
        *months_of("2026-Q4"),
    ]
    assert trend_months("2026-Q4", date(2026, 11, 20)) == months_of("2026-Q4")
    assert len(trend_months("2026-Q4", date(2020, 1, 1))) == 24
    with pytest.raises(ValueError, match="quarter"):
        months_of("2026-10")


def test_rows_judge_each_month_and_the_quarter() -> None:
    pack = build_pack(inputs())
    rows = {r.target_id: r for r in pack.targets}

    csat = rows["csat"]
    assert [(m.period, m.value, m.n, m.status) for m in csat.months] == [
        ("2026-10", 0.9, 50, "met"),
        ("2026-11", 0.92, 40, "met"),
        ("2026-12", 0.91, 45, "met"),
    ]
    assert (csat.quarter.value, csat.quarter.n, csat.status) == (0.91, 135, "met")
    assert [m.status for m in rows["fcr"].months] == ["met", "met", "no_data"]
    assert rows["service-level"].status == "no_data"
    assert [p.period for p in pack.trends[0].monthly] == ["2026-09", *months_of("2026-Q4")]


def test_discussion_points_are_targets_met_with_room_all_quarter_and_missed_every_month() -> None:
    points = build_pack(inputs()).discussion

    assert [(p.code, p.target_id) for p in points] == [
        ("met_with_room", "csat"),
        ("missed_every_month", "aht"),
    ]
    room, missed = points
    assert room.values["margin"] == pytest.approx(0.06)
    assert (missed.values["month1"], missed.values["month3"], missed.values["quarter"]) == (
        520.0,
        490.0,
        505.0,
    )
    # Met but inside the at-risk band in one month: no room to spare.
    tight = inputs(
        monthly=[
            ("2026-10", figures(csat=(0.9, 50))),
            ("2026-11", figures(csat=(0.86, 50))),
            ("2026-12", figures(csat=(0.9, 50))),
        ]
    )
    assert [p.target_id for p in build_pack(tight).discussion] == []


@pytest.mark.parametrize(
    ("term", "today", "deadline", "due"),
    [
        # Auto-renewing, ends 31 March: notice by 31 Dec, before the next review (1 April).
        (
            Term(
                effective_from=date(2026, 4, 1),
                effective_to=date(2027, 3, 31),
                auto_renew=True,
                renewal_months=12,
                notice_days=90,
            ),
            date(2026, 12, 1),
            date(2026, 12, 31),
            "before_next_review",
        ),
        # Ends 31 December 2027: the deadline (2 Oct 2027) is after the next review.
        (
            Term(
                effective_from=date(2026, 1, 1),
                effective_to=date(2026, 12, 31),
                auto_renew=True,
                renewal_months=12,
                notice_days=90,
            ),
            date(2027, 1, 4),
            date(2027, 10, 2),
            "after_next_review",
        ),
        # The current term's deadline has passed: it renews.
        (
            Term(
                effective_from=date(2026, 1, 1),
                effective_to=date(2026, 12, 31),
                auto_renew=True,
                renewal_months=12,
                notice_days=90,
            ),
            date(2026, 11, 15),
            date(2026, 10, 2),
            "passed",
        ),
    ],
)
def test_the_notice_deadline_is_placed_against_the_next_review(
    term: Term, today: date, deadline: date, due: str
) -> None:
    review = term_review(term, today, "2026-Q4")

    assert (review.notice_deadline, review.notice_due) == (deadline, due)
    assert review.next_review == date(2027, 4, 1)
    assert not review.ends_before_next_review


def test_a_term_that_does_not_renew_and_ends_before_the_next_review_says_so() -> None:
    term = Term(effective_from=date(2026, 1, 1), effective_to=date(2027, 1, 31), notice_days=90)
    review = term_review(term, date(2027, 1, 4), "2026-Q4")

    assert (review.status, review.notice_deadline, review.renews_on) == ("expiring", None, None)
    assert review.ends_before_next_review
    assert "ends on Jan 31, 2027, before the next review" in render_html(
        build_pack(inputs(agreement=demo().model_copy(update={"term": term}))), "en"
    )


def item(
    item_id: str,
    due: date,
    status: str,
    measure_id: str | None = None,
    measure_status: str | None = None,
) -> ActionItemState:
    """An action item of the 2026-Q3 review as the meeting record reads it."""
    return ActionItemState(
        quarter="2026-Q3",
        meeting_version=2,
        item_id=item_id,
        title=f"Item {item_id}",
        owner="Dana Okafor",
        due_date=due,
        targets=("aht",),
        status=status,  # type: ignore[arg-type]
        note="",
        measure_id=measure_id,
        measure_status=measure_status,  # type: ignore[arg-type]
    )


def test_measures_carry_delay_and_effects_and_action_items_their_fate() -> None:
    effect = Effect(
        "aht_mean_seconds",
        600.0,
        480.0,
        900,
        880,
        -120.0,
        "better",
        "bootstrap",
        (-130.0, -110.0),
        False,
    )
    started = MeasureEffect("acme-helpdesk", "triage-training", 0.0, -1.0, 1.0, True, 30, [effect])
    items = [
        item("a1", date(2026, 11, 30), "open"),
        item("a2", date(2026, 12, 31), "done", "triage-training", "in_progress"),
        item("a3", date(2027, 2, 1), "open"),
    ]
    pack = build_pack(inputs(effects={"triage-training": started}, action_items=items))
    measures = {m.measure.measure_id: m for m in pack.measures}

    assert measures["triage-training"].measure.delay_days == 16  # planned end 15 Dec
    (row,) = measures["triage-training"].effects
    assert (row.difference, row.interval, row.direction, row.kind) == (
        -120.0,
        (-130.0, -110.0),
        "better",
        "duration",
    )
    assert measures["chat-routing"].effects == ()
    assert pack.action_items.previous_quarter == "2026-Q3"
    assert [(a.item_id, a.overdue) for a in pack.action_items.items] == [
        ("a1", True),  # open and past due on 4 January
        ("a2", False),
        ("a3", False),
    ]
    became = pack.action_items.items[1]
    assert (became.measure_id, became.measure_status, became.status) == (
        "triage-training",
        "in_progress",
        "done",
    )
    page = render_html(pack, "en")
    actions = page.split('id="actions"')[1]
    assert "First-contact triage training (in progress)" in actions
    assert "overdue" in actions
    assert "not proof of cause" in pack.note
    assert not build_pack(inputs()).action_items.available


def test_too_few_data_is_said_in_words() -> None:
    effect = Effect("csat", 0.8, 0.9, 10, 12, 0.1, "better", "newcombe_wilson", None, True)
    started = MeasureEffect("acme-helpdesk", "triage-training", 0.0, -1.0, 1.0, False, 30, [effect])
    page = render_html(build_pack(inputs(effects={"triage-training": started})), "en")

    assert "too few data" in page
    assert "The period after the start is still running." in page


def used_messages() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.j2", "jinja2")]
    options = {"templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "N_": None, "gettext": None}
    found = extract_from_dir("services/core/reviews/render", method_map, options, keywords=keywords)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_pack_is_translated_and_nothing_else(language: str) -> None:
    with po_path(language).open("rb") as source:
        catalog = read_po(source)
    translated = {m.id: m.string for m in catalog if m.id and not m.fuzzy}
    used = used_messages()

    assert used - set(translated) == set(), "messages missing from the catalogue"
    assert set(translated) - used == set(), "catalogue entries nothing uses"
    assert all(translated.values()), "empty translations"
    for message, text in translated.items():
        assert re.findall(r"{\w+}", message) == re.findall(r"{\w+}", str(text)), message


@pytest.mark.parametrize(
    ("language", "title"), [("zh-CN", "季度服务评审资料"), ("en", "Quarterly service review pack")]
)
def test_the_page_is_self_contained_in_each_language(language: str, title: str) -> None:
    page = render_html(build_pack(inputs()), language)  # type: ignore[arg-type]

    assert title in page
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert page.count("<svg") == len(build_pack(inputs()).trends)
