"""The monthly service performance report (docs/reports.md).

Layers, imports only going down: `model` (the versioned JSON document), `build` and
`findings` (pure functions from inputs to the model), `breakdowns` (the slice provider
interface), `fetch` (the adapter that reads the inputs through the KPI API's own query
code), `render/` (HTML, PDF, charts, message catalogues), `store`, `schedule`, `notify`.
"""
