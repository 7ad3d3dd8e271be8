"""Which connector serves which tool: tool name -> `Connector`.

Why discovery instead of a hand-kept list: each tool's package is written on its own (one
sub-package per tool under `services/core/connectors/`, or under a service's own connectors
package, which registers them with `register`), and a list every package must edit is where
their changes would collide. A sub-package is a connector when it exposes
`CONNECTOR` (an object with `tool`, `verify` and `map`); failing that, the first module-level
object of that shape whose `tool` is the package's name. Packages that cannot be imported
are logged and left out, so one broken connector does not take the others down.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Mapping
from functools import cache
from types import ModuleType
from typing import Any

from services.core.connectors import base
from services.core.connectors.base import Connector, ConnectorSettings, ToolDefaults

log = logging.getLogger(__name__)
_PACKAGE = "services.core.connectors"
_REGISTERED: dict[str, Connector] = {}


# Tools with a built-in connector: the API accepts them even when their package lives in a
# service (then it cannot check their options or show their defaults; docs/connectors.md).
BUILTIN_TOOLS = ("generic", "zendesk", "chatwoot", "connect")


class UnknownTool(LookupError):
    """No connector is registered for the tool name."""


def _is_connector(value: Any) -> bool:
    return (
        not isinstance(value, type)
        and isinstance(getattr(value, "tool", None), str)
        and callable(getattr(value, "verify", None))
        and callable(getattr(value, "map", None))
    )


def _connector_in(module: ModuleType, name: str) -> Connector | None:
    found = getattr(module, "CONNECTOR", None)
    if _is_connector(found):
        return found
    for value in vars(module).values():
        if _is_connector(value) and value.tool == name:
            return value  # type: ignore[no-any-return]
    return None


def discover(package_name: str) -> list[Connector]:
    """The connectors of the sub-packages of `package_name` (see the module's docstring)."""
    package = importlib.import_module(package_name)
    found: list[Connector] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"{package_name}.{info.name}")
        except Exception:
            log.exception("connector package %s cannot be imported; left out", info.name)
            continue
        connector = _connector_in(module, info.name)
        if connector is not None:
            found.append(connector)
    return found


@cache
def _builtin() -> dict[str, Connector]:
    return {c.tool: c for c in discover(_PACKAGE)}


def register(connector: Connector) -> None:
    """Add a connector found elsewhere (a service's own tool packages)."""
    _REGISTERED[connector.tool] = connector


def connectors() -> Mapping[str, Connector]:
    """Every connector known in this process, by tool name."""
    return {**_builtin(), **_REGISTERED}


def connector_for(tool: str) -> Connector:
    """The connector of `tool`, or `UnknownTool`."""
    try:
        return connectors()[tool]
    except KeyError:
        raise UnknownTool(f"no connector for tool {tool!r}; known: {known_tools()}") from None


def known_tools() -> list[str]:
    return sorted(connectors())


def defaults_of(tool: str) -> ToolDefaults:
    """The tool's defaults (`Connector.defaults`, optional), empty when it has none."""
    found = getattr(connector_for(tool), "defaults", None)
    return found if isinstance(found, ToolDefaults) else ToolDefaults()


def effective_settings(
    *,
    agreement_id: str,
    tool: str,
    namespace: str,
    status_map: Mapping[str, str],
    channel_map: Mapping[str, str],
    priority_map: Mapping[str, str],
    csat_map: Mapping[str, int],
    agent_roles: frozenset[str] | None,
    options: Mapping[str, Any],
    lossy: frozenset[str],
    pseudonym_key: bytes,
) -> ConnectorSettings:
    """What `map` sees: the tool's defaults with the agreement's entries over them.

    `agent_roles` None means the tool's default roles; lossy flags add to the tool's own.
    """
    defaults = defaults_of(tool)
    return base.ConnectorSettings(
        agreement_id=agreement_id,
        tool=tool,
        namespace=namespace,
        status_map={**defaults.status_map, **status_map},
        channel_map={**defaults.channel_map, **channel_map},
        priority_map={**defaults.priority_map, **priority_map},
        csat_map={**defaults.csat_map, **csat_map},
        agent_roles=defaults.agent_roles if agent_roles is None else agent_roles,
        options={**defaults.options, **options},
        lossy=defaults.lossy | lossy,
        pseudonym_key=pseudonym_key,
    )


def check_options(tool: str, options: Mapping[str, Any]) -> None:
    """Raise ValueError when the tool's connector refuses `options` (its optional
    `check_options`); connectors without one accept any options."""
    check = getattr(connector_for(tool), "check_options", None)
    if callable(check):
        check(options)
