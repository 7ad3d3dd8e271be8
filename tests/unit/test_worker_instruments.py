"""The worker's Prometheus instruments: distributions, lag, and no stale series."""

from __future__ import annotations

from services.core.contract.topics import Family
from services.core.kpi.facts import Fact, FactKind
from services.metrics.instruments import Instruments
from services.metrics.observe import update_gauges


def sample(inst: Instruments, name: str, labels: dict[str, str]) -> float | None:
    return inst.registry.get_sample_value(name, labels)


def test_new_facts_land_in_their_histograms() -> None:
    inst = Instruments()
    inst.observe_fact("a1", "acme", "high", Fact(FactKind.FIRST_RESPONSE, 0.0, 700.0))
    inst.observe_fact("a1", "acme", "", Fact(FactKind.CALL_OUTCOME, 0.0, 12.0, ok=True, flag=True))
    inst.observe_fact("a1", "acme", "", Fact(FactKind.CALL_OUTCOME, 0.0, 2.0, short=True))
    labels = {"agreement": "a1", "client": "acme", "priority": "high", "le": "900.0"}
    assert sample(inst, "slawatch_first_response_seconds_bucket", labels) == 1.0
    labels = {"agreement": "a1", "client": "acme", "priority": "high", "le": "600.0"}
    assert sample(inst, "slawatch_first_response_seconds_bucket", labels) == 0.0
    waits = {"agreement": "a1", "client": "acme"}
    assert sample(inst, "slawatch_answer_wait_seconds_count", waits) == 1.0  # short abandon out


def test_lag_is_highwater_minus_next_offset_and_forgotten_when_revoked() -> None:
    inst = Instruments()
    processed = {("p.tickets.v1", 0): 9, ("p.tickets.v1", 1): 4}
    update_gauges(inst, Family.TICKETS, "p.tickets.v1", {0, 1}, {0: 15, 1: 5}, processed)
    assert (
        sample(inst, "slawatch_worker_consumer_lag", {"topic": "p.tickets.v1", "partition": "0"})
        == 5
    )
    assert (
        sample(inst, "slawatch_worker_consumer_lag", {"topic": "p.tickets.v1", "partition": "1"})
        == 0
    )
    assert sample(inst, "slawatch_worker_owned_partitions", {"family": "tickets"}) == 2

    update_gauges(inst, Family.TICKETS, "p.tickets.v1", {1}, {1: 7}, processed)
    assert (
        sample(inst, "slawatch_worker_consumer_lag", {"topic": "p.tickets.v1", "partition": "0"})
        is None
    )
    assert (
        sample(inst, "slawatch_worker_consumer_lag", {"topic": "p.tickets.v1", "partition": "1"})
        == 2
    )
    assert sample(inst, "slawatch_worker_up", {}) == 1.0


def test_partitions_without_a_known_highwater_are_skipped() -> None:
    inst = Instruments()
    update_gauges(inst, Family.CALLS, "p.calls.v1", {0, 1}, {0: None, 1: 3}, {})
    assert (
        sample(inst, "slawatch_worker_consumer_lag", {"topic": "p.calls.v1", "partition": "0"})
        is None
    )
    assert (
        sample(inst, "slawatch_worker_consumer_lag", {"topic": "p.calls.v1", "partition": "1"}) == 3
    )
