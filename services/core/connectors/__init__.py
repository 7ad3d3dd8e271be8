"""Connectors' shared, pure library: the `Connector` interface, the registry, sealed secrets,
the configuration models and the generic (JMESPath) connector.

Why in the shared library: the API validates and shows a connector's configuration (known
tools, their defaults, option checks) and ingest verifies and maps webhooks; services never
import each other, so what both need lives here. No I/O in this package.
"""
