"""Imports only go down: the layering of docs/architecture.md, checked on every import.

`services/core` is a stack of packages; a module may import its own package and the ones
below it, never one above. The services (entry points) may import any of `services/core` but
never each other, and the shared library never imports a service. Every module under
`services/core` must belong to a listed layer, so a new package has to take its place here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Bottom-up; the same table as docs/architecture.md "Layers".
CORE_LAYERS = (
    "services.core.settings",
    "services.core.contract",
    "services.core.connectors",  # the connector interface, registry, one package per tool
    "services.core.kpi",
    "services.core.agreements",
    "services.core.storage",
    "services.core.messaging",
    "services.core.http",
    "services.core.auth",
    "services.core.reports",
    "services.core.meetings",
    "services.core.reviews",
)
ENTRY_POINTS = (
    "services.ingest",
    "services.metrics",
    "services.api",
    "services.simulator",
    "services.admin",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every `services...` module a file imports, with its line; `from a import b` yields
    `a.b` as well, since `b` may be a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _owner(module: str, owners: tuple[str, ...]) -> str | None:
    for owner in owners:
        if module == owner or module.startswith(owner + "."):
            return owner
    return None


def _layer(module: str) -> int | None:
    owner = _owner(module, CORE_LAYERS)
    return None if owner is None else CORE_LAYERS.index(owner)


def _violation(source: str, target: str) -> str | None:
    if not target.startswith("services."):
        return None
    if target == "services.core":
        return "imports the shared library's root; import the module it needs"
    source_service = _owner(source, ENTRY_POINTS)
    target_service = _owner(target, ENTRY_POINTS)
    if target_service is not None:
        if source_service != target_service:
            return f"imports the service {target_service}"
        return None
    if source_service is not None:
        return None
    target_layer = _layer(target)
    if target_layer is None:
        return f"{target} belongs to no layer" if target.startswith("services.core.") else None
    source_layer = _layer(source)
    if source_layer is not None and target_layer > source_layer:
        return f"goes up from {CORE_LAYERS[source_layer]} to {CORE_LAYERS[target_layer]}"
    return None


def _python_files() -> list[Path]:
    return sorted((ROOT / "services").rglob("*.py"))


def test_every_core_module_belongs_to_a_layer() -> None:
    orphans = [
        str(path.relative_to(ROOT))
        for path in _python_files()
        if (name := _module_name(path)).startswith("services.core.") and _layer(name) is None
    ]
    assert orphans == [], "add these to CORE_LAYERS and docs/architecture.md"


def test_imports_only_go_down_and_never_across_services() -> None:
    problems = []
    for path in _python_files():
        source = _module_name(path)
        for line, target in _imports(path):
            reason = _violation(source, target)
            if reason is not None:
                problems.append(f"{path.relative_to(ROOT)}:{line} {target}: {reason}")
    assert problems == []


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("services.core.kpi.engine", "services.core.contract.events", True),
        ("services.core.kpi.engine", "services.core.agreements.model", False),
        ("services.core.storage.models", "services.core.kpi.aggregate", True),
        ("services.core.storage.repository", "services.core.auth.access", False),
        ("services.api.main", "services.core.reports.job", True),
        ("services.api.main", "services.metrics.sink", False),
        ("services.core.reports.job", "services.api.main", False),
        ("services.core.kpi.engine", "services.core.nowhere", False),
        ("services.core.kpi.engine", "yaml", True),
    ],
)
def test_the_rule_itself(source: str, target: str, allowed: bool) -> None:
    assert (_violation(source, target) is None) is allowed
