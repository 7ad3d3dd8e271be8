"""The API's own problem answers, on top of the shared ones (services/core/http/problems.py).

Only the API lets FastAPI validate requests, so only it turns validation errors into 422
problems that list `errors`, and documents 400/413 on every operation with a body (the body
limit in limits.py). Its documented `Problem` carries an example for /docs.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ConfigDict

from services.core.http import problems
from services.core.http.unavailable import install_unavailable_handlers


class Problem(problems.Problem):
    """A problem details object; extension members (e.g. `errors`, `checks`) are allowed."""

    model_config = ConfigDict(
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


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem answers for `statuses`."""
    return problems.problem_responses(*statuses, model=Problem)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    problem = problems.ProblemError(
        422, "Invalid request", detail, "invalid-request", errors=errors
    )
    return problems.problem_response(request, problem)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the exception and re-raises it after this answer is sent.
    detail = "the request could not be completed; the error is logged"
    problem = problems.ProblemError(500, "Internal Server Error", detail)
    return problems.problem_response(request, problem)


def _body_problems(schema: dict[str, Any]) -> dict[str, Any]:
    # Any operation with a body can get a malformed one (400) or one over the limit (413).
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    content = {problems.PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
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
    problems.install_problem_handlers(app)
    install_unavailable_handlers(app)  # a database outage is a 503
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_unexpected)
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _body_problems(problems.problem_media_type(original()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
