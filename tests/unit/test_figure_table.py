"""The figure table and the lists derived from it, against the oracle's own copy."""

from __future__ import annotations

from deploy.grafana.agreement import FIGURE_ROWS
from services.core.kpi.figure_table import (
    ATTAINMENT_FIGURES,
    BETTER,
    COUNT_FIGURES,
    FIGURE_NAMES,
    FIGURES,
    RATIO_FIGURES,
    Unit,
    metric_name,
)
from tests.oracle import figures as oracle


def test_the_oracle_and_the_table_name_the_same_figures_in_the_same_order() -> None:
    assert FIGURE_NAMES == oracle.FIGURE_NAMES


def test_the_oracle_and_the_table_agree_on_which_figures_are_counts() -> None:
    assert COUNT_FIGURES == oracle.COUNT_FIGURES


def test_every_attainment_is_a_ratio_where_higher_is_better() -> None:
    assert ATTAINMENT_FIGURES < RATIO_FIGURES
    assert all(BETTER[name] == "higher" for name in ATTAINMENT_FIGURES)
    assert {"abandonment_rate"} == RATIO_FIGURES - ATTAINMENT_FIGURES


def test_units_follow_the_names() -> None:
    for spec in FIGURES:
        assert spec.name.endswith("_seconds") == (spec.unit is Unit.SECONDS), spec.name
        assert metric_name(spec.name).endswith("_ratio") == (spec.unit is Unit.RATIO)


def test_the_agreement_dashboard_shows_every_figure_once() -> None:
    shown = [name for names in FIGURE_ROWS.values() for name in names]
    assert sorted(shown) == sorted(FIGURE_NAMES)
