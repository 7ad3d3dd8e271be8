"""The worker's Faust web server: off by default, loopback only, no view of table contents.

Faust's default views list tables and serve a table's value by key (a ticket's raw events)
and the routing of keys, without any authentication.
"""

from __future__ import annotations

from pathlib import Path

from services.core.settings import KafkaSettings, MetricsSettings
from services.metrics.app import create_topology

KAFKA = KafkaSettings(bootstrap_servers="127.0.0.1:1")


def test_the_web_server_is_off_by_default(tmp_path: Path) -> None:
    topology = create_topology(KAFKA, MetricsSettings(data_dir=tmp_path))

    assert MetricsSettings().web_port == 0
    assert topology.app.conf.web_enabled is False


def test_when_on_it_is_bound_to_loopback_and_serves_no_table_or_routing_view(
    tmp_path: Path,
) -> None:
    topology = create_topology(KAFKA, MetricsSettings(web_port=6066, data_dir=tmp_path))
    conf = topology.app.conf

    assert conf.web_enabled is True
    assert conf.web_bind == "127.0.0.1"
    served = {str(bp) for _, bp in topology.app.web._enabled_blueprints()}
    assert not any("tables" in bp or "router" in bp or "graph" in bp for bp in served), served
    assert not any("stats" in bp for bp in served), served
