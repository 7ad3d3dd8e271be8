"""An API app for security tests: no database, agreements from a file, keys in memory.

Every route that would open a database session answers a marker problem instead, which
proves the request got past authentication and authorization.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from pydantic import SecretStr

from services.api.deps import get_session
from services.core.auth.access import Role
from services.core.http.problems import ProblemError
from services.core.settings import ApiSettings
from tests.auth import MemoryKeys
from tests.component.api_scenario import write_agreements
from tests.component.offline_api import MemoryReader, offline_app

A, B = "acme-helpdesk", "idle-desk"  # clients "acme" and "initech"


def _no_database() -> None:
    raise ProblemError(503, "No database", "this test has none", "test-no-database")


SCRAPE_TOKEN = "scrape_token_for_tests_0123456789"


def build_app(tmp_path: Path, keys: MemoryKeys) -> FastAPI:
    agreements = write_agreements(tmp_path / "a.yaml", A, B)
    api = ApiSettings(metrics_token=SecretStr(SCRAPE_TOKEN))
    app = offline_app(agreements, MemoryReader({}, {}), api, lookup_key=keys.lookup)
    app.dependency_overrides[get_session] = _no_database
    return app


class Keys:
    """One key of each role in a store of their own; the viewer's client is "acme"."""

    def __init__(self) -> None:
        self.store = MemoryKeys()
        self.viewer = self.store.issue(Role.VIEWER, "acme")
        self.publisher = self.store.issue(Role.PUBLISHER, "acme")
        self.admin = self.store.issue(Role.ADMIN)
