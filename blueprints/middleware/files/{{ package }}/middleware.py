"""The app's own middleware, written as pure ASGI.

`BaseHTTPMiddleware` runs the app in a separate task, which breaks context variables and
background tasks and buffers streaming; a pure ASGI middleware only wraps `send`.
"""

import os
import re
import time
from contextvars import ContextVar
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
PROCESS_TIME_HEADER = "X-Process-Time"
# Accept a caller's ID only if it is short and plain, so it is safe to log and echo.
_VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# The raw ASGI names: this runs on every request, so it reads and writes the header lists
# directly instead of building Headers objects around them.
_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")
_PROCESS_TIME_KEY = PROCESS_TIME_HEADER.lower().encode("latin-1")
# The ID of the request being served, for code that has no Request at hand (log records).
_current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """Return the ID of the HTTP request being served, or None outside of one."""
    return _current_request_id.get()


def _incoming_request_id(scope: Scope) -> bytes | None:
    for key, value in scope["headers"]:
        if key == _REQUEST_ID_KEY:
            return value if _VALID_REQUEST_ID.fullmatch(value) else None
    return None


class RequestContextMiddleware:
    """Give every HTTP request an ID (the caller's, when valid) and time it.

    The ID is kept in `request.state.request_id` (and `current_request_id()` while the request
    is served) and returned as `X-Request-ID`; the time spent, in seconds, as `X-Process-Time`.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Tag the request and its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # 16 random bytes in hex: what uuid4().hex gives, without building a UUID.
        raw_id = _incoming_request_id(scope) or os.urandom(16).hex().encode("ascii")
        request_id = raw_id.decode("latin-1")
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()

        async def send_with_context(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = f"{time.perf_counter() - started:.6f}".encode("ascii")
                headers = list(message.get("headers", ()))
                headers += [(_REQUEST_ID_KEY, raw_id), (_PROCESS_TIME_KEY, elapsed)]
                message["headers"] = headers
            await send(message)

        token = _current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_context)
        finally:
            _current_request_id.reset(token)


class CorsSettings(Protocol):
    """The settings `check_cors` reads."""

    cors_origins: list[str]
    cors_allow_credentials: bool


def check_cors(settings: CorsSettings) -> None:
    """Refuse credentials for the wildcard origin: browsers reject it and it hides a mistake."""
    if "*" in settings.cors_origins and settings.cors_allow_credentials:
        msg = "cors_origins cannot contain '*' when cors_allow_credentials is true; list origins"
        raise ValueError(msg)
