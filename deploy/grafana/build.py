"""Build the slawatch Grafana dashboards into deploy/grafana/dashboards/*.json.

Why generated: the panels of each KPI share one shape, and every query must use only
metric names of docs/metrics.md; the builder keeps both true, and
tests/deploy/test_grafana_dashboards.py checks the committed JSON equals a fresh build.

Usage (from the repository root): python -m deploy.grafana.build [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from deploy.grafana import agreement, overview, pipeline
from deploy.grafana.panels import Json

OUT_DIR = Path(__file__).resolve().parent / "dashboards"
DASHBOARDS: dict[str, Callable[[], Json]] = {
    "overview.json": overview.build,
    "agreement.json": agreement.build,
    "pipeline.json": pipeline.build,
}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {
        name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the slawatch Grafana dashboards.")
    parser.add_argument("--check", action="store_true", help="exit 1 if any file is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = OUT_DIR / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
            continue
        path.write_text(text)
        print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run python -m deploy.grafana.build", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
