"""The soak's verdict (bench/soak.py): growth after the warm-up, from RSS samples."""

from __future__ import annotations

import pytest

from bench.soak import MB, growth_mb_per_minute


def samples(rss_mb: list[float]) -> list[dict[str, float]]:
    return [{"seconds": 10.0 * i, "rss_bytes": mb * MB} for i, mb in enumerate(rss_mb)]


def test_a_climb_that_levels_off_is_bounded() -> None:
    climb_then_flat = [90, 120, 150, 170, 180, 181, 181, 180, 181, 181, 181, 180]
    assert abs(growth_mb_per_minute(samples(climb_then_flat))) < 1


def test_a_steady_climb_is_not() -> None:
    steady = [90 + 5.0 * i for i in range(12)]  # 5 MB per 10 s
    assert growth_mb_per_minute(samples(steady)) == pytest.approx(30.0)


def test_too_few_samples_say_nothing() -> None:
    assert growth_mb_per_minute(samples([90])) == 0.0
