"""The quarterly service review pack (docs/reviews.md).

Layers, imports only going down: `quarters` (calendar arithmetic), `model` (the versioned
JSON document), `build` and `points` (pure functions from inputs to the model), `actions`
(the interface to the meeting record's action items), `fetch` (the adapter that reads the
figures through the KPI API's own query code and the measure effects through the effect
route's code), `store` and `service` (immutable versions), `render/` (HTML, PDF).
"""
