"""The README's configuration table is the one generated from the settings classes."""

from __future__ import annotations

from scripts.config_table import README, START, refreshed


def test_readme_configuration_table_is_current() -> None:
    readme = README.read_text()
    assert START in readme
    assert refreshed(readme) == readme, "run: .venv/bin/python -m scripts.config_table --write"
