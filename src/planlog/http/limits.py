"""The request-body limit, enforced on the stream as the body arrives.

A check of the Content-Length header alone is not enough: a chunked body has none,
and FastAPI reads (and keeps) the whole body for form and JSON parameters before any
dependency — authentication included — runs. So this pure ASGI middleware counts the
bytes of every `http.request` message as the application pulls it, and answers 413
the moment the count passes the limit. Nothing downstream ever holds more than the
limit, and a declared Content-Length over the limit is refused before the first byte.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planlog.http.problems import problem


class BodyTooLarge(Exception):
    """Raised into the application by `receive` once the body passes the limit."""


def too_large(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"请求内容超过 {megabytes:g} MB 上限 / request body larger than {limit} bytes"


class BodyLimit:
    """Refuse request bodies over `limit` bytes with 413 problem+json, whatever their
    framing (Content-Length, chunked, or none)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        wider: tuple[re.Pattern[str], int] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        #: paths (evidence uploads) whose bodies may be larger, and their limit
        self.wider = wider

    def _limit(self, scope: Scope) -> int:
        if self.wider is not None and self.wider[0].fullmatch(scope.get("path", "")):
            return self.wider[1]
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        declared = _content_length(scope)
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                # The application caught the error and asked again: there is no more.
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                # Whatever the application makes of the interrupted body (FastAPI turns
                # a failed read into a 400) is replaced by the 413 below.
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problem(413, too_large(self._limit(scope)), "too_large")(scope, receive, send)


def _content_length(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return str(value.decode("latin-1").strip())
    return None
