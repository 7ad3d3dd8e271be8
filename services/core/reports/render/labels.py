"""Names of things a report shows, as catalogue messages (translated where shown)."""

from __future__ import annotations

from services.core.reports.render.i18n import N_

KPI_NAMES = {
    "tickets_created": N_("Tickets created"),
    "frt_mean_seconds": N_("First response time (mean)"),
    "frt_p50_seconds": N_("First response time (median)"),
    "frt_p90_seconds": N_("First response time (90th percentile)"),
    "frt_attainment": N_("First responses within target"),
    "resolution_mean_seconds": N_("Resolution time (mean)"),
    "resolution_p50_seconds": N_("Resolution time (median)"),
    "resolution_p90_seconds": N_("Resolution time (90th percentile)"),
    "resolution_attainment": N_("Resolutions within target"),
    "aht_mean_seconds": N_("Average handling time (mean)"),
    "aht_p50_seconds": N_("Handling time (median)"),
    "aht_p90_seconds": N_("Handling time (90th percentile)"),
    "asa_seconds": N_("Average speed of answer"),
    "service_level": N_("Service level"),
    "abandonment_rate": N_("Abandonment rate"),
    "calls_short_abandoned": N_("Short abandoned calls"),
    "fcr_tickets_rate": N_("First contact resolution (tickets)"),
    "fcr_calls_rate": N_("First contact resolution (calls)"),
    "fcr_rate": N_("First contact resolution"),
    "fcr_provisional": N_("Provisional FCR credits"),
    "csat": N_("Customer satisfaction (top two boxes)"),
    "csat_mean_score": N_("Customer satisfaction (mean score)"),
}
TARGET_STATES = {
    "met": N_("met"),
    "at_risk": N_("at risk"),
    "breached": N_("breached"),
    "no_data": N_("no data"),
}
TERM_STATES = {
    "draft": N_("not yet in effect"),
    "active": N_("active"),
    "expiring": N_("expiring"),
    "expired": N_("expired"),
    "terminated": N_("terminated"),
}
REPORT_STATES = {"preliminary": N_("preliminary"), "final": N_("final")}
MEASURE_KINDS = {
    "process_change": N_("process change"),
    "platform_upgrade": N_("platform upgrade"),
    "training": N_("training"),
    "knowledge_base": N_("knowledge base"),
    "other": N_("other"),
}
MEASURE_STATES = {
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}
DIMENSIONS = {
    "priority": N_("priority"),
    "channel": N_("channel"),
    "queue": N_("queue"),
    "team": N_("team"),
}
# Slice values that are the same everywhere; queue and team names are the agreement's own.
SLICE_VALUES = {
    "priority": {
        "low": N_("low"),
        "normal": N_("normal"),
        "high": N_("high"),
        "urgent": N_("urgent"),
    },
    "channel": {
        "email": N_("e-mail"),
        "chat": N_("chat"),
        "web": N_("web"),
        "phone": N_("phone"),
        "social": N_("social media"),
    },
}
RESERVED_SLICES = {"none": N_("none"), "other": N_("other"), "unassigned": N_("unassigned")}
DIRECTIONS = {"at_most": N_("at most"), "at_least": N_("at least")}
FINDINGS = {
    "target_breached": N_(
        "{kpi} missed its target this month: {value} against a target of {target} (n = {n})."
    ),
    "target_at_risk": N_(
        "{kpi} is at risk: {value} is within the warning band of the target {target} (n = {n})."
    ),
    "target_no_data": N_("{kpi} has no data this month."),
    "worst_day": N_(
        "The worst day for {kpi} was {day}: {value} against a target of {target} (n = {n})."
    ),
    "worst_slice": N_(
        "By {dimension}, {slice} costs the most against the target for {kpi}: {value} against"
        " a target of {target} (n = {n})."
    ),
    "fcr_provisional": N_(
        "{share} of this month's first-contact credits ({provisional}) are still provisional:"
        " a repeat contact within the horizon may withdraw them."
    ),
    "events_counted": N_(
        "Events this month: {total}; counted in the figures: {accepted}; not counted: "
        "{not_counted} ({share})."
    ),
    "events_duplicate": N_(
        "Duplicate events: {count} ({share}). Each repeated an event already counted, so the "
        "figures are not affected."
    ),
    "events_late": N_(
        "Late events: {count} ({share}). They arrived after the allowed lateness and are "
        "missing from the figures."
    ),
    "events_invalid": N_(
        "Invalid events: {count} ({share}). They broke the event contract or their time was "
        "out of range, and are missing from the figures."
    ),
    "lossy_csat_good_bad": N_(
        "Satisfaction from {tool} (connector {connector}) is rated only good or bad; the "
        "connector's CSAT map puts it on the 1-5 scale, so CSAT figures are coarser than the "
        "tool's own."
    ),
    "lossy_no_hold_time": N_(
        "{tool} (connector {connector}) reports no hold time; calls from it count zero "
        "seconds on hold, so handling-time figures may understate holds."
    ),
    "lossy_comment_author_inferred": N_(
        "{tool} (connector {connector}) names comment authors only by id in its exported "
        "history; comments by the ticket's requester count as the customer's and all others "
        "as an agent's, so response-time figures may count a copied-in customer's reply as "
        "an agent's."
    ),
    "lossy_no_urgent_priority": N_(
        "{tool} (connector {connector}) has no urgent priority; none of its tickets is "
        "measured against the urgent targets."
    ),
    "lossy_other": N_("The mapping of {tool} (connector {connector}) loses information: {flag}."),
    "events_unknown": N_(
        "Events of an agreement the worker did not know yet: {count} ({share}). They are "
        "missing from the figures."
    ),
}

# Connector tools named in the lossy-mapping findings; brand names stay as they are.
TOOLS = {
    "zendesk": "Zendesk",
    "chatwoot": "Chatwoot",
    "connect": "Amazon Connect",
    "generic": N_("Generic webhook"),
}

# The clock a breached ticket went over (model `BreachedTicket.kpi`).
BREACH_KPIS = {
    "frt": N_("First response"),
    "resolution": N_("Resolution"),
}
