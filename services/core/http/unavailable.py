"""A dependency that is down is a 503 with `Retry-After`, never a 500.

Why: a client (or a load balancer) retries a 503 later and treats a 500 as a bug; during a
PostgreSQL outage every request that needs the database used to answer 500, and the
uncaught exception also cost the client its keep-alive connection. These handlers catch
the errors a lost connection raises (refused or reset sockets, timeouts, PostgreSQL's
connection and shutdown states) wherever a route or dependency meets them; other database
errors stay a 500, logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from services.core.http.problems import ProblemError, problem_response

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
# SQLSTATE classes of a lost or refused connection: 08 (connection exception) and 57P
# (operator intervention: shutdown, cannot connect now).
_UNAVAILABLE_SQLSTATES = ("08", "57P")
_HANDLED: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    sa_exc.DBAPIError,
    sa_exc.TimeoutError,  # no pooled connection came free in time
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says a dependency could not be reached, rather than that a query failed."""
    for error in _chain(exc):
        if isinstance(error, OSError | TimeoutError | sa_exc.TimeoutError):
            return True
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, sa_exc.InterfaceError):
            return True  # the driver lost its connection
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
    return False


async def _on_dependency_error(request: Request, exc: Exception) -> JSONResponse:
    if not is_unavailable(exc):
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        detail = "the request could not be completed; the error is logged"
        return problem_response(request, ProblemError(500, "Internal Server Error", detail))
    log.warning("%s %s: a dependency is unavailable: %r", request.method, request.url.path, exc)
    detail = "a service this request needs is unavailable; retry later"
    problem = ProblemError(
        503,
        HTTPStatus(503).phrase,
        detail,
        "dependency-unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    return problem_response(request, problem)


def install_unavailable_handlers(app: FastAPI) -> None:
    """Answer `app`'s connection errors as 503 problems (see the module docstring)."""
    for error in _HANDLED:
        app.add_exception_handler(error, _on_dependency_error)
