"""Apply a generic mapping: rules of JMESPath expressions -> v1 event items.

Pure and deterministic: the same payload and settings give the same items, and event ids
come from expressions over the payload's facts (a ticket id, an article id, a timestamp),
never from the delivery, so redeliveries and replays collapse. Values are not validated
here: the items go through the v1 contract like any posted event, which names what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jmespath import Options, functions
from jmespath.exceptions import JMESPathError

from services.core.connectors.base import (
    ConnectorSettings,
    MappingRefused,
    namespaced,
    pseudonym,
)
from services.core.connectors.generic.options import (
    EventRule,
    FieldSpec,
    GenericOptions,
    compiled,
)

# v1 fields that hold a tool's ids: namespaced as `<namespace>:<id>` (docs/connectors.md).
ID_FIELDS = frozenset({"event_id", "ticket_id", "customer_id", "agent_id", "call_id", "survey_id"})


class _Skip(Exception):
    """A value missing from its map with `unmapped: skip`: the rule emits nothing."""


class _Functions(functions.Functions):  # type: ignore[misc]
    """Custom JMESPath functions: `agent_role(x)` is true when x (a role or a list of roles)
    names one of the connector's agent roles (case-insensitive)."""

    def __init__(self, agent_roles: frozenset[str]) -> None:
        super().__init__()
        self._roles = {r.lower() for r in agent_roles}

    @functions.signature({"types": ["string", "array", "null"]})  # type: ignore[untyped-decorator]
    def _func_agent_role(self, value: Any) -> bool:
        values = value if isinstance(value, list) else [value]
        return any(isinstance(v, str) and v.lower() in self._roles for v in values)


def _search(expression: str, data: Any, options: Options) -> Any:
    return compiled(expression).search(data, options=options)


def _value(
    name: str, spec: str | FieldSpec, data: Any, settings: ConnectorSettings, options: Options
) -> tuple[bool, Any]:
    """(present, value) of one field."""
    spec = FieldSpec(expr=spec) if isinstance(spec, str) else spec
    value = spec.const if spec.expr is None else _search(spec.expr, data, options)
    if value is None:
        return (not spec.optional), None
    if spec.map is not None:
        table: Mapping[str, Any] = getattr(settings, spec.map)
        key = str(value)
        if key not in table:
            if spec.unmapped == "skip":
                raise _Skip
        else:
            value = table[key]
    if spec.pseudonym is not None:
        return True, pseudonym(spec.pseudonym, str(value), settings.pseudonym_key)
    if name in ID_FIELDS and spec.namespace:
        return True, namespaced(settings, value)
    return True, value


def _event(rule: EventRule, data: Any, settings: ConnectorSettings, options: Options) -> Any:
    if rule.when is not None:
        try:
            matched = _search(rule.when, data, options)
        except JMESPathError:  # a payload without the shape the rule expects: no match
            return None
        if not matched:
            return None
    item: dict[str, Any] = {"type": rule.type}
    for name, spec in rule.fields.items():
        present, value = _value(name, spec, data, settings, options)
        if present:
            item[name] = value
    return item


def apply(mapping: GenericOptions, payload: Any, settings: ConnectorSettings) -> list[Any]:
    """Every event the rules state for `payload`, in rule order."""
    options = Options(custom_functions=_Functions(settings.agent_roles))
    items: list[Any] = []
    for rule in mapping.rules:
        contexts = [payload]
        if rule.for_each is not None:
            found = _search(rule.for_each, payload, options)
            found = found if isinstance(found, list) else [] if found is None else [found]
            contexts = [{"item": x, "payload": payload} for x in found]
        for data in contexts:
            try:
                item = _event(rule, data, settings, options)
            except _Skip:
                continue
            except JMESPathError as exc:
                raise MappingRefused(f"rule {rule.type}: {exc}") from None
            if item is not None:
                items.append(item)
    return items
