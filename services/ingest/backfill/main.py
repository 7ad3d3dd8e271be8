"""`slawatch-backfill CONNECTOR_ID FILE...`: a tool's export into the v1 topics.

    slawatch-backfill acme-connect ctr-2026-09.jsonl ctr-2026-10.jsonl \
        --checkpoint acme-connect.backfill.json

The connector is one configured through the API: its tool picks the export format (`--format`
when it reads several), and its stored configuration (pseudonym key included) maps the
records exactly as its live path does. Prints a progress bar per file; interrupted (Ctrl-C, a
broker outage), the same command resumes from the checkpoint. Run twice, it publishes
nothing the second time; with `--restart` it publishes again, and the engine drops the
copies by event id. Refused records become the connector's dead letters.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from services.core.settings import ConnectorsSettings, DatabaseSettings, KafkaSettings
from services.ingest.backfill.checkpoint import Checkpoint, load
from services.ingest.backfill.formats import export_format
from services.ingest.backfill.runner import BackfillReport, backfill
from services.ingest.backfill.runner import Progress as OnProgress
from services.ingest.connectors.stored import stored_connector
from services.ingest.publisher import KafkaEventPublisher


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="slawatch-backfill", description=__doc__.split("\n")[0])
    parser.add_argument("connector_id", help="the connector (as configured through the API)")
    parser.add_argument("files", nargs="+", type=Path, help="export files, read in this order")
    parser.add_argument("--format", dest="export_format", help="export format (default: first)")
    parser.add_argument("--checkpoint", type=Path, help="resume file (default: none)")
    parser.add_argument("--restart", action="store_true", help="ignore the checkpoint")
    parser.add_argument("--batch-events", type=int, default=1000)
    return parser.parse_args(argv)


async def run_backfill(
    args: argparse.Namespace,
    kafka: KafkaSettings,
    database: DatabaseSettings,
    connectors: ConnectorsSettings,
) -> BackfillReport:
    """The command without its argument parsing: what tests call."""
    async with stored_connector(args.connector_id, database, connectors) as connector:
        active = await connector.active()
        fmt = export_format(active.tool, args.export_format)
        if args.restart:
            checkpoint = Checkpoint(active.agreement_id, args.connector_id, fmt.name)
        else:
            checkpoint = load(args.checkpoint, active.agreement_id, args.connector_id, fmt.name)
        publisher = KafkaEventPublisher(kafka.bootstrap_servers, kafka.topic_prefix)
        await publisher.start()
        console = Console(stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn())
        try:
            with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
                return await backfill(
                    args.files,
                    fmt,
                    active.settings,
                    publisher,
                    connector,
                    checkpoint,
                    args.checkpoint,
                    _progress_of(bar),
                    args.batch_events,
                )
        finally:
            await publisher.stop()


def _progress_of(bar: Progress) -> OnProgress:
    tasks: dict[Path, TaskID] = {}

    def progress(path: Path, position: int, total: int) -> None:
        if path not in tasks:
            tasks[path] = bar.add_task(path.name, total=total)
        bar.update(tasks[path], completed=position)

    return progress


def run(argv: Sequence[str] | None = None) -> None:
    """Entry point of `slawatch-backfill`."""
    args = parse_args(argv)
    settings = (KafkaSettings(), DatabaseSettings(), ConnectorsSettings())
    report = asyncio.run(run_backfill(args, *settings))
    print(json.dumps(report.__dict__), file=sys.stdout)
    if report.refused:
        print(f"{report.refused} records refused: the connector's dead letters", file=sys.stderr)


if __name__ == "__main__":
    run()
