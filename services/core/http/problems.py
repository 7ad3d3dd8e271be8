"""Errors as RFC 9457 problem details (`application/problem+json`), for the API and ingest.

Both services answer every error, Starlette's own 404 and 405 included, in this one shape, so
a client parses one format: `type`, `title`, `status`, `detail`, `instance`, then extension
members (`errors`, `checks`, `accepted`, ...). `type` is a URN per problem kind;
`about:blank` means the status code says it all. Each service adds its own handlers on top
of `install_problem_handlers` (the API: request validation and crashes).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
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
    """Raise in a route to answer with a problem document.

    `kind` names the problem (`type` becomes `urn:slawatch:problem:<kind>`); `headers` go on
    the answer (`WWW-Authenticate`, `Retry-After`); `extensions` become extra members.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        kind: str = "",
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.type = f"urn:slawatch:problem:{kind}" if kind else "about:blank"
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(request: Request, problem: ProblemError) -> JSONResponse:
    """The problem as an answer to `request`, with the problem's headers."""
    # A plain dict, not a `Problem`: dumping the model with exclude_none would also drop the
    # nulls inside extension members (a rejected batch item without an `event_id`).
    body = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        **problem.extensions,
    }
    return JSONResponse(
        jsonable_encoder(body),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(request, exc)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    # Keep headers such as `Allow` on 405 answers.
    problem = ProblemError(exc.status_code, title, str(exc.detail), headers=exc.headers)
    return problem_response(request, problem)


def problem_responses(
    *statuses: int, model: type[Problem] = Problem
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem answers for `statuses`.

    `model` is the schema documented as `Problem` (the API passes one with an example).
    FastAPI files the entries under the route's media type; `problem_media_type` corrects that.
    """
    return {s: {"model": model, "description": HTTPStatus(s).phrase} for s in statuses}


def problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI `schema` with every error answer documented as problem+json."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return schema


def install_problem_handlers(app: FastAPI) -> None:
    """Answer `ProblemError` and Starlette's HTTP errors (404, 405, ...) of `app` as problems."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
