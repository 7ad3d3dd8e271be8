"""Print (or, with --write, refresh in README.md) the configuration table.

The table is generated from the settings classes, so the README cannot drift from the code;
tests/unit/test_readme_config.py fails when it has.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from services.core import settings

README = Path(__file__).parents[1] / "README.md"
START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"
USED_BY: dict[type[BaseSettings], str] = {
    settings.KafkaSettings: "ingest, worker, API",
    settings.DatabaseSettings: "ingest, worker, API",
    settings.IngestSettings: "ingest",
    settings.MetricsSettings: "worker",
    settings.ApiSettings: "API",
    settings.SecuritySettings: "ingest, API",
    settings.ReportSettings: "API",
    settings.ConnectorsSettings: "ingest, API",
}


def _default(value: object) -> str:
    if isinstance(value, SecretStr):
        return f"`{value.get_secret_value()}` (secret)"
    return f"`{value}`"


def table() -> str:
    rows = ["| variable | default | used by | concern |", "| --- | --- | --- | --- |"]
    for cls, users in USED_BY.items():
        prefix = str(cls.model_config.get("env_prefix", ""))
        concern = (cls.__doc__ or "").strip().splitlines()[0]
        for name, field in cls.model_fields.items():
            rows.append(
                f"| `{(prefix + name).upper()}` | {_default(field.default)} | {users} | {concern} |"
            )
    return "\n".join(rows)


def refreshed(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv:
        README.write_text(refreshed(README.read_text()))
    else:
        print(table())
