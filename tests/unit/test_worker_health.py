"""A worker that cannot make progress says so: /readyz 503 and slawatch_worker_ready 0."""

from __future__ import annotations

import itertools
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from services.metrics.health import Progress, make_app, serve
from services.metrics.instruments import Instruments
from services.metrics.publishing import Backoff


def test_idle_or_moving_is_ready_waiting_without_batches_is_not() -> None:
    progress = Progress(stall_seconds=60)
    progress.lag_seen("tickets", 0, now=0)
    assert progress.problems(1000) == []
    progress.lag_seen("tickets", 70, now=1000)
    assert progress.problems(1059) == []
    progress.lag_seen("tickets", 70, now=1059)  # still waiting: the clock is not restarted
    assert progress.problems(1060) == ["tickets: 70 events waiting, no batch done for 60 s"]
    progress.batch_done("tickets")
    assert progress.problems(1061) == []


def test_failing_flushes_make_the_worker_unready_until_one_succeeds() -> None:
    progress = Progress(stall_seconds=60)
    progress.flush_done(False, now=0)
    progress.flush_done(False, now=30)
    assert progress.problems(59) == []
    assert progress.problems(61) == ["flushes to PostgreSQL failing for 61 s"]
    progress.flush_done(True, now=62)
    assert progress.problems(63) == []


def test_the_ready_gauge_follows_the_judgement() -> None:
    inst = Instruments()
    inst.progress.stall_seconds = 10
    assert inst.registry.get_sample_value("slawatch_worker_ready") == 1
    inst.progress.lag_seen("calls", 5, now=0)
    assert inst.judge_progress(now=11)
    assert inst.registry.get_sample_value("slawatch_worker_ready") == 0
    inst.batch_done("calls", now=12)
    assert inst.judge_progress(now=12) == []
    assert inst.registry.get_sample_value("slawatch_worker_ready") == 1


@pytest.fixture
def server_url() -> Iterator[tuple[Instruments, list[float], str]]:
    inst = Instruments()
    clock = [0.0]
    httpd = serve(make_app(inst.registry, inst.progress, lambda: clock[0]), "127.0.0.1", 0)
    yield inst, clock, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_readyz_answers_503_with_the_reason_and_metrics_are_still_served(
    server_url: tuple[Instruments, list[float], str],
) -> None:
    inst, clock, url = server_url
    with urllib.request.urlopen(f"{url}/readyz", timeout=10) as response:
        assert (response.status, response.read()) == (200, b"ready\n")
    inst.progress.lag_seen("tickets", 3, now=0)
    clock[0] = 500.0
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{url}/readyz", timeout=10)
    assert raised.value.code == 503
    assert b"tickets: 3 events waiting" in raised.value.read()
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        assert b"slawatch_worker_up 1.0" in response.read()


def test_rows_not_reaching_the_producer_make_the_worker_unready_at_once() -> None:
    progress = Progress(stall_seconds=60)
    progress.publish_done("calls", False, now=10)
    progress.publish_done("calls", False, now=20)  # still failing: the clock is not restarted
    assert progress.problems(25) == ["calls: state rows not reaching the Kafka producer for 15 s"]
    progress.publish_done("calls", True, now=26)
    assert progress.problems(27) == []


def test_publish_retries_back_off_from_a_tenth_of_a_second_to_five() -> None:
    delays = list(itertools.islice(Backoff().delays(), 9))
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]
