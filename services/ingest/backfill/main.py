"""`slawatch-backfill CONNECTOR FILE... --agreement ID`: a tool's export into the v1 topics.

    slawatch-backfill connect ctr-2026-09.jsonl ctr-2026-10.jsonl --agreement acme-cn \
        --settings-file connect.json --checkpoint acme-cn.backfill.json

Prints a progress bar per file; interrupted (Ctrl-C, a broker outage), the same command
resumes from the checkpoint. Run twice, it publishes nothing the second time; with
`--restart` it publishes again, and the engine drops the copies by event id.
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

from services.core.settings import KafkaSettings
from services.ingest.backfill.checkpoint import Checkpoint, load
from services.ingest.backfill.formats import FORMATS, export_format
from services.ingest.backfill.rejects import FileDeadLetters
from services.ingest.backfill.runner import BackfillReport, backfill
from services.ingest.backfill.settings_file import read_settings
from services.ingest.publisher import KafkaEventPublisher


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="slawatch-backfill", description=__doc__.split("\n")[0])
    parser.add_argument("connector", choices=sorted(FORMATS), help="the tool's connector")
    parser.add_argument("files", nargs="+", type=Path, help="export files, read in this order")
    parser.add_argument("--agreement", required=True, help="the agreement the events belong to")
    parser.add_argument("--format", dest="export_format", help="export format (default: first)")
    parser.add_argument("--settings-file", type=Path, required=True, help="connector settings")
    parser.add_argument("--checkpoint", type=Path, help="resume file (default: none)")
    parser.add_argument("--restart", action="store_true", help="ignore the checkpoint")
    parser.add_argument("--dead-letters", type=Path, help="refused records (JSON lines)")
    parser.add_argument("--batch-events", type=int, default=1000)
    return parser.parse_args(argv)


async def run_backfill(args: argparse.Namespace, kafka: KafkaSettings) -> BackfillReport:
    """The command without its argument parsing: what tests call."""
    fmt = export_format(args.connector, args.export_format)
    settings = read_settings(args.settings_file, args.agreement, args.connector)
    if args.restart:
        checkpoint = Checkpoint(args.agreement, fmt.connector, fmt.name)
    else:
        checkpoint = load(args.checkpoint, args.agreement, fmt.connector, fmt.name)
    rejects = args.dead_letters or Path(f"{args.checkpoint or 'backfill'}.dead-letters.jsonl")
    publisher = KafkaEventPublisher(kafka.bootstrap_servers, kafka.topic_prefix)
    await publisher.start()
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            tasks: dict[Path, TaskID] = {}

            def progress(path: Path, position: int, total: int) -> None:
                if path not in tasks:
                    tasks[path] = bar.add_task(path.name, total=total)
                bar.update(tasks[path], completed=position)

            return await backfill(
                args.files,
                fmt,
                settings,
                publisher,
                FileDeadLetters(rejects),
                checkpoint,
                args.checkpoint,
                progress,
                args.batch_events,
            )
    finally:
        await publisher.stop()


def run(argv: Sequence[str] | None = None) -> None:
    """Entry point of `slawatch-backfill`."""
    args = parse_args(argv)
    report = asyncio.run(run_backfill(args, KafkaSettings()))
    print(json.dumps(report.__dict__), file=sys.stdout)
    if report.refused:
        print(f"{report.refused} records refused, see the dead-letters file", file=sys.stderr)


if __name__ == "__main__":
    run()
