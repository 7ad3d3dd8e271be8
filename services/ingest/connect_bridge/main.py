"""Entry point `slawatch-connect-bridge`: settings from the environment (`CONNECT_BRIDGE_*`,
`KAFKA_*`, `DATABASE_URL`, `CONNECTORS_*`); SIGTERM or SIGINT stop it between two batches.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry

from services.core.connectors.connect.connector import TOOL
from services.core.settings import (
    ConnectorsSettings,
    DatabaseSettings,
    KafkaSettings,
    from_environment,
)
from services.ingest.connect_bridge.bridge import BridgeSettings, ContactRecordBridge
from services.ingest.connect_bridge.instruments import BridgeInstruments, serve_metrics
from services.ingest.connectors.stored import stored_connector
from services.ingest.publisher import KafkaEventPublisher

log = logging.getLogger(__name__)


async def serve(
    bridge: BridgeSettings,
    kafka: KafkaSettings,
    database: DatabaseSettings,
    connectors: ConnectorsSettings,
    stop: asyncio.Event,
    registry: CollectorRegistry | None = None,
) -> None:
    """Run the bridge until `stop` is set; the batch in hand is finished first. Metrics go to
    `registry` (a fresh one if None), served on `bridge.prometheus_port` (0: not served)."""
    registry = CollectorRegistry() if registry is None else registry
    instruments = BridgeInstruments(registry)
    server = serve_metrics(bridge.prometheus_port, registry)
    try:
        await _bridge(bridge, kafka, database, connectors, stop, instruments)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()


async def _bridge(
    bridge: BridgeSettings,
    kafka: KafkaSettings,
    database: DatabaseSettings,
    connectors: ConnectorsSettings,
    stop: asyncio.Event,
    instruments: BridgeInstruments,
) -> None:
    async with stored_connector(bridge.connector_id, database, connectors, TOOL) as connector:
        consumer = AIOKafkaConsumer(
            bridge.topic,
            bootstrap_servers=kafka.bootstrap_servers,
            group_id=bridge.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        publisher = KafkaEventPublisher(kafka.bootstrap_servers, kafka.topic_prefix)
        await consumer.start()
        try:
            await publisher.start()
            try:
                await ContactRecordBridge(
                    consumer,
                    publisher,
                    connector,
                    connector.settings,
                    bridge.max_batch_records,
                    source=f"connector:{bridge.connector_id}",
                    instruments=instruments,
                ).run(stop)
            finally:
                await publisher.stop()
        finally:
            await consumer.stop()


def run() -> None:
    """Entry point of `slawatch-connect-bridge`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = (
        from_environment(BridgeSettings),
        from_environment(KafkaSettings),
        from_environment(DatabaseSettings),
        from_environment(ConnectorsSettings),
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        log.info("bridging %s for connector %s", settings[0].topic, settings[0].connector_id)
        await serve(*settings, stop)

    asyncio.run(main())


if __name__ == "__main__":
    run()
