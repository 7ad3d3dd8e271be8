"""Property-based tests of the API from its own OpenAPI document (schemathesis, in-process).

Schemathesis generates requests for every operation, valid and invalid ones, from the
document the app serves, and sends them with an admin key to an app over a database of its
own (it creates and deletes agreements at random). Whatever it sends, the API must answer
without a server error. Bounded: a few examples per operation, each answered within two
minutes (no per-example deadline: a PDF report on a loaded 2-core machine takes seconds).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient, get_client, shutdown_lifespans

from services.api.main import create_app
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings
from tests.auth import ADMIN, ADMIN_HEADERS
from tests.integration.db_fixtures import fresh_database

BASE_URL = "http://testserver"
# The document needs no running app; the requests go to the one `api` starts.
schema = schemathesis.openapi.from_dict(create_app(security=ADMIN).openapi())


@pytest.fixture(scope="module")
async def api(database_url: str, kafka_bootstrap: str) -> AsyncIterator[ASGIClient]:
    async with fresh_database(database_url) as url:
        app = create_app(
            ApiSettings(),  # seeds the demo agreements, which the documented examples name
            DatabaseSettings(database_url=url),
            KafkaSettings(
                bootstrap_servers=kafka_bootstrap, topic_prefix=f"t{uuid.uuid4().hex[:12]}"
            ),
            refresh_interval_seconds=3600,
            security=ADMIN,
        )
        # The client runs the app's lifespan in schemathesis' own event loop thread; it must
        # end before the database is dropped.
        try:
            with get_client(app) as client:
                yield client
        finally:
            shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_request_makes_the_api_fail(api: ASGIClient, case: schemathesis.Case) -> None:
    case.call_and_validate(
        base_url=BASE_URL,
        session=api,
        headers=ADMIN_HEADERS,
        checks=[not_a_server_error],
        timeout=120,
    )
