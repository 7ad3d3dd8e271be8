"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the ingest service returns, FastAPI's own 404/405 included, has the same shape:
`type`, `title`, `status`, `detail`, `instance`, plus extension members such as `accepted`
and `rejected` on a partly rejected batch. `type` is a URN per problem kind, as in the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """A problem details object (for OpenAPI); extension members are allowed."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ProblemError(Exception):
    """Raise in a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        kind: str = "",
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.title = title or HTTPStatus(status).phrase
        self.type = f"urn:slawatch:problem:{kind}" if kind else "about:blank"
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(request: Request, problem: ProblemError) -> JSONResponse:
    """The problem as a response; extension members come after the standard ones."""
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        **problem.extensions,
    }
    return JSONResponse(
        body, status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=problem.headers
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(request, exc)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # Keep headers such as `Allow` on 405 answers.
    problem = ProblemError(exc.status_code, str(exc.detail), headers=exc.headers)
    return problem_response(request, problem)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem answers for `statuses`."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of `app` with problem details."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
