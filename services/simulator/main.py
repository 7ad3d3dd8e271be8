"""Live traffic for the demo: backfill some hours of history, then post events every second.

Run `python -m services.simulator.main --help`. The clock is the wall clock: events carry
their real instants, so the API's rolling windows fill as a real contact center would.
SIGINT/SIGTERM stop it after the batch in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.core.kpi.params import load_measurement_params
from services.simulator.model import Rates, TrafficModel
from services.simulator.sender import IngestSender, IngestUnavailable, Totals

log = logging.getLogger("slawatch.simulator")

BACKFILL_SLICE_SECONDS = 300.0  # history is generated and sent in slices to bound memory
REPORT_EVERY_SECONDS = 10.0


@dataclass(frozen=True)
class Options:
    """What to simulate and where to send it (the command line, parsed)."""

    ingest_url: str = "http://127.0.0.1:8001"
    agreements_file: Path = Path("deploy/agreements/demo.yaml")
    rate: float = 30.0
    call_rate: float | None = None
    backfill_hours: float = 2.0
    seconds: float = 0.0
    seed: int | None = None
    bad_share: float = 0.0
    retry_seconds: float = 60.0
    api_key: str | None = None  # sent as `Authorization: Bearer`; needs the publisher role


def parse_args(argv: list[str] | None = None) -> Options:
    p = argparse.ArgumentParser(prog="slawatch-simulator", description=__doc__)
    p.add_argument("--ingest-url", default=Options.ingest_url)
    p.add_argument("--agreements-file", type=Path, default=Options.agreements_file)
    p.add_argument("--rate", type=float, default=Options.rate, help="tickets/min/agreement")
    p.add_argument("--call-rate", type=float, help="calls/min/agreement (default: --rate)")
    p.add_argument("--backfill-hours", type=float, default=Options.backfill_hours)
    p.add_argument("--seconds", type=float, default=0.0, help="live run length, 0 = forever")
    p.add_argument("--seed", type=int, help="random seed (default: a fresh one, logged)")
    p.add_argument("--bad-share", type=float, default=0.0, help="share of bad events, 0..1")
    p.add_argument(
        "--api-key",
        default=os.environ.get("SIMULATOR_API_KEY"),
        help="ingest API key (publisher or admin); default: $SIMULATOR_API_KEY, which keeps "
        "it out of the process list",
    )
    a = p.parse_args(argv)
    if min(a.rate, a.call_rate or 0.0, a.backfill_hours, a.seconds) < 0:
        p.error("rates, --backfill-hours and --seconds must not be negative")
    if not 0 <= a.bad_share <= 1:
        p.error("--bad-share must lie in 0..1")
    return Options(
        ingest_url=a.ingest_url,
        agreements_file=a.agreements_file,
        rate=a.rate,
        call_rate=a.call_rate,
        backfill_hours=a.backfill_hours,
        seconds=a.seconds,
        seed=a.seed,
        bad_share=a.bad_share,
        api_key=a.api_key or None,
    )


async def simulate(
    opts: Options, stop: asyncio.Event, transport: httpx.AsyncBaseTransport | None = None
) -> Totals:
    """Backfill, then post live traffic until `stop` is set or `opts.seconds` have passed."""
    params = load_measurement_params(opts.agreements_file)
    seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(2**32)
    rates = Rates(
        tickets_per_minute=opts.rate,
        calls_per_minute=opts.rate if opts.call_rate is None else opts.call_rate,
    )
    now = time.time()
    start = now - opts.backfill_hours * 3600
    model = TrafficModel(params.values(), random.Random(seed), start, rates, opts.bad_share)
    log.info("simulating %s (seed %d) into %s", ", ".join(params), seed, opts.ingest_url)
    headers = {"Authorization": f"Bearer {opts.api_key}"} if opts.api_key else {}
    async with httpx.AsyncClient(transport=transport, timeout=30.0, headers=headers) as client:
        sender = IngestSender(client, opts.ingest_url, stop, opts.retry_seconds)
        while model.until < now and not stop.is_set():
            slice_end = min(model.until + BACKFILL_SLICE_SECONDS, now)
            await sender.send(model.events_between(model.until, slice_end))
        _report(f"backfilled {opts.backfill_hours:g} h", sender.totals)
        loop = asyncio.get_running_loop()
        finish = loop.time() + opts.seconds if opts.seconds > 0 else None
        next_report = loop.time() + REPORT_EVERY_SECONDS
        while not stop.is_set() and (finish is None or loop.time() < finish):
            tick = time.time()
            end = max(tick, model.until)
            await sender.send(model.events_between(model.until, end))
            if loop.time() >= next_report:
                _report("live", sender.totals)
                next_report += REPORT_EVERY_SECONDS
            pause = max(0.0, 1.0 - (time.time() - tick))
            if finish is not None:
                pause = min(pause, max(0.0, finish - loop.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
    _report("stopped", sender.totals)
    return sender.totals


def _report(stage: str, totals: Totals) -> None:
    accepted, rejected, failed = totals.accepted, totals.rejected, totals.failed
    log.info("%s: %d accepted, %d rejected, %d failed", stage, accepted, rejected, failed)


async def _main(opts: Options) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await simulate(opts, stop)
    except IngestUnavailable as exc:
        log.error("giving up: %s", exc)
        return 1
    return 0


def run(argv: list[str] | None = None) -> None:
    """Console entry point (`slawatch-simulator`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sys.exit(asyncio.run(_main(parse_args(argv))))


if __name__ == "__main__":
    run()
