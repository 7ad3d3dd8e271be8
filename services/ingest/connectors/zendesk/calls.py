"""Zendesk Talk calls (the incremental calls export's records) -> v1 call events.

One record describes a whole inbound call, so it maps to the call's full story at once:
`call.offered` at `created_at`; then either `call.answered` after the queue wait and
`call.completed` after talk + hold + wrap-up, or `call.abandoned` after the wait. The
export re-delivers a call each time it changes; ids come from the call id, so a record seen
twice (or first from a backfill) collapses onto the same events.

Lossy: a record without `hold_time` counts 0 s of hold (`no_hold_time`), and Zendesk does
not record whether a call resolved the matter, so a completed call is taken as resolved
unless options["call_resolved"] is false (`call_resolved_assumed`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from services.ingest.connectors.base import ConnectorSettings, MappingRefused, pseudonym
from services.ingest.connectors.mapping_kit import envelope, ident, obj, parse_instant, scoped_id
from services.ingest.connectors.zendesk import defaults


def _seconds(call: Mapping[str, Any], name: str) -> float | None:
    value = call.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise MappingRefused(f"call.{name} is not a duration: {value!r}")
    return float(value)


def _customer(settings: ConnectorSettings, call: Mapping[str, Any]) -> str:
    if call.get("customer_id") not in (None, "", 0):
        return scoped_id(settings, "user", ident(call["customer_id"], "call.customer_id"))
    number = call.get("from_line")  # a caller known only by number: personal data, keyed hash
    if isinstance(number, str) and number.strip():
        return pseudonym("phone", number, settings.pseudonym_key)
    raise MappingRefused("call names no customer_id and no caller number")


def _queue(settings: ConnectorSettings, call: Mapping[str, Any]) -> str:
    for field, kind in (
        ("call_group_id", "group"),
        ("line_id", "line"),
        ("phone_number_id", "line"),
    ):
        if call.get(field) not in (None, "", 0):
            return scoped_id(settings, kind, ident(call[field], f"call.{field}"))
    return scoped_id(settings, "group", "default")


def _outcome(settings: ConnectorSettings, call: Mapping[str, Any]) -> str:
    status = str(call.get("completion_status") or "").lower()
    outcomes = settings.options.get("call_outcomes", defaults.CALL_OUTCOMES)
    if not isinstance(outcomes, Mapping) or status not in outcomes:
        raise MappingRefused(f"unknown Talk completion_status {status!r}: add it to call_outcomes")
    return str(outcomes[status])


def map_call(call: Mapping[str, Any], settings: ConnectorSettings) -> list[dict[str, Any]]:
    """The v1 events one Talk call record states (none for outbound calls and IVR hang-ups)."""
    if str(call.get("direction") or "inbound").lower() != "inbound":
        return []
    outcome = _outcome(settings, call)
    if outcome == "ignore":
        return []
    cid = ident(call.get("id"), "call.id")
    offered_at = parse_instant(call.get("created_at"), "call.created_at")
    base = {"call_id": scoped_id(settings, "call", cid), "customer_id": _customer(settings, call)}
    wait = _seconds(call, "wait_time")
    if wait is None:
        wait = _seconds(call, "time_to_answer") or 0.0
    out = [
        envelope(
            settings,
            scoped_id(settings, "call", cid, "offered"),
            "call.offered",
            offered_at,
            queue=_queue(settings, call),
            **base,
        )
    ]
    outcome_at = offered_at + timedelta(seconds=wait)
    if outcome == "abandoned":
        out.append(
            envelope(
                settings,
                scoped_id(settings, "call", cid, "abandoned"),
                "call.abandoned",
                outcome_at,
                **base,
            )
        )
        return out
    agent = call.get("agent_id")
    if agent in (None, "", 0):
        raise MappingRefused("answered call names no agent_id")
    out.append(
        envelope(
            settings,
            scoped_id(settings, "call", cid, "answered"),
            "call.answered",
            outcome_at,
            agent_id=scoped_id(settings, "user", ident(agent, "agent_id")),
            **base,
        )
    )
    hold = _seconds(call, "hold_time")
    if hold is None:
        if "no_hold_time" not in settings.lossy:
            raise MappingRefused("call has no hold_time and lossy `no_hold_time` is not allowed")
        hold = 0.0
    talk = _seconds(call, "talk_time") or 0.0
    wrap = _seconds(call, "wrap_up_time") or 0.0
    resolved = settings.options.get("call_resolved", True)
    if resolved is True and "call_resolved_assumed" not in settings.lossy:
        raise MappingRefused("Talk does not record resolution; allow lossy `call_resolved_assumed`")
    out.append(
        envelope(
            settings,
            scoped_id(settings, "call", cid, "completed"),
            "call.completed",
            outcome_at + timedelta(seconds=talk + hold + wrap),
            talk_seconds=talk,
            hold_seconds=hold,
            wrap_seconds=wrap,
            resolved=bool(resolved),
            **base,
        )
    )
    return out


def map_calls_page(payload: Mapping[str, Any], settings: ConnectorSettings) -> list[dict[str, Any]]:
    """A page of the incremental calls export (`{"calls": [...], ...}`) or one `{"call": {...}}`."""
    calls = payload.get("calls") if "calls" in payload else [payload.get("call")]
    if not isinstance(calls, list):
        raise MappingRefused("calls must be a list")
    out: list[dict[str, Any]] = []
    for index, call in enumerate(calls):
        out.extend(map_call(obj(call, f"calls[{index}]"), settings))
    return out
