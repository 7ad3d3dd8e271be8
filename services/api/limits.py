"""Request body limit of the API: larger bodies are refused with a 413 problem.

Agreement documents are a few kilobytes, so 1 MB leaves ample room while a client cannot
make the API buffer arbitrary amounts. A declared `Content-Length` is refused before
anything is read; a body without one (chunked) is counted as it arrives.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core.http.problems import ProblemError, problem_response

MAX_BODY_BYTES = 1_000_000


def _detail(limit: int) -> str:
    return f"the request body exceeds {limit} bytes"


class BodyLimitMiddleware:
    """Refuse request bodies over `max_bytes` with `413 Content Too Large`."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            status = 413 if declared.isdigit() else 400
            detail = _detail(self.max_bytes) if status == 413 else "invalid Content-Length"
            problem = ProblemError(status, HTTPStatus(status).phrase, detail)
            response = problem_response(Request(scope), problem)
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised inside the route's body parsing: answered by the problem handler.
                    raise HTTPException(413, _detail(self.max_bytes))
            return message

        await self.app(scope, limited, send)
