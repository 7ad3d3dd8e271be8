"""Independent batch recomputations of every KPI from raw events (test code, on purpose
written apart from the engine)."""
