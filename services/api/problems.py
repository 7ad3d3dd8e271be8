"""Errors as RFC 9457 problem details (`application/problem+json`).

Every error the API returns, including FastAPI's own 404 and validation errors, has the same
shape, so clients parse one format. `type` is a URN per problem kind; `about:blank` means
the status code says it all.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """A problem details object; extension members (e.g. `errors`, `checks`) are allowed."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:slawatch:problem:unknown-agreement",
                    "title": "Unknown agreement",
                    "status": 404,
                    "detail": "no agreement 'acme-helpdsk'",
                    "instance": "/v1/agreements/acme-helpdsk/kpis",
                }
            ]
        },
    )

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


def problem_response(
    request: Request, problem: ProblemError, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = Problem(
        type=problem.type,
        title=problem.title,
        status=problem.status,
        detail=problem.detail,
        instance=request.url.path,
        **problem.extensions,
    )
    return JSONResponse(
        jsonable_encoder(body, exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(request, exc, headers=exc.headers)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = HTTPStatus(exc.status_code).phrase
    problem = ProblemError(exc.status_code, title, str(exc.detail))
    # Keep headers such as `Allow` on 405 answers.
    return problem_response(request, problem, headers=exc.headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    problem = ProblemError(422, "Invalid request", detail, "invalid-request", errors=errors)
    return problem_response(request, problem)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the exception and re-raises it after this answer is sent.
    detail = "the request could not be completed; the error is logged"
    return problem_response(request, ProblemError(500, "Internal Server Error", detail))


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem answers for `statuses`."""
    return {s: {"model": Problem, "description": HTTPStatus(s).phrase} for s in statuses}


def _problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    # FastAPI documents extra responses under the route's media type; ours are problem+json.
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if int(status) >= 400 and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    return schema


def _body_problems(schema: dict[str, Any]) -> dict[str, Any]:
    # Any operation with a body can get a malformed one (400) or one over the limit (413).
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                for status in (400, 413):
                    operation["responses"].setdefault(
                        str(status), {"description": HTTPStatus(status).phrase, "content": content}
                    )
    return schema


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error of `app` with problem details, and document them so."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _body_problems(_problem_media_type(original()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
