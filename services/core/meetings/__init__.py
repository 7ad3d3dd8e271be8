"""The quarterly review meeting record (docs/reports.md, "Quarterly review meeting record").

Layers, imports only going down: `model` (the record as people write it, quarters, the
action item states the review pack shows), `rules` (pure checks against the agreement),
`store` (PostgreSQL: versions, the draft), `service` (put, close, action item -> measure,
the previous quarter's action items for the pack).
"""
