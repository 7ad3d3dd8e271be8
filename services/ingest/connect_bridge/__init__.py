"""`slawatch-connect-bridge`: Amazon Connect contact records from a Kafka topic (what a
Kinesis-to-Kafka bridge writes) through the `connect` connector to the v1 topics.

`mapping.py` maps one message (no I/O), `bridge.py` is the consume-publish-commit loop,
`main.py` the entry point. The connector itself is pure and lives in the shared library
(services/core/connectors/connect/). docs/connectors.md, "Amazon Connect".
"""
