"""Entry points read their settings with `from_environment`: a missing variable ends the
process with its name, not with a traceback."""

from __future__ import annotations

import pytest

from services.core.settings import from_environment
from services.ingest.connect_bridge.bridge import BridgeSettings


def test_a_missing_variable_is_named_with_its_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONNECT_BRIDGE_CONNECTOR_ID", raising=False)
    with pytest.raises(SystemExit, match="CONNECT_BRIDGE_CONNECTOR_ID: Field required"):
        from_environment(BridgeSettings)


def test_settings_given_in_the_environment_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECT_BRIDGE_CONNECTOR_ID", "acme-connect")
    assert from_environment(BridgeSettings).connector_id == "acme-connect"
