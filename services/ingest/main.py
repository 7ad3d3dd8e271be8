"""Entry point: `slawatch-ingest` or `python -m services.ingest.main`.

Configuration comes from the environment (`INGEST_*`, `KAFKA_*`; see services/core/settings.py).
"""

from __future__ import annotations

import logging

import uvicorn

from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.app import create_app


def run() -> None:
    """Serve the ingest API with the settings from the environment."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings, kafka = IngestSettings(), KafkaSettings()
    uvicorn.run(create_app(settings, kafka), host=settings.host, port=settings.port)


if __name__ == "__main__":
    run()
