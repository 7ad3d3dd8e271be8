"""`make demo` prints the current quarter's review pack URL (scripts/launcher/demo.py)."""

from __future__ import annotations

from datetime import date

from scripts.launcher.demo import review_pack_line


def test_the_demo_prints_this_quarters_review_pack_url() -> None:
    line = review_pack_line("http://127.0.0.1:8000", "sw_demo", date(2026, 12, 2))

    assert "http://127.0.0.1:8000/v1/agreements/acme-helpdesk/reviews/2026-Q4.html" in line
    assert 'Authorization: Bearer sw_demo"' in line


def test_the_quarter_turns_with_the_calendar() -> None:
    line = review_pack_line("http://api", "k", date(2027, 1, 1))

    assert "/reviews/2027-Q1.html" in line
