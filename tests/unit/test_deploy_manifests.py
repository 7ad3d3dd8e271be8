"""Static checks of the deployable stack: Dockerfile, Compose file and Kubernetes manifests.

Neither a Docker engine nor a cluster is available where the suite runs, so these tests read
the files and catch what would otherwise only fail at `docker compose up` or `kubectl apply`:
a setting a service reads but nobody sets, clashing host ports, selectors that select
nothing, a Service port that points at no container port, a root or dev-extras image.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings
from sqlalchemy.engine import make_url

import services.core.settings as settings_module
from services.core.settings import (
    ApiSettings,
    ConnectorsSettings,
    DatabaseSettings,
    IngestSettings,
    KafkaSettings,
    MetricsSettings,
    ReportSettings,
    SecuritySettings,
)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
K8S = DEPLOY / "k8s"
# Written by the observability work; bind mounts into them are checked once they exist.
OBSERVABILITY_DIRS = {"prometheus", "alertmanager", "grafana"}
K8S_POD_SECURITY_UID = 10001  # the Dockerfile's USER, so runAsNonRoot can be verified

# Which settings classes each service reads (see the services' entry points).
SETTINGS_OF: dict[str, tuple[type[BaseSettings], ...]] = {
    "ingest": (
        KafkaSettings,
        DatabaseSettings,
        IngestSettings,
        SecuritySettings,
        ConnectorsSettings,
    ),
    "api": (
        KafkaSettings,
        DatabaseSettings,
        ApiSettings,
        SecuritySettings,
        ReportSettings,
        ConnectorsSettings,
    ),
    "metrics-worker": (KafkaSettings, DatabaseSettings, MetricsSettings),
    "migrate": (DatabaseSettings,),
    "simulator": (),  # command-line arguments only
}
ALL_SETTINGS = (KafkaSettings, DatabaseSettings, IngestSettings, MetricsSettings, ApiSettings)
ALL_SETTINGS += (SecuritySettings, ReportSettings, ConnectorsSettings)
APP_PREFIXES = ("KAFKA_", "DATABASE_", "INGEST_", "API_", "METRICS_", "AUTH_", "REPORT_")
APP_PREFIXES += ("CONNECTORS_",)
K8S_WORKLOADS = {
    "slawatch-ingest": "ingest",
    "slawatch-api": "api",
    "slawatch-metrics-worker": "metrics-worker",
    "slawatch-migrate": "migrate",
}
# Settings deployments leave at their code default on purpose, and why.
DEFAULTS_KEPT = {
    "INGEST_MAX_BATCH_EVENTS": "a limit of the ingest contract, not deployment tuning",
    "INGEST_MAX_BODY_BYTES": "a limit of the ingest contract, not deployment tuning",
    "INGEST_PUBLISH_TIMEOUT_SECONDS": "bounds an answer during a broker outage (docs/security.md)",
    "INGEST_BODY_TIMEOUT_SECONDS": "a limit of the ingest contract, not deployment tuning",
    "METRICS_ALLOWED_LATENESS_SECONDS": "a measurement rule (docs/kpis.md), same everywhere",
    "METRICS_MAX_AHEAD_SECONDS": "a measurement rule (docs/kpis.md), same everywhere",
    "METRICS_STALL_SECONDS": "when a stalled worker turns unready, tuned in code",
    "METRICS_FLUSH_INTERVAL_SECONDS": "freshness vs. write load, tuned in code",
    "METRICS_SNAPSHOT_INTERVAL_SECONDS": "the snapshot grid the API reads, tuned in code",
    "METRICS_BATCH_MAX_EVENTS": "throughput vs. latency, measured by `make bench`",
    "METRICS_BATCH_WAIT_SECONDS": "throughput vs. latency, measured by `make bench`",
    "METRICS_BROKER_SESSION_TIMEOUT_SECONDS": "Faust's default failure detection is fine",
    "INGEST_MAX_FUTURE_SECONDS": "the accepted event time range (docs/kpis.md), same everywhere",
    "INGEST_MAX_DAYS_BEFORE_TERM": "the accepted event time range (docs/kpis.md), same everywhere",
    "INGEST_AGREEMENTS_CACHE_SECONDS": "how stale a known agreement may be, tuned in code",
    "METRICS_AGREEMENT_WAIT_SECONDS": "how long a batch waits for a new agreement, tuned in code",
    "API_STATUS_RELAY_INTERVAL_SECONDS": "event latency vs. database polling, tuned in code",
    "API_STATUS_ACK_TIMEOUT_SECONDS": "only how often a slow broker is logged (docs/sla.md)",
    "API_STATUS_OUTBOX_RETENTION_DAYS": "how long sent events stay for inspection, same everywhere",
    "METRICS_BREAKDOWNS": "on everywhere; off only to measure its cost in `make bench`",
    "METRICS_BREAKDOWN_MAX_VALUES": "a memory bound per agreement (docs/kpis.md), tuned in code",
    "AUTH_ENABLED": "API keys are required in every deployment",
    "AUTH_BOOTSTRAP_ADMIN_TOKEN": "a demo/first-setup secret; deployments create keys instead",
    "CONNECTORS_CONFIG_CACHE_SECONDS": "how soon a connector change applies, tuned in code",
    "CONNECTORS_RAW_RETENTION_DAYS": "how long replay can reach back (docs/connectors.md)",
    "CONNECTORS_DEAD_LETTER_RETENTION_DAYS": "same as the raw payloads (docs/connectors.md)",
    "REPORT_SCHEDULE_INTERVAL_SECONDS": "how often the report job looks; months close hourly",
    "REPORT_SMTP_TIMEOUT_SECONDS": "a bound on one delivery, tuned in code",
    "REPORT_SMTP_STARTTLS": "set for a relay that offers STARTTLS",
    "REPORT_SMTP_USERNAME": "only for a relay that needs a login",
    "REPORT_SMTP_PASSWORD": "a secret, only for a relay that needs a login",
}


def env_names(*classes: type[BaseSettings]) -> set[str]:
    """The environment variables pydantic-settings reads for these classes."""
    names = set()
    for cls in classes:
        prefix = cls.model_config.get("env_prefix") or ""
        names |= {(prefix + field).upper() for field in cls.model_fields}
    return names


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


_VAR = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(value: object) -> str:
    """A Compose value as Compose sees it with no .env file: `${X:-d}` -> d, `${X}` -> ''."""
    return _VAR.sub(lambda m: m.group(2) or "", str(value)).replace("$$", "$")


# ---------------------------------------------------------------- every YAML file

YAML_FILES = sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")])


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_parses(path: Path) -> None:
    assert load_all(path), f"{path} holds no document"


def test_defaults_kept_are_real_settings() -> None:
    assert set(DEFAULTS_KEPT) <= env_names(*ALL_SETTINGS)


def test_every_settings_class_is_mapped_to_its_services() -> None:
    defined = {
        cls
        for cls in vars(settings_module).values()
        if isinstance(cls, type) and issubclass(cls, BaseSettings) and cls is not BaseSettings
    }
    assert defined == set(ALL_SETTINGS), "add the new class to SETTINGS_OF and ALL_SETTINGS"


# ---------------------------------------------------------------- Dockerfile


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [ln.strip() for ln in text.splitlines()]
    return [
        (ln.split(None, 1)[0].upper(), ln.split(None, 1)[1])
        for ln in lines
        if ln and not ln.startswith("#")
    ]


def test_dockerfile_final_stage_runs_as_numeric_non_root_user_with_a_command() -> None:
    steps = dockerfile_instructions()
    stages = [i for i, (op, _) in enumerate(steps) if op == "FROM"]
    assert all(arg.startswith("python:3.11-slim") for op, arg in steps if op == "FROM")
    final = steps[stages[-1] :]
    users = [arg for op, arg in final if op == "USER"]
    assert users, "the final stage must switch to a non-root USER"
    uid = users[-1].split(":")[0]
    # Numeric, so the kubelet can verify runAsNonRoot; the manifests use the same uid.
    assert uid.isdigit()
    assert int(uid) != 0
    assert uid == str(K8S_POD_SECURITY_UID)
    assert any(op in {"CMD", "ENTRYPOINT"} for op, _ in final)


def test_dockerfile_installs_the_project_without_dev_extras() -> None:
    installs = [
        arg for op, arg in dockerfile_instructions() if op == "RUN" and "pip install" in arg
    ]
    assert installs
    for cmd in installs:
        assert "[dev" not in cmd, cmd
        assert "-e " not in cmd, cmd


def test_dockerfile_copies_only_existing_not_ignored_paths() -> None:
    ignored = {
        ln.strip().rstrip("/")
        for ln in (ROOT / ".dockerignore").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    }
    assert {".venv", ".run", ".git", "**/__pycache__", ".pytest_cache", ".mypy_cache"} <= ignored
    for op, arg in dockerfile_instructions():
        if op != "COPY" or arg.startswith("--from"):
            continue
        for src in arg.split()[:-1]:
            assert (ROOT / src).exists(), src
            assert src.split("/")[0] not in ignored, src
            assert src not in ignored, src


# ---------------------------------------------------------------- Compose

COMPOSE: dict[str, Any] = yaml.safe_load((COMPOSE_DIR / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
APP_SERVICES = {name for name, svc in SERVICES.items() if "build" in svc}
INFRA_SERVICES = {"kafka", "postgres", "prometheus", "alertmanager", "grafana"}


def compose_env(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: interpolate(value) for key, value in env.items()}


def host_ports(service: dict[str, Any]) -> list[str]:
    published = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            published.append(str(port["published"]))
        else:
            parts = interpolate(port).split("/")[0].split(":")
            published.append(parts[-2] if len(parts) > 1 else parts[0])
    return published


def bind_mounts() -> list[tuple[str, Path, str]]:
    mounts = []
    for name, svc in SERVICES.items():
        for vol in svc.get("volumes", []):
            src, target = str(vol).split(":")[:2]
            if src.startswith((".", "/")):
                mounts.append((name, (COMPOSE_DIR / src).resolve(), target))
    return mounts


def test_compose_app_services_share_one_image_and_build() -> None:
    assert set(SETTINGS_OF) == APP_SERVICES
    builds = {repr(SERVICES[name]["build"]) for name in APP_SERVICES}
    images = {SERVICES[name]["image"] for name in APP_SERVICES}
    assert len(builds) == 1
    assert len(images) == 1
    build = SERVICES["api"]["build"]
    assert (COMPOSE_DIR / build["context"]).resolve() == ROOT
    assert build["dockerfile"] == "Dockerfile"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert images == {f"slawatch:{version}"}


def test_compose_other_images_are_pinned() -> None:
    for name, svc in SERVICES.items():
        if name in APP_SERVICES:
            continue
        image = svc["image"]
        assert ":" in image, name
        assert not image.endswith(":latest"), name
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:3.9.")
    assert SERVICES["postgres"]["image"] == "postgres:15"


def test_compose_host_ports_are_unique() -> None:
    ports = [port for svc in SERVICES.values() for port in host_ports(svc)]
    assert len(ports) == len(set(ports)), sorted(ports)


def test_compose_metrics_worker_is_scalable() -> None:
    worker = SERVICES["metrics-worker"]
    assert "ports" not in worker
    assert not any("container_name" in svc for svc in SERVICES.values())


@pytest.mark.parametrize("service", sorted(SETTINGS_OF))
def test_compose_sets_every_setting_the_service_reads(service: str) -> None:
    env = compose_env(service)
    reads = env_names(*SETTINGS_OF[service])
    assert not reads - set(DEFAULTS_KEPT) - set(env), "set these or list them in DEFAULTS_KEPT"
    unknown = {key for key in env if key.startswith(APP_PREFIXES) and key not in reads}
    assert not unknown, f"{service} does not read {unknown}"
    assert all(value != "" for value in env.values())


def test_compose_servers_listen_on_the_network_and_ports_line_up() -> None:
    assert compose_env("ingest")["INGEST_HOST"] == "0.0.0.0"
    assert compose_env("api")["API_HOST"] == "0.0.0.0"
    assert compose_env("metrics-worker")["METRICS_PROMETHEUS_BIND"] == "0.0.0.0"
    assert host_ports(SERVICES["ingest"]) == [compose_env("ingest")["INGEST_PORT"]]
    assert host_ports(SERVICES["api"]) == [compose_env("api")["API_PORT"]]


def test_compose_points_services_at_the_compose_kafka_and_postgres() -> None:
    advertised = compose_env("kafka")["KAFKA_ADVERTISED_LISTENERS"]
    pg = compose_env("postgres")
    for service, classes in SETTINGS_OF.items():
        env = compose_env(service)
        if KafkaSettings in classes:
            assert f"://{env['KAFKA_BOOTSTRAP_SERVERS']}" in advertised
        if DatabaseSettings in classes:
            url = make_url(env["DATABASE_URL"])
            assert url.drivername == "postgresql+asyncpg"
            assert (url.host, url.port) == ("postgres", 5432)
            assert (url.username, url.password) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"])
            assert url.database == pg["POSTGRES_DB"]
    partitions = {compose_env(s).get("KAFKA_PARTITIONS") for s in APP_SERVICES} - {None}
    assert len(partitions) == 1


def test_compose_agreements_files_are_mounted() -> None:
    mounted = {(svc, target): src for svc, src, target in bind_mounts()}
    for service, key in [
        ("api", "API_AGREEMENTS_FILE"),
        ("metrics-worker", "METRICS_AGREEMENTS_FILE"),
    ]:
        src = mounted[(service, compose_env(service)[key])]
        assert src == DEPLOY / "agreements" / "demo.yaml"


@pytest.mark.parametrize(
    ("service", "source", "target"), bind_mounts(), ids=lambda v: str(v).rsplit("/", 1)[-1]
)
def test_compose_bind_mount_sources_exist(service: str, source: Path, target: str) -> None:
    assert source.is_relative_to(ROOT)
    owner = source.relative_to(DEPLOY).parts[0] if source.is_relative_to(DEPLOY) else ""
    if not source.exists() and owner in OBSERVABILITY_DIRS and not (DEPLOY / owner).exists():
        pytest.skip(f"deploy/{owner} is not written yet")
    assert source.exists(), f"{service}: {source} -> {target}"


def container_ports(service: str) -> set[int]:
    svc = SERVICES[service]
    ports = {int(str(port).split("/")[0]) for port in svc.get("expose", [])}
    for port in svc.get("ports", []):
        ports.add(int(port["target"] if isinstance(port, dict) else str(port).split(":")[-1]))
    return ports


def test_compose_prometheus_targets_are_compose_services() -> None:
    config_path = DEPLOY / "prometheus" / "prometheus.yml"
    if not config_path.exists():
        pytest.skip("deploy/prometheus/prometheus.yml is not written yet")
    config = yaml.safe_load(config_path.read_text())
    hosts = {name: name for name in SERVICES}
    for name, svc in SERVICES.items():
        for net in (svc.get("networks") or {}).values():
            hosts |= dict.fromkeys((net or {}).get("aliases", []), name)
    targets = [t for am in config["alerting"]["alertmanagers"] for t in am_targets(am)]
    for job in config["scrape_configs"]:
        targets += am_targets(job)
        for sd in job.get("dns_sd_configs", []):
            targets += [f"{name}:{sd['port']}" for name in sd["names"]]
    for target in targets:
        host, port = target.rsplit(":", 1)
        if host != "localhost":
            assert host in hosts, f"{target}: no compose service or alias {host}"
            assert int(port) in container_ports(hosts[host]), target


def am_targets(config: dict[str, Any]) -> list[str]:
    return [t for static in config.get("static_configs", []) for t in static["targets"]]


def test_compose_dependencies_exist_and_their_conditions_can_be_met() -> None:
    for name, svc in SERVICES.items():
        for target, spec in (svc.get("depends_on") or {}).items():
            assert target in SERVICES, f"{name} depends on unknown {target}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{target} has no healthcheck"
            else:
                assert condition == "service_completed_successfully", condition
                assert SERVICES[target].get("restart", "no") == "no"
    named = set(COMPOSE.get("volumes") or {})
    for svc in SERVICES.values():
        for vol in svc.get("volumes", []):
            src = str(vol).split(":")[0]
            assert src.startswith((".", "/")) or src in named, src


def test_compose_long_running_services_have_healthchecks() -> None:
    for name in INFRA_SERVICES | {"ingest", "api", "metrics-worker"}:
        assert SERVICES[name]["healthcheck"]["test"], name
    assert SERVICES["simulator"]["profiles"] == ["simulator"]


# ---------------------------------------------------------------- Kubernetes

KUSTOMIZATION: dict[str, Any] = yaml.safe_load((K8S / "kustomization.yaml").read_text())
K8S_DOCS = [doc for res in KUSTOMIZATION["resources"] for doc in load_all(K8S / res)]
SECRET_EXAMPLES: dict[str, dict[str, Any]] = {
    doc["metadata"]["name"]: doc for doc in load_all(K8S / "secret.example.yaml")
}


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in K8S_DOCS if doc["kind"] == kind}


def workloads() -> dict[str, dict[str, Any]]:
    return {**of_kind("Deployment"), **of_kind("Job")}


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    return list(workload["spec"]["template"]["spec"]["containers"])


def generated_settings() -> dict[str, str]:
    (generator,) = [g for g in KUSTOMIZATION["configMapGenerator"] if g.get("envs")]
    lines = (K8S / generator["envs"][0]).read_text().splitlines()
    pairs = [ln.split("=", 1) for ln in lines if ln.strip() and not ln.startswith("#")]
    return {key: value for key, value in pairs}


def k8s_env(container: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert source["configMapRef"]["name"] == "slawatch-settings"
        env |= generated_settings()
    for var in container.get("env", []):
        ref = var.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["name"] in SECRET_EXAMPLES
            env[var["name"]] = SECRET_EXAMPLES[ref["name"]]["stringData"][ref["key"]]
        else:
            env[var["name"]] = var["value"]
    return env


def test_kustomization_lists_existing_files_and_not_the_secret() -> None:
    listed = list(KUSTOMIZATION["resources"])
    for generator in KUSTOMIZATION["configMapGenerator"]:
        listed += generator.get("envs", []) + generator.get("files", [])
    assert all((K8S / name).is_file() for name in listed), listed
    assert "secret.example.yaml" not in KUSTOMIZATION["resources"]
    assert of_kind("Namespace").keys() == {KUSTOMIZATION["namespace"]}
    for secret in SECRET_EXAMPLES.values():
        assert secret["metadata"]["namespace"] == KUSTOMIZATION["namespace"]
    assert not of_kind("Secret")
    assert not of_kind("PersistentVolumeClaim")


def test_k8s_agreements_are_the_demo_agreements() -> None:
    copy = (K8S / "agreements.yaml").read_text()
    fix = "cp deploy/agreements/demo.yaml deploy/k8s/agreements.yaml"
    assert copy == (DEPLOY / "agreements" / "demo.yaml").read_text(), f"stale copy: {fix}"


def test_k8s_workloads_share_one_image_matching_the_compose_build() -> None:
    assert set(workloads()) == set(K8S_WORKLOADS)
    images = {c["image"] for w in workloads().values() for c in containers(w)}
    (entry,) = KUSTOMIZATION["images"]
    assert images == {entry["name"]}
    assert f"{entry['newName']}:{entry['newTag']}" == SERVICES["api"]["image"]


@pytest.mark.parametrize("name", sorted(K8S_WORKLOADS))
def test_k8s_workload_is_hardened_and_sized(name: str) -> None:
    pod = workloads()[name]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == K8S_POD_SECURITY_UID
    assert pod["automountServiceAccountToken"] is False
    for container in containers(workloads()[name]):
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True
        assert sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), kind


@pytest.mark.parametrize("name", sorted(K8S_WORKLOADS))
def test_k8s_workload_env_sets_every_setting_it_reads(name: str) -> None:
    service = K8S_WORKLOADS[name]
    (container,) = containers(workloads()[name])
    env = k8s_env(container)
    assert not env_names(*SETTINGS_OF[service]) - set(DEFAULTS_KEPT) - set(env)
    unknown = {k for k in env if k.startswith(APP_PREFIXES) and k not in env_names(*ALL_SETTINGS)}
    assert not unknown
    if "API_HOST" in env:
        assert env["API_HOST"] == env["INGEST_HOST"] == env["METRICS_PROMETHEUS_BIND"] == "0.0.0.0"


def probe_port(container: dict[str, Any], probe: dict[str, Any]) -> int:
    port = (probe.get("httpGet") or probe["tcpSocket"])["port"]
    by_name = {p["name"]: p["containerPort"] for p in container["ports"]}
    return int(by_name.get(port, port))


@pytest.mark.parametrize(
    ("name", "port", "live", "ready"),
    [
        ("slawatch-ingest", 8001, "/healthz", "/readyz"),
        ("slawatch-api", 8000, "/healthz", "/readyz"),
        ("slawatch-metrics-worker", 9108, "/metrics", "/readyz"),
    ],
)
def test_k8s_deployment_probes(name: str, port: int, live: str, ready: str) -> None:
    deployment = of_kind("Deployment")[name]
    (container,) = containers(deployment)
    for key, path in [("livenessProbe", live), ("readinessProbe", ready)]:
        probe = container[key]
        assert probe_port(container, probe) == port
        assert probe.get("httpGet", {}).get("path", path) == path
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_k8s_services_select_a_deployment_and_target_its_ports() -> None:
    deployments = of_kind("Deployment").values()
    for name, service in of_kind("Service").items():
        selector = service["spec"]["selector"].items()
        matches = [
            d
            for d in deployments
            if selector <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matches) == 1, name
        ports = containers(matches[0])[0]["ports"]
        known = {p["name"] for p in ports} | {p["containerPort"] for p in ports}
        assert all(p["targetPort"] in known for p in service["spec"]["ports"]), name


def test_k8s_metrics_worker_scaling_and_state() -> None:
    worker = of_kind("Deployment")["slawatch-metrics-worker"]
    assert 1 <= worker["spec"]["replicas"] <= int(generated_settings()["KAFKA_PARTITIONS"])
    (pdb,) = of_kind("PodDisruptionBudget").values()
    assert pdb["spec"]["selector"]["matchLabels"] == worker["spec"]["selector"]["matchLabels"]
    pod = worker["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    data_dir = k8s_env(container)["METRICS_DATA_DIR"]
    mounts = [m for m in container["volumeMounts"] if data_dir.startswith(m["mountPath"] + "/")]
    assert mounts
    assert "emptyDir" in volumes[mounts[0]["name"]]
    assert worker["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == "9108"


@pytest.mark.parametrize("name", ["slawatch-api", "slawatch-metrics-worker"])
def test_k8s_agreements_file_is_mounted_from_the_config_map(name: str) -> None:
    pod = of_kind("Deployment")[name]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    path = Path(next(v for k, v in k8s_env(container).items() if k.endswith("AGREEMENTS_FILE")))
    (mount,) = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == path.parent]
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    (generator,) = [g for g in KUSTOMIZATION["configMapGenerator"] if g.get("files")]
    assert volume["configMap"]["name"] == generator["name"]
    assert path.name in generator["files"]


def test_k8s_ingest_autoscaler() -> None:
    (hpa,) = of_kind("HorizontalPodAutoscaler").values()
    target = of_kind("Deployment")[hpa["spec"]["scaleTargetRef"]["name"]]
    assert target["metadata"]["name"] == "slawatch-ingest"
    assert "replicas" not in target["spec"], "the autoscaler owns the replica count"
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
