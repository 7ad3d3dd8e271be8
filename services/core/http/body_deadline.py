"""A deadline for reading a request body: a client that sends it too slowly gets a 408.

Why a middleware: uvicorn (h11) times out idle keep-alive connections but never a request
whose body trickles in, so a few hundred slow senders could hold ingest's connections and
memory for as long as they liked ("slowloris"). The deadline runs from the request's start
to its last body chunk; once the body is complete, `receive` is passed through untouched
(Starlette waits on it for disconnects). The answer carries `Connection: close`, since the
rest of that body will never be read.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core.http.problems import ProblemError, problem_response

log = logging.getLogger(__name__)
BODY_TIMEOUT_SECONDS = 10.0


class _BodyTooSlow(Exception):
    pass


class BodyDeadlineMiddleware:
    """Answer 408 when a request's body is not complete within `seconds` of its start."""

    def __init__(self, app: ASGIApp, seconds: float = BODY_TIMEOUT_SECONDS) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        body_done = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTooSlow from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except _BodyTooSlow:
            if started:
                raise
            client = scope.get("client")
            log.warning("request body from %s not complete within %g s", client, self.seconds)
            detail = f"the request body did not arrive within {self.seconds:g} s"
            problem = ProblemError(
                408, HTTPStatus(408).phrase, detail, "body-timeout", headers={"Connection": "close"}
            )
            await problem_response(Request(scope), problem)(scope, receive, send)
