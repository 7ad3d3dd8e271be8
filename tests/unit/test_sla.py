"""SLA evaluation (docs/sla.md): a hand-checked table, then properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.core.agreements.sla import ATTAINMENT_KPIS, Status, Target, evaluate_target
from services.core.agreements.targets import TargetDefinition
from services.core.kpi.figures import Figure

FRT = Target("frt_p90_seconds", 3600.0, "at_most", baseline=7200.0, at_risk_band=600.0)
SL = Target("service_level", 0.8, "at_least", baseline=0.6, at_risk_band=0.05)
CSAT_ALL = Target("csat", 1.0, "at_least", baseline=0.9)

# (id, target, value, n, status, progress %, error budget remaining, burn rate with 1h = 0.7)
CASES: list[
    tuple[str, Target, float | None, int, Status, float | None, float | None, float | None]
] = [
    ("no items", FRT, None, 0, Status.NO_DATA, None, None, None),
    ("well below target", FRT, 1800.0, 10, Status.MET, 150.0, None, None),
    ("edge of band is met", FRT, 3000.0, 10, Status.MET, 4200 / 36, None, None),
    ("inside band", FRT, 3300.0, 10, Status.AT_RISK, 3900 / 36, None, None),
    ("exactly target", FRT, 3600.0, 10, Status.AT_RISK, 100.0, None, None),
    ("above target", FRT, 4000.0, 10, Status.BREACHED, 3200 / 36, None, None),
    ("worse than baseline", FRT, 9000.0, 10, Status.BREACHED, -50.0, None, None),
    ("at baseline", FRT, 7200.0, 3, Status.BREACHED, 0.0, None, None),
    ("ratio met", SL, 0.9, 50, Status.MET, 150.0, 0.5, 1.5),
    ("ratio above band", SL, 0.86, 50, Status.MET, 130.0, 0.3, 1.5),
    ("ratio inside band", SL, 0.82, 50, Status.AT_RISK, 110.0, 0.1, 1.5),
    ("ratio exactly target", SL, 0.8, 50, Status.AT_RISK, 100.0, 0.0, 1.5),
    ("ratio breached, budget overspent", SL, 0.7, 50, Status.BREACHED, 50.0, -0.5, 1.5),
    ("target 1: no budget", CSAT_ALL, 1.0, 5, Status.MET, 100.0, None, None),
    ("target 1 breached", CSAT_ALL, 0.95, 5, Status.BREACHED, 50.0, None, None),
]


@pytest.mark.parametrize(
    ("target", "value", "n", "status", "progress", "budget", "burn"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_evaluate_target(
    target: Target,
    value: float | None,
    n: int,
    status: Status,
    progress: float | None,
    budget: float | None,
    burn: float | None,
) -> None:
    result = evaluate_target(target, Figure(value, n), {"1h": Figure(0.7, 20)})

    assert (result.status, result.value, result.n) == (status, value, n)
    assert (result.target, result.baseline) == (target.target, target.baseline)
    assert result.progress_percent == pytest.approx(progress)
    assert result.error_budget_remaining == pytest.approx(budget)
    assert result.burn_rate == pytest.approx(burn)


def test_no_baseline_or_baseline_equal_to_target_has_no_progress() -> None:
    for baseline in (None, 3600.0):
        target = Target("frt_p90_seconds", 3600.0, baseline=baseline)
        assert evaluate_target(target, Figure(100.0, 1), None).progress_percent is None


def test_burn_rate_needs_items_in_the_last_hour() -> None:
    for ratios in (None, {}, {"1h": Figure(None, 0)}, {"24h": Figure(0.5, 4)}):
        result = evaluate_target(SL, Figure(0.9, 10), ratios)
        assert result.burn_rate is None
        assert result.error_budget_remaining == pytest.approx(0.5)


def test_attainment_kpis_are_the_ratios_of_good_items() -> None:
    assert "frt_attainment" in ATTAINMENT_KPIS
    assert "abandonment_rate" not in ATTAINMENT_KPIS  # a ratio of bad items


def test_unknown_direction_is_rejected() -> None:
    with pytest.raises(ValueError, match="direction"):
        evaluate_target(Target("asa_seconds", 20.0, "below"), Figure(10.0, 1))


# --- properties -------------------------------------------------------------------------

SEVERITY = {Status.MET: 0, Status.AT_RISK: 1, Status.BREACHED: 2}
values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
bands = st.floats(min_value=0, max_value=1e3, allow_nan=False)


@given(values, values, values, bands, st.sampled_from(["at_most", "at_least"]))
def test_status_is_monotone_in_the_value(
    target: float, a: float, b: float, band: float, direction: str
) -> None:
    spec = Target("some_kpi", target, direction, at_risk_band=band)
    low, high = sorted((a, b))
    worse_when_higher = direction == "at_most"
    s_low = SEVERITY[evaluate_target(spec, Figure(low, 1)).status]
    s_high = SEVERITY[evaluate_target(spec, Figure(high, 1)).status]
    assert (s_low <= s_high) if worse_when_higher else (s_low >= s_high)


@given(values, values, values, values, st.floats(min_value=0, max_value=1))
def test_progress_is_linear_from_baseline_to_target(
    baseline: float, target: float, a: float, b: float, w: float
) -> None:
    assume(abs(target - baseline) > 1e-3)
    spec = Target("some_kpi", target, baseline=baseline)

    def progress(value: float) -> float:
        result = evaluate_target(spec, Figure(value, 1)).progress_percent
        assert result is not None
        return result

    assert progress(baseline) == pytest.approx(0.0, abs=1e-6)
    assert progress(target) == pytest.approx(100.0)
    mix = w * a + (1 - w) * b
    scale = 100 * max(abs(a), abs(b), abs(baseline), 1.0) / abs(target - baseline)
    assert progress(mix) == pytest.approx(w * progress(a) + (1 - w) * progress(b), abs=1e-9 * scale)


def test_the_agreement_target_model_is_a_target_spec() -> None:
    spec = TargetDefinition(
        target_id="sl", kpi="service_level", target=0.8, direction="at_least", window="30d"
    )
    assert evaluate_target(spec, Figure(0.9, 10)).error_budget_remaining == pytest.approx(0.5)
