"""Connectors on ingest: the webhook path (verify, keep raw, map, publish), configurations,
dead letters and `replay`. The pure library (interface, registry, generic connector) is in
services/core/connectors/; a tool's package may live there or here (`discovery.py` registers
the packages found here), each a thin mapping onto the v1 contract.
"""
