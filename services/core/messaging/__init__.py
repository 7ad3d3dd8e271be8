"""Kafka adapters: producer, admin, the agreements topic and the SLA-status relay."""
