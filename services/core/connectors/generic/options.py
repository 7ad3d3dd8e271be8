"""The generic connector's configuration (`options`): signature scheme and mapping rules.

Why JMESPath: a maintained, specified expression language for JSON with implementations in
many languages, so a mapping is data an admin writes and the API validates, not code. Every
expression is compiled when the configuration is stored (a typo is a 422 then, not a dead
letter on the first webhook). docs/connectors.md, "Generic", describes every field.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.core.contract.events import EVENT_MODELS

MapName = Literal["status_map", "channel_map", "priority_map", "csat_map"]


@lru_cache(maxsize=4096)
def compiled(expression: str) -> ParsedResult:
    """The parsed expression (cached: configurations are re-read, expressions repeat)."""
    return jmespath.compile(expression)


def _compiles(expression: str) -> str:
    try:
        compiled(expression)
    except JMESPathError as exc:
        raise ValueError(f"not a JMESPath expression: {expression!r}: {exc}") from None
    return expression


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Signature(_Strict):
    """How a request proves it comes from the tool.

    `hmac`: the header holds HMAC(secret, raw body) in hex or base64, after an optional
    prefix (GitHub and Zammad style `sha1=`). `token`: the header holds the secret itself
    after an optional prefix (`Bearer `).
    """

    scheme: Literal["hmac", "token"] = "hmac"
    header: str = Field(min_length=1, max_length=100)
    algorithm: Literal["sha256", "sha1"] = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = Field(default="", max_length=32)


class FieldSpec(_Strict):
    """One event field: an expression on the payload and what to do with its value.

    `map`: look the value up in one of the connector's maps; `unmapped` says whether a value
    not in it skips the event (`skip`) or is passed on for the contract to refuse (`keep`).
    `pseudonym`: replace a phone number or e-mail address by its keyed pseudonym. Identifier
    fields are namespaced (`<namespace>:<value>`) unless `namespace` is false.
    """

    expr: str | None = None
    const: Any = None
    map: MapName | None = None
    unmapped: Literal["keep", "skip"] = "keep"
    pseudonym: Literal["email", "phone"] | None = None
    namespace: bool = True
    optional: bool = False

    @field_validator("expr")
    @classmethod
    def _expression(cls, value: str | None) -> str | None:
        return value if value is None else _compiles(value)


class EventRule(_Strict):
    """Emit one event of `type` for the payload (or for each item of `for_each`) when the
    `when` expression is true. With `for_each`, expressions see `{"item": ..., "payload": ...}`."""

    type: str
    when: str | None = None
    for_each: str | None = None
    fields: dict[str, Annotated[str, Field(min_length=1)] | FieldSpec]

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EVENT_MODELS:
            raise ValueError(f"unknown event type {value!r}; known: {', '.join(EVENT_MODELS)}")
        return value

    @field_validator("when", "for_each")
    @classmethod
    def _expressions(cls, value: str | None) -> str | None:
        return value if value is None else _compiles(value)

    @field_validator("fields")
    @classmethod
    def _field_expressions(cls, value: dict[str, str | FieldSpec]) -> dict[str, str | FieldSpec]:
        for spec in value.values():
            if isinstance(spec, str):
                _compiles(spec)
        if "event_id" not in value or "occurred_at" not in value:
            raise ValueError("every rule needs event_id and occurred_at")
        return value


class GenericOptions(_Strict):
    """A generic connector's whole `options` object."""

    signature: Signature
    rules: list[EventRule] = Field(min_length=1)
    unmatched: Literal["ignore", "dead_letter"] = "ignore"


def parse_options(options: Any) -> GenericOptions:
    """The options, or ValueError with every problem named."""
    try:
        return GenericOptions.model_validate(options)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(problems) from None
