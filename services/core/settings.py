"""Settings from environment variables, one class per concern.

Every default points at the local stack started by `scripts/infra/`; production sets the
variables. The README's configuration table lists the same names and defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://slawatch:slawatch@127.0.0.1:15432/slawatch"
MIN_BOOTSTRAP_TOKEN_LENGTH = 24


def _usable(token: SecretStr | None) -> SecretStr | None:
    """A shared-secret setting: unset when blank, refused when short enough to guess."""
    # `AUTH_BOOTSTRAP_ADMIN_TOKEN=` (empty) must not make the empty token a valid credential.
    if token is None or not token.get_secret_value().strip():
        return None
    if len(token.get_secret_value()) < MIN_BOOTSTRAP_TOKEN_LENGTH:
        raise ValueError(f"must be at least {MIN_BOOTSTRAP_TOKEN_LENGTH} characters long")
    return token


S = TypeVar("S", bound=BaseSettings)


def from_environment(cls: type[S]) -> S:
    """`cls()` read from the environment, or exit naming each variable that is missing or
    wrong (`CONNECT_BRIDGE_CONNECTOR_ID: Field required`) instead of a traceback."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        lines = [
            f"{prefix}{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        ]
        raise SystemExit("configuration from the environment:\n  " + "\n  ".join(lines)) from None


class KafkaSettings(BaseSettings):
    """Where the broker is and how topics are named (env prefix `KAFKA_`)."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:19092"
    topic_prefix: str = "slawatch"
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)


class DatabaseSettings(BaseSettings):
    """PostgreSQL connection (`DATABASE_URL`, SQLAlchemy async URL with asyncpg)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    database_pool_size: int = Field(default=5, ge=1)


class IngestSettings(BaseSettings):
    """The HTTP ingest service (env prefix `INGEST_`)."""

    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8001
    max_batch_events: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    # How long a request waits for the broker's acknowledgement before answering 503: short,
    # so a broker outage gets a quick answer the client can retry (copies are dropped by
    # event_id), not a request held for the producer's whole retry budget.
    publish_timeout_seconds: float = Field(default=5.0, gt=0)
    # A request body must be complete this long after the request started (else 408).
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    # The accepted range of occurred_at (services/core/contract/event_range.py, docs/kpis.md).
    max_future_seconds: float = Field(default=300.0, ge=0)
    max_days_before_term: float = Field(default=366.0, ge=0)
    # How long a known agreement (and its term) is remembered before it is read again; an
    # id not found is looked up again on every request, so a new agreement is usable at once.
    agreements_cache_seconds: float = Field(default=30.0, ge=0)


class ConnectorsSettings(BaseSettings):
    """Tool connectors (env prefix `CONNECTORS_`; docs/connectors.md)."""

    model_config = SettingsConfigDict(env_prefix="CONNECTORS_", extra="ignore")

    # Fernet key(s) sealing connector secrets and pseudonym keys in PostgreSQL, comma-separated
    # (the first encrypts, all decrypt); make one with
    # `python -m services.core.connectors.secret_box`.
    secrets_key: SecretStr | None = None
    # How long ingest keeps a connector's configuration before reading it again: a change
    # through the API applies within this time, with no restart.
    config_cache_seconds: float = Field(default=5.0, ge=0)
    # Retention of the raw-payload topic ({prefix}.raw.v1), what `replay` can re-derive from.
    raw_retention_days: float = Field(default=14.0, gt=0)
    # Dead letters (payloads that could not be mapped) are pruned after this many days.
    dead_letter_retention_days: float = Field(default=14.0, gt=0)


class MetricsSettings(BaseSettings):
    """The Faust metrics worker (env prefix `METRICS_`)."""

    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore")

    app_id: str = "slawatch-metrics"
    web_port: int = 0
    prometheus_port: int = 9108
    prometheus_bind: str = "127.0.0.1"
    data_dir: Path = Path(".run/faust")
    agreements_file: Path = Path("deploy/agreements/demo.yaml")
    allowed_lateness_seconds: float = Field(default=3600.0, ge=0)
    # Events dated further than this after the worker's clock are dead-lettered as
    # `out_of_range`: one event from the future must not move its agreement's stream time.
    max_ahead_seconds: float = Field(default=3600.0, gt=0)
    # Not ready (/readyz 503, slawatch_worker_ready 0) when events wait this long with no
    # batch done, or flushes to PostgreSQL fail this long.
    stall_seconds: float = Field(default=120.0, gt=0)
    flush_interval_seconds: float = Field(default=2.0, gt=0)
    # An agent applies up to this many events, then writes each changed row once; a batch
    # closes early when no more events come within the wait.
    batch_max_events: int = Field(default=1000, ge=1)
    batch_wait_seconds: float = Field(default=0.2, gt=0)
    snapshot_interval_seconds: float = Field(default=60.0, gt=0)
    snapshot_retention_days: float = Field(default=400.0, gt=0)
    broker_session_timeout_seconds: float = Field(default=30.0, gt=0)
    # An event of an agreement the worker does not know yet holds its batch this long for
    # the agreement to arrive on the agreements topic, then is dead-lettered (0: no wait).
    agreement_wait_seconds: float = Field(default=30.0, ge=0)
    # Breakdowns by priority, channel, queue, agent and team (docs/kpis.md, "Breakdowns"):
    # METRICS_BREAKDOWNS=off keeps the totals only; each agreement keeps at most
    # breakdown_max_values values per dimension, later ones count as "other".
    breakdowns: bool = True
    breakdown_max_values: int = Field(default=100, ge=1)


class ApiSettings(BaseSettings):
    """The query API (env prefix `API_`)."""

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    # Only a seed: its agreements missing from PostgreSQL are created at start-up.
    agreements_file: Path = Path("deploy/agreements/demo.yaml")
    # Prometheus sends it as `Authorization: Bearer` to read /metrics (every client's figures);
    # admin API keys may read /metrics too (docs/security.md).
    metrics_token: SecretStr | None = None
    # The SLA status outbox relay (services/api/status_relay.py, docs/sla.md): how often it
    # looks for events, how long it waits for acknowledgements before logging a warning (it
    # keeps waiting: a send is never repeated while in flight), how long sent rows are kept.
    status_relay_interval_seconds: float = Field(default=1.0, gt=0)
    status_ack_timeout_seconds: float = Field(default=30.0, gt=0)
    status_outbox_retention_days: float = Field(default=7.0, gt=0)

    @field_validator("metrics_token")
    @classmethod
    def _usable_metrics_token(cls, token: SecretStr | None) -> SecretStr | None:
        return _usable(token)


class SecuritySettings(BaseSettings):
    """API keys of the API and ingest (env prefix `AUTH_`; docs/security.md)."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    # Off only for local experiments: every request then acts as an admin.
    enabled: bool = True
    # Accepted as an admin key without a database lookup: for the demo and the first setup
    # (create real keys with `python -m services.admin.api_keys`, then unset it).
    bootstrap_admin_token: SecretStr | None = None

    @field_validator("bootstrap_admin_token")
    @classmethod
    def _usable_token(cls, token: SecretStr | None) -> SecretStr | None:
        return _usable(token)


class ReportSettings(BaseSettings):
    """Monthly reports: the scheduled job and the mail (env prefix `REPORT_`; docs/reports.md)."""

    model_config = SettingsConfigDict(env_prefix="REPORT_", extra="ignore")

    schedule_enabled: bool = Field(
        default=True,
        description="Run the report job in this API process (one replica per run, by lock).",
    )
    schedule_interval_seconds: float = Field(
        default=300.0, gt=0, description="Seconds between two runs of the report job."
    )
    allowed_lateness_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="A month closes this long after its end; equal to the worker's lateness.",
    )
    mail_mode: str = Field(
        default="log",
        pattern="^(smtp|log|off)$",
        description="`smtp` sends issued reports, `log` logs the mail (demo), `off` sends none.",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP relay host.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP relay port.")
    smtp_starttls: bool = Field(default=False, description="Use STARTTLS with the relay.")
    smtp_username: str | None = Field(default=None, description="SMTP login, if needed.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password, if needed.")
    mail_from: str = Field(
        default="slawatch-reports@localhost", description="Sender address of report mails."
    )
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Bound on one SMTP delivery."
    )
