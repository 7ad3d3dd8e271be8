"""Every dashboard and rule query against a real Prometheus scraping a real API and worker.

The API (uvicorn, loopback port) and a metrics worker process run on a history of events
(tests/histories.py); a real `prometheus` scrapes both every second with the committed
rules. Every query of `deploy.grafana.queries.all_queries()` must run without error, and
every dashboard query must return data: so a renamed metric or label cannot leave a panel
silently empty.

The dashboards show one agreement; it gets "probe" targets on every KPI, chosen so that
whatever the figures, some target on each KPI is breached and another is at risk (a share v
in 0..1 is below 1 or above 0). Then every leg of every panel (target, baseline, at-risk
edge, "at risk" and "breached" overlays) has something to show.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import SecretStr

from deploy.grafana.queries import all_queries
from services.api.main import create_app
from services.core.agreements.targets import RATIO_KPIS
from services.core.contract.topics import Family, topic_name
from services.core.kpi.figures import FIGURE_NAMES
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from tests.auth import ADMIN
from tests.histories import HistorySpec, generate
from tests.integration.prom_server import free_port, prometheus, served
from tests.integration.stack import (
    WorkerProcess,
    create_topics,
    produce,
    produce_raw,
    renamed,
    worker_env,
    write_agreements,
)

pytest_plugins = ["tests.integration.db_fixtures"]
SUBJECT = "acme-helpdesk"
BUDGET_SECONDS = 80.0
SCRAPE_TOKEN = "scrape_token_for_live_tests_0123456789"
# Without reopens weeks later: they would move stream time past every FCR credit's horizon,
# and the panels of `fcr_provisional` need credits still provisional at the end.
SPEC = HistorySpec(tickets=240, calls=240, customers=20, late_reopen_rate=0.0, resent_days_rate=0.0)
# Dashboard queries allowed to return nothing in a short run, and why (none so far: the
# probe targets and the dead letter below give every panel data).
MAY_BE_EMPTY: dict[str, str] = {}


def probe_targets() -> list[dict[str, Any]]:
    """Per KPI: targets that are certainly breached and certainly at risk (see above)."""
    probes = []
    for kpi in FIGURE_NAMES:
        if kpi in RATIO_KPIS:  # v in 0..1: v < 1 or v > 0, and 0 <= v < 1 or 0 < v <= 1
            shapes = [("hi", "at_least", 1.0, 0.0), ("lo", "at_most", 0.0, 0.0)]
            shapes += [("up", "at_least", 0.0, 1.0), ("down", "at_most", 1.0, 1.0)]
            baseline = 0.5
        else:  # v >= 0 > -1; -1e12 < v <= 1e12
            shapes = [("breach", "at_most", -1.0, 0.0), ("risk", "at_most", 1e12, 2e12)]
            baseline = 1.0
        probes += [
            {
                "target_id": f"probe-{kpi}-{name}",
                "kpi": kpi,
                "target": target,
                "baseline": baseline,
                "direction": direction,
                "window": "30d",
                "at_risk_band": band,
                "effective_from": "2026-01-01T00:00:00Z",
            }
            for name, direction, target, band in shapes
        ]
    return probes


def with_probes(path: Path, agreement_id: str) -> None:
    raw = yaml.safe_load(path.read_text())
    subject = next(a for a in raw["agreements"] if a["agreement_id"] == agreement_id)
    subject["targets"] = [*subject.get("targets", []), *probe_targets()]
    path.write_text(yaml.safe_dump(raw))


async def test_every_query_runs_and_every_panel_has_data(
    tmp_path: Path, topic_prefix: str, kafka_bootstrap: str, migrated_database: str
) -> None:
    started = time.monotonic()
    agreements, mapping = write_agreements(tmp_path, topic_prefix)
    subject = mapping[SUBJECT]
    with_probes(agreements, subject)
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    await create_topics(kafka_bootstrap, topic_prefix, 4)
    api_port, worker_port = free_port(), free_port()
    token = tmp_path / "api-metrics-token"
    token.write_text(SCRAPE_TOKEN + "\n")  # /metrics needs it (docs/security.md)
    app = create_app(
        ApiSettings(agreements_file=agreements, metrics_token=SecretStr(SCRAPE_TOKEN)),
        DatabaseSettings(database_url=migrated_database),
        kafka,
        refresh_interval_seconds=1,
        security=ADMIN,
    )
    env = worker_env(topic_prefix, agreements, migrated_database, kafka_bootstrap, tmp_path)
    worker = WorkerProcess({**env, "METRICS_PROMETHEUS_PORT": str(worker_port)}, tmp_path / "w.log")
    jobs = {
        "slawatch-api": [f"127.0.0.1:{api_port}"],
        "slawatch-worker": [f"127.0.0.1:{worker_port}"],
    }
    async with served(app, api_port), httpx.AsyncClient(timeout=10) as http:
        worker.start()
        try:
            with prometheus(tmp_path, jobs, {"slawatch-api": token}) as prom:
                events = renamed(generate(7, SPEC), mapping)
                await produce(kafka_bootstrap, topic_prefix, events)
                bad = topic_name(topic_prefix, Family.TICKETS)
                await produce_raw(kafka_bootstrap, bad, [(b"x", b"not json")])  # a dead letter
                await prom.wait_targets_up(http, 2, BUDGET_SECONDS - (time.monotonic() - started))
                queries = all_queries({"agreement": subject})
                # The rules are loaded and evaluated: a recording of theirs has data too.
                queries.append(
                    ("recorded burn rate", "agreement_target:slawatch_sla_burn_rate:30d")
                )
                empty = await until_all_have_data(prom, http, queries, started)
        finally:
            worker.stop()
    missing = {w: e for w, e in empty.items() if w not in MAY_BE_EMPTY}
    assert not missing, "dashboard queries without data:\n" + "\n".join(missing)
    assert time.monotonic() - started < 90


async def until_all_have_data(
    prom: Any, http: httpx.AsyncClient, queries: list[tuple[str, str]], started: float
) -> dict[str, str]:
    """Run every query until each dashboard query has data or the budget is spent; fail at
    once on a query error. Returns the dashboard queries still without data."""
    pending = dict(queries)
    while True:
        for where, expr in list(pending.items()):
            body = await prom.query(http, expr)
            assert body["status"] == "success", f"{where}: {expr}\n{body}"
            rules = ".rules.yml" in where  # rules must run; alerts need not fire
            if rules or body["data"]["result"] or where in MAY_BE_EMPTY:
                del pending[where]
        if not pending or time.monotonic() - started > BUDGET_SECONDS - 5:
            return pending
        await asyncio.sleep(1.0)
