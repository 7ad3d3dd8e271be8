"""Fixtures for tests against the real broker and database started by scripts/infra.

`make test` starts both before pytest runs; the URLs come from the same environment
variables the services read, so the suite can also run against existing servers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from services.core.settings import DEFAULT_DATABASE_URL

TEST_DATABASE_URL = DEFAULT_DATABASE_URL.rsplit("/", 1)[0] + "/slawatch_test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", TEST_DATABASE_URL)


@pytest.fixture
def topic_prefix() -> Iterator[str]:
    """A topic prefix no other test uses, so tests never see each other's messages."""
    return f"t{uuid.uuid4().hex[:12]}"
