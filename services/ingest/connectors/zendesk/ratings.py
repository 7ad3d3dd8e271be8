"""Zendesk satisfaction ratings -> `survey.submitted` (lossy: good/bad on a 1-5 scale).

Ratings arrive as the Satisfaction Ratings API object (`{"satisfaction_rating": {...}}`),
which is also what a trigger's JSON body can send. Zendesk's legacy CSAT is good or bad;
`csat_map` places them on the v1 1-5 scale (default good = 5, bad = 1), so `csat` (share of
4-5) stays exact and `csat_mean_score` is only as meaningful as that choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.ingest.connectors.base import ConnectorSettings, MappingRefused
from services.ingest.connectors.mapping_kit import envelope, ident, obj, parse_instant, scoped_id
from services.ingest.connectors.zendesk import defaults

_NOT_ANSWERED = frozenset({"offered", "unoffered"})


def map_rating(payload: Mapping[str, Any], settings: ConnectorSettings) -> list[dict[str, Any]]:
    """One rating; `offered`/`unoffered` (a survey sent, nothing answered) maps to nothing."""
    rating = obj(payload.get("satisfaction_rating"), "satisfaction_rating")
    score_name = str(rating.get("score") or "").lower()
    if score_name in _NOT_ANSWERED:
        return []
    score = settings.csat_map.get(score_name, defaults.CSAT_MAP.get(score_name))
    if score is None:
        raise MappingRefused(f"unknown satisfaction score {rating.get('score')!r}")
    if score_name in defaults.CSAT_MAP and "csat_good_bad" not in settings.lossy:
        raise MappingRefused("good/bad ratings need lossy `csat_good_bad` allowed")
    rid = ident(rating.get("id"), "satisfaction_rating.id")
    at = parse_instant(
        rating.get("updated_at") or rating.get("created_at"), "satisfaction_rating.updated_at"
    )
    # One survey per rating id; a changed answer is a new submission that replaces the old.
    return [
        envelope(
            settings,
            scoped_id(settings, "rating", rid, score_name, int(at.timestamp())),
            "survey.submitted",
            at,
            survey_id=scoped_id(settings, "rating", rid),
            ticket_id=scoped_id(settings, "ticket", ident(rating.get("ticket_id"), "ticket_id")),
            score=int(score),
        )
    ]
