"""Connectors: thin mappings from a tool's own payloads onto the v1 event contract.

One sub-package per tool (`zendesk`, `chatwoot`, `connect`, `generic`); each offers a pure
`Connector` (see `base.py`): verify the tool's signature, map one payload to v1 event dicts.
Everything else (config per agreement, raw-payload topic, dead letters, publishing) is shared.
"""
