"""The app's own middleware, written as pure ASGI.

`BaseHTTPMiddleware` runs the app in a separate task, which breaks context variables and
background tasks and buffers streaming; a pure ASGI middleware only wraps `send`.
"""

import re
import time
from typing import Protocol
from uuid import uuid4

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
PROCESS_TIME_HEADER = "X-Process-Time"
# Accept a caller's ID only if it is short and plain, so it is safe to log and echo.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class RequestContextMiddleware:
    """Give every HTTP request an ID (the caller's, when valid) and time it.

    The ID is kept in `request.state.request_id` and returned as `X-Request-ID`; the time
    spent, in seconds, as `X-Process-Time`.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Tag the request and its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        valid = incoming is not None and _VALID_REQUEST_ID.fullmatch(incoming)
        request_id = incoming if valid and incoming else uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                headers[PROCESS_TIME_HEADER] = f"{time.perf_counter() - started:.6f}"
            await send(message)

        await self.app(scope, receive, send_with_context)


class CorsSettings(Protocol):
    """The settings `check_cors` reads."""

    cors_origins: list[str]
    cors_allow_credentials: bool


def check_cors(settings: CorsSettings) -> None:
    """Refuse credentials for the wildcard origin: browsers reject it and it hides a mistake."""
    if "*" in settings.cors_origins and settings.cors_allow_credentials:
        msg = "cors_origins cannot contain '*' when cors_allow_credentials is true; list origins"
        raise ValueError(msg)
