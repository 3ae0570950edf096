"""The request body limit, for every transfer encoding.

A declared ``Content-Length`` over the limit is answered 413 before anything is read. A body without
one (``Transfer-Encoding: chunked``) or with a false one is counted as it streams in, and refused with
413 as soon as the count passes the limit: the app never holds more than the limit plus one chunk
(uvicorn stops reading the socket while a chunk waits), where reading it whole let one client take
the server's memory.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kgservice.api.http_errors import error_response


class BodyTooLarge(Exception):
    """Raised from ``receive`` inside the app, so whatever is reading the body stops there."""


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(f"request body has {int(declared)} bytes", scope, receive, send)
            return
        received = 0
        responded = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if responded:  # too late for a status; the server closes the connection
                return
            await self._refuse(f"request body passed {self.max_bytes} bytes; reading stopped at {received}",
                               scope, receive, send)

    async def _refuse(self, what: str, scope: Scope, receive: Receive, send: Send) -> None:
        # The rest of the body is never read: the server closes the connection after this response.
        response = error_response(f"{what}; the limit is {self.max_bytes}", "BAD_USER_INPUT", 413)
        await response(scope, receive, send)
