"""Texts of the pack that are not in its template, as catalogue messages."""

from __future__ import annotations

from services.core.reports.render.i18n import N_

POINTS = {
    "met_with_room": N_(
        "{kpi} met its target in every month of the quarter and over the quarter ({quarter}"
        " against {target}, n = {n}; months: {months}): could the target be raised?"
    ),
    "missed_every_month": N_(
        "{kpi} missed its target in every month of the quarter ({months}; quarter: {quarter}"
        " against {target}, n = {n}): what will change?"
    ),
}
NOTICE = {
    "passed": N_("The notice deadline of the current term has passed; it renews on {renews}."),
    "before_next_review": N_(
        "The notice deadline {deadline} falls before the next review ({next_review}): decide"
        " at this review whether to object to the renewal."
    ),
    "after_next_review": N_(
        "The notice deadline {deadline} falls after the next review ({next_review})."
    ),
}
ENDS_BEFORE_NEXT = N_(
    "The agreement does not renew and ends on {end}, before the next review ({next_review})."
)
DIRECTIONS = {
    "better": N_("better"),
    "worse": N_("worse"),
    "unchanged": N_("unchanged"),
    "no_better_side": N_("no better side"),
}
ACTION_STATES = {
    "open": N_("open"),
    "done": N_("done"),
    "dropped": N_("dropped"),
}
