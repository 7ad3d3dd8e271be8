"""Contact records of a small hotline morning, and the figures they give, worked out by hand.

Agreement `globex-hotline` (demo): service-level threshold 30 s, short abandon 5 s, FCR
horizon 3 days. Callers P1, P2, P3; every record is what Connect writes at the contact's end.

- c-1  P1 10:00  queued 10:00:05, answered after 12 s; talk 240 + hold 30 + ACW 45 = 315 s;
       resolved; completed 10:05:32. P1 calls again at 10:40 (c-4): no FCR credit.
- c-2  P2 10:10  answered after 40 s (over 30 s); 300 + 0 + 60 = 360 s; resolved, credited.
       Re-delivered later with ACW 90 and resolved "false": same ids, the first copy stands.
- c-3  P3 10:20  hung up after 40 s in the queue: abandoned.
- c-4  P1 10:40  answered after 5 s; 100 + 20 + 30 = 150 s; resolved, credited.
- c-5  P3 10:50  hung up after 3 s: a short abandon, outside every call figure.

24 h window: AHT n 3, mean (315 + 360 + 150) / 3 = 275; offered with an outcome 4
(3 answered, 1 abandoned): abandonment 1/4, service level 2/4, ASA (12 + 40 + 5) / 3 = 19;
call FCR 2 of 3 handled. Stream time: c-5's abandon, 10:50:08.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.connect_records import abandoned, answered

DAY = datetime(2026, 10, 14, tzinfo=UTC)
P1, P2, P3 = "+1 (212) 555-0101", "tel:+12125550102", "+12125550103"
STREAM_TIME = "2026-10-14T10:50:08Z"


def _at(hour: int, minute: int) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def records() -> dict[str, dict[str, Any]]:
    """The records by name; `c-2-changed` is c-2 re-delivered after an update."""
    return {
        "c-1": answered("c-1", P1, _at(10, 0), wait=12, talk=240, hold=30, acw=45),
        "c-2": answered("c-2", P2, _at(10, 10), wait=40, talk=300, hold=0, acw=60),
        "c-2-changed": answered(
            "c-2",
            P2,
            _at(10, 10),
            wait=40,
            talk=300,
            hold=0,
            acw=90,
            resolved="false",
            updated_after=7200,
        ),
        "c-3": abandoned("c-3", P3, _at(10, 20), wait=40),
        "c-4": answered("c-4", P1, _at(10, 40), wait=5, talk=100, hold=20, acw=30),
        "c-5": abandoned("c-5", P3, _at(10, 50), wait=3),
    }


def delivery_order() -> list[dict[str, Any]]:
    """At least once and out of order: c-4 before c-1, c-2 twice, then its changed copy."""
    r = records()
    return [r["c-2"], r["c-4"], r["c-1"], r["c-2"], r["c-3"], r["c-2-changed"], r["c-5"]]


EXPECTED_24H = {
    "aht_mean_seconds": (275.0, 3),
    "abandonment_rate": (0.25, 4),
    "service_level": (0.5, 4),
    "asa_seconds": (19.0, 3),
    "fcr_calls_rate": (2 / 3, 3),
}
