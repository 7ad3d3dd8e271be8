"""The sink's open-ticket rows: one row no deadline can be computed for (restored from a
changelog written before the engine refused such dates) must not stop every other row."""

from __future__ import annotations

from pathlib import Path

from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.engine import Engine
from services.core.kpi.params import load_measurement_params
from services.core.kpi.retention import Retention
from services.metrics.sink import open_ticket_changes

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
A = "acme-helpdesk"  # Europe/Berlin, with a business calendar


def row(ticket: str, at: float) -> dict[str, object]:
    created = {"t": at, "r": 0, "id": f"c-{ticket}", "k": "ticket.created", "priority": "low"}
    return {"p": 0, "o": 1, "a": A, "ev": [created], "facts": [], "x": at + 1e9}


def test_a_year_one_ticket_row_is_left_out_and_the_others_are_saved() -> None:
    year_one = -62135596800.0  # 0001-01-01T00:00:00Z: local date and the day before: year 0
    store = {
        keys.entity(f"{A}/old"): row("old", year_one),
        keys.entity(f"{A}/new"): row("new", 1790000000.0),
    }
    engine = Engine(Family.TICKETS, store, PARAMS, Retention())
    upserts, deletes = open_ticket_changes(engine, {0}, set(store))
    assert [u.ticket_id for u in upserts] == ["new"]
    assert deletes == []
