"""`make demo`: the whole slawatch stack on this machine, with simulated traffic.

Kafka, PostgreSQL, migrations, the agreements, ingest, metrics worker(s), the API and the
simulator; logs in .run/logs/. First the history since the start of last month is simulated
and last month's reports are issued, then live traffic runs until Ctrl-C (or DEMO_SECONDS).
On exit it stops everything it started, and leaves alone a Kafka or PostgreSQL that was
already running. Settings: scripts/launcher/demo_config.py.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from scripts import kpi_table
from scripts.launcher.demo_config import ConfigError, DemoConfig
from scripts.launcher.infra import Infra, service_env
from scripts.launcher.processes import StartupError
from scripts.launcher.stack import DEMO_AGREEMENTS, Stack, StackSettings
from services.core.reviews.quarters import quarter_of

REPORT_AGREEMENT = "acme-helpdesk"
DEMO_ZONE = "Europe/Berlin"  # the zone of the demo agreement's calendar


def log(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def simulate_history(stack: Stack, config: DemoConfig) -> tuple[str, int]:
    """Simulate everything since the start of last month; returns (period, epoch it reaches)."""
    from services.core.reports.job import history_span  # heavy imports: only when needed
    from services.core.reports.lifecycle import utcnow

    period, hours = history_span(utcnow())
    logs = config.run_dir / "logs"
    log(
        f"simulating the history since {period} ({hours} h at {config.history_rate}/min;"
        f" log {logs}/history.log)"
    )
    args = ["--ingest-url", stack.ingest_url, "--agreements-file", str(DEMO_AGREEMENTS)]
    args += ["--rate", config.history_rate, "--backfill-hours", str(hours), "--seconds", "1"]
    if config.seed is not None:
        args += ["--seed", str(config.seed + 1)]
    stack.step("history", ["-m", "services.simulator.main", *args])
    return period, int(time.time())


def issue_reports(stack: Stack, config: DemoConfig, period: str, history_end: int) -> None:
    logs = config.run_dir / "logs"
    log(f"issuing the reports due now (last month: {period}; log {logs}/report-job.log)")
    wait = ["--wait-seconds", config.report_wait, "--history-end", str(history_end)]
    stack.step("report-job", ["-m", "services.core.reports.job", *wait])
    for line in (logs / "report-job.log").read_text(errors="replace").splitlines():
        if "issued" in line or "report mail" in line:
            print(line[:220], file=sys.stderr)
    reports = f"{stack.api_url}/v1/agreements/{REPORT_AGREEMENT}/reports"
    print(f"""
  Last month's report ({period}), with the admin key below:
    list          curl -H "Authorization: Bearer $KEY" {reports}
    JSON          curl -H "Authorization: Bearer $KEY" {reports}/{period}
    HTML (zh-CN)  curl -H "Authorization: Bearer $KEY" -o report.html {reports}/{period}.html
    HTML (en)     curl -H "Authorization: Bearer $KEY" -o report-en.html "{reports}/{period}.html?lang=en"
    PDF           curl -H "Authorization: Bearer $KEY" -o report.pdf {reports}/{period}.pdf""")  # noqa: E501


def review_pack_line(api_url: str, admin_token: str, today: date) -> str:
    """The current quarter's review pack (docs/reviews.md): admins see its live draft."""
    quarter = quarter_of(today)
    reviews = f"{api_url}/v1/agreements/{REPORT_AGREEMENT}/reviews"
    return (
        f'    review pack   curl -H "Authorization: Bearer {admin_token}" -o review.html \\\n'
        f"                       {reviews}/{quarter}.html  ({quarter}; .pdf; JSON without suffix)"
    )


def banner(stack: Stack, config: DemoConfig) -> str:
    today = datetime.now(ZoneInfo(DEMO_ZONE)).date()
    return f"""
  slawatch demo is running (logs in {config.run_dir / "logs"}):
    API docs      {stack.api_url}/docs  ("Authorize" with the admin key below)
    API metrics   {stack.api_url}/metrics  (Bearer token in {config.run_dir}/api-metrics-token)
    worker        {stack.worker_url()}/metrics
    admin key     KEY={config.admin_token}  (demo only; API and ingest)
    KPIs          curl -H "Authorization: Bearer {config.admin_token}" \\
                       {stack.api_url}/v1/agreements/{REPORT_AGREEMENT}/kpis
{review_pack_line(stack.api_url, config.admin_token, today)}
"""


def connectors_key(run_dir: Path, env: Mapping[str, str] = os.environ) -> str:
    """CONNECTORS_SECRETS_KEY from the environment, else the demo's own Fernet key, kept in
    the run folder: connector secrets stored by one demo must still open in the next."""
    given = env.get("CONNECTORS_SECRETS_KEY")
    if given:
        return given
    path = run_dir / "connectors-secrets-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(Fernet.generate_key().decode())
    return path.read_text().strip()


def stack_settings(config: DemoConfig) -> StackSettings:
    keys = {
        "AUTH_BOOTSTRAP_ADMIN_TOKEN": config.admin_token,
        "API_METRICS_TOKEN": config.metrics_token,
        "CONNECTORS_SECRETS_KEY": connectors_key(config.run_dir),
    }
    keys |= {"SIMULATOR_API_KEY": config.admin_token, "SLAWATCH_API_KEY": config.admin_token}
    return StackSettings(
        env={**service_env(), **keys},
        log_dir=config.run_dir / "logs",
        data_dir=config.run_dir,
        api_port=config.api_port,
        ingest_port=config.ingest_port,
        prometheus_port_base=config.prometheus_port_base,
        workers=config.workers,
        api_env={"REPORT_SCHEDULE_INTERVAL_SECONDS": config.report_interval},
        own_session=True,
    )


def run(config: DemoConfig, stack: Stack) -> int:
    """Everything after the infrastructure is up; returns the exit status."""
    stack.prepare()
    token_file = config.run_dir / "api-metrics-token"  # read by prometheus.local.yml
    token_file.touch(mode=0o600)
    token_file.write_text(config.metrics_token)
    stack.start()
    log(f"ingest, {config.workers} metrics worker(s) and API are up")
    period, history_end, backfill = None, 0, config.backfill_hours
    if config.report_history:
        period, history_end = simulate_history(stack, config)
        backfill = "0"  # older events than the watermark minus the lateness would be late
    live = ["--ingest-url", stack.ingest_url, "--agreements-file", str(DEMO_AGREEMENTS)]
    live += ["--rate", config.rate, "--backfill-hours", backfill, "--seconds", "0"]
    stack.start_simulator(
        [*live, *(["--seed", str(config.seed)] if config.seed is not None else [])]
    )
    if period is not None:
        issue_reports(stack, config, period, history_end)
    print(banner(stack, config), flush=True)
    if config.seconds is None:
        log("press Ctrl-C to stop")
    else:
        log(f"running for {config.seconds}s")
    end = None if config.seconds is None else time.monotonic() + config.seconds
    while end is None or time.monotonic() < end:
        stack.check_alive()
        time.sleep(1)  # a watch over running processes, not a wait for one
    stack.check_alive()
    table = ["--api-url", stack.api_url, "--window", "24h", "--wait-seconds", config.table_wait]
    return kpi_table.main([*table, "--api-key", config.admin_token])


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    try:
        config = DemoConfig.from_env()
    except ConfigError as error:
        log(f"ERROR: {error}")
        return 1
    for port in config.ports:
        if port_open(port):
            log(f"ERROR: port {port} is in use (another demo running?); free it first")
            return 1
    (config.run_dir / "logs").mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _terminated)
    infra = Infra(log)
    stack: Stack | None = None
    status = 1
    try:
        infra.up()
        stack = Stack(stack_settings(config), log)
        status = run(config, stack)
    except KeyboardInterrupt:
        # Ctrl-C is the normal way to end an open-ended demo: not an error then.
        status = 0 if config.seconds is None else 130
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    except StartupError as error:
        log(f"ERROR: {error}")
    finally:
        # One orderly stop; a second Ctrl-C must not cut it short (every wait is bounded).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack is not None and stack.processes:
            log("shutting down")
            stack.stop()
        infra.down()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
