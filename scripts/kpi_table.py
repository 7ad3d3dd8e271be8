#!/usr/bin/env python3
"""Print the current KPI figures of every agreement as a table, read from the slawatch API.

Why: the demo ends by showing what the stack measured; this reads
`GET /v1/agreements/{id}/kpis` (window `24h` by default) and needs only the stdlib and httpx.

Usage: kpi_table.py [--api-url URL] [--api-key TOKEN] [--agreement ID]... [--window 24h]
                    [--wait-seconds N]
The API key (any role that may read: viewer or admin) defaults to $SLAWATCH_API_KEY.
Without --agreement, the agreements come from `GET /v1/agreements`. With --wait-seconds, it
polls until every agreement has figures (or the time is up).
Exit status: 0 when every agreement has figures, 2 when only some do, 1 when none do.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import httpx

ROWS = (
    ("Tickets created", "tickets_created", "count"),
    ("FRT p90", "frt_p90_seconds", "duration"),
    ("FRT attainment", "frt_attainment", "ratio"),
    ("Resolution p90", "resolution_p90_seconds", "duration"),
    ("AHT (mean)", "aht_mean_seconds", "duration"),
    ("Service level", "service_level", "ratio"),
    ("Abandonment", "abandonment_rate", "ratio"),
    ("FCR", "fcr_rate", "ratio"),
    ("CSAT", "csat", "ratio"),
)
Figures = dict[str, dict[str, Any]]


def _value(value: float | None, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "ratio":
        return f"{value:.1%}"
    if kind == "count":
        return f"{value:.0f}"
    seconds = round(value)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (
        f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
    )


def cell(figure: dict[str, Any] | None, kind: str) -> str:
    """One figure as `value (n=...)`; a missing figure reads `- (n=0)`."""
    figure = figure or {}
    return f"{_value(figure.get('value'), kind)} (n={int(figure.get('n') or 0)})"


def has_data(figures: Figures) -> bool:
    return any(int((f or {}).get("n") or 0) > 0 for f in figures.values())


def fetch(client: httpx.Client, agreement_id: str, window: str) -> Figures:
    """The figures of one window of one agreement (empty before any data arrived)."""
    response = client.get(f"/v1/agreements/{agreement_id}/kpis")
    response.raise_for_status()
    windows = response.json().get("windows") or {}
    return dict((windows.get(window) or {}).get("figures") or {})


def _listing(client: httpx.Client) -> Any:
    response = client.get("/v1/agreements")
    response.raise_for_status()  # e.g. 401 without a valid --api-key
    return response.json()


def render(table: dict[str, Figures], window: str) -> str:
    """KPIs as rows, agreements as columns."""
    header = [f"KPI (window {window})", *table]
    lines = [header] + [[label, *(cell(f.get(key), kind) for f in table.values())]
                        for label, key, kind in ROWS]  # fmt: skip
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: list[str] | None = None, transport: httpx.BaseTransport | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--api-url", default="http://127.0.0.1:8000")
    p.add_argument("--agreement", action="append", default=[], help="repeatable")
    p.add_argument("--window", default="24h")
    p.add_argument("--wait-seconds", type=float, default=0.0)
    p.add_argument("--api-key", default=os.environ.get("SLAWATCH_API_KEY"), help="a read key")
    args = p.parse_args(argv)
    deadline = time.monotonic() + args.wait_seconds
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    with httpx.Client(
        base_url=args.api_url, timeout=10.0, transport=transport, headers=headers
    ) as client:
        while True:
            try:
                ids = args.agreement or [a["agreement_id"] for a in _listing(client)]
                table = {a: fetch(client, a, args.window) for a in ids}
                error = ""
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                table, error = {}, f"{type(exc).__name__}: {exc}"
            complete = bool(table) and all(has_data(f) for f in table.values())
            if complete or time.monotonic() >= deadline:
                break
            time.sleep(2.0)
    if error:
        print(f"kpi_table: cannot read the API at {args.api_url}: {error}", file=sys.stderr)
        return 1
    print(render(table, args.window))
    with_data = [a for a, f in table.items() if has_data(f)]
    if len(with_data) < len(table):
        missing = ", ".join(a for a in table if a not in with_data)
        print(f"kpi_table: no figures yet for {missing}", file=sys.stderr)
    return 0 if complete else 2 if with_data else 1


if __name__ == "__main__":
    sys.exit(main())
