"""Connectors on ingest: the webhook path (verify, keep raw, map, publish), configurations,
dead letters and `replay`. The tools' mappings (interface, registry, one package per tool) are
in services/core/connectors/, so the API can check a connector's options and defaults too.
"""
