"""The app's own middleware, written as pure ASGI.

`BaseHTTPMiddleware` runs the app in a separate task, which breaks context variables and
background tasks and buffers streaming; a pure ASGI middleware only wraps `send`.

Every layer here runs on every request, so each does the least it can on the common path:
`HostCheckMiddleware` remembers its verdict on each Host value it has seen, and
`CompressMiddleware` lets a small response through after two comparisons. They keep the
rules of Starlette's `TrustedHostMiddleware` and `GZipMiddleware`, which cost several times
more per request (tests/bench/stack_bench.py in scaffold's repository measures both).
"""

import gzip
import ipaddress
import os
import re
import time
import zlib
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from typing import Protocol

import anyio.to_thread
from starlette.datastructures import URL
from starlette.responses import PlainTextResponse, RedirectResponse
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


# A Host header (RFC 3986 authority without user info): a registered name or IPv4 address, or
# a bracketed IPv6 or future-IP literal, then an optional port. Starlette's own pattern.
_HOST_HEADER = re.compile(
    r"(?P<host>[a-z0-9._~%!$&'()*+,;=-]+|\[(?:(?P<ipv6>[a-f0-9]*:[a-f0-9.:]+)|"
    r"(?-i:v)[a-f0-9]+\.[a-z0-9._~!$&'()*+,;=:-]+)\])(?::[0-9]+)?",
    re.IGNORECASE,
)
# Verdicts kept per Host value; past this many distinct values (a client inventing Host
# headers) each further one is judged afresh instead of growing the table.
_MAX_REMEMBERED_HOSTS = 1024
_SERVE, _REFUSE, _REDIRECT = 0, 1, 2


def _request_header(scope: Scope, name: bytes) -> bytes | None:
    """Return a request header's first value; servers give the names in lower case."""
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


def _host_name(raw: bytes) -> str | None:
    """Return the lower-cased host of a Host value (IPv6 in brackets), or None if invalid."""
    match = _HOST_HEADER.fullmatch(raw.decode("latin-1"))
    if match is None:
        return None
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            return None
    return match["host"].lower()


class HostCheckMiddleware:
    """Answer 400 to a request whose Host header names none of `allowed_hosts`.

    The rules of Starlette's `TrustedHostMiddleware`: exact names, `*.example.com` for any
    subdomain, `*` for any host, and a redirect from `example.com` to `www.example.com` when
    only the latter is allowed. HTTP and websocket requests are both checked.
    """

    def __init__(
        self, app: ASGIApp, allowed_hosts: Sequence[str], *, www_redirect: bool = True
    ) -> None:
        """Wrap `app`; refuse a malformed pattern now rather than mis-match requests later."""
        for pattern in allowed_hosts:
            if "*" in pattern[1:] or (
                pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")
            ):
                msg = f"allowed host {pattern!r}: a wildcard must look like '*.example.com'"
                raise ValueError(msg)
        self.app = app
        self.allow_any = "*" in allowed_hosts
        self.names = frozenset(p.lower() for p in allowed_hosts if not p.startswith("*"))
        self.suffixes = tuple(p[1:].lower() for p in allowed_hosts if p.startswith("*."))
        self.www_redirect = www_redirect
        self.verdicts: dict[bytes, int] = {}

    def verdict(self, raw_host: bytes) -> int:
        """Serve, refuse or redirect a request that carried this Host value."""
        host = _host_name(raw_host)
        if host is None:
            return _REFUSE
        if host in self.names or host.endswith(self.suffixes):
            return _SERVE
        if self.www_redirect and f"www.{host}" in self.names:
            return _REDIRECT
        return _REFUSE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass an allowed request on; answer any other one here."""
        if self.allow_any or scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        raw_host = _request_header(scope, b"host") or b""
        verdict = self.verdicts.get(raw_host)
        if verdict is None:
            verdict = self.verdict(raw_host)
            if len(self.verdicts) < _MAX_REMEMBERED_HOSTS:
                self.verdicts[raw_host] = verdict
        if verdict == _SERVE:
            await self.app(scope, receive, send)
        elif verdict == _REDIRECT:
            url = URL(scope=scope)
            await RedirectResponse(str(url.replace(netloc=f"www.{url.netloc}")))(
                scope, receive, send
            )
        else:
            await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)


# Starlette's list: bodies that are compressed already, or streams a client reads as they come.
DEFAULT_EXCLUDED_CONTENT_TYPES = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)
_PARTIAL_CONTENT = 206  # a range of a body: compressing it would garble the range
# The messages a response holds back until its size is known; others (hints, trailers) go on.
_HELD_UNTIL_SIZED = frozenset(
    {"http.response.start", "http.response.body", "http.response.pathsend"}
)


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _gzipped(body: bytes, level: int) -> bytes:
    """Gzip a whole body; no timestamp in it, so the same body always compresses alike."""
    return gzip.compress(body, level, mtime=0)


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Add Accept-Encoding to Vary, so caches keep the two encodings of a response apart."""
    vary = _header(headers, b"vary")
    if vary is None:
        return [*headers, (b"vary", b"Accept-Encoding")]
    if b"accept-encoding" in vary.lower():
        return headers
    return [(k, v + b", Accept-Encoding" if k.lower() == b"vary" else v) for k, v in headers]


def _with_encoding(
    headers: list[tuple[bytes, bytes]], length: int | None
) -> list[tuple[bytes, bytes]]:
    """Mark the headers for a gzip body, with its length when it is known."""
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    kept.append((b"content-encoding", b"gzip"))
    if length is not None:
        kept.append((b"content-length", str(length).encode("ascii")))
    return kept


class CompressMiddleware:
    """Gzip response bodies of at least `minimum_size` bytes for clients that accept gzip.

    The rules of Starlette's `GZipMiddleware`: a response that is partial (206), already
    encoded or of an excluded type is sent as it is; a streamed one is compressed as it comes,
    without a Content-Length; a body of `thread_minimum_size` bytes or more is compressed in
    a worker thread, so the event loop goes on serving. Large responses say
    `Vary: Accept-Encoding`, compressed or not.
    """

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = 128 * 1024,
        exclude_content_types: Sequence[str] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        """Wrap `app`."""
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        self.excluded = frozenset(
            t.strip().lower().encode("latin-1") for t in exclude_content_types
        )

    def leave_as_is(self, start: Message) -> bool:
        """Whether a response must go out untouched, whatever its size."""
        if start["status"] == _PARTIAL_CONTENT:
            return True
        content_type = b""
        for key, value in start.get("headers", ()):
            name = key.lower()
            if name == b"content-encoding":
                return True
            if name == b"content-type":
                content_type = value
        media_type = content_type.partition(b";")[0].strip().lower()
        return (
            media_type in self.excluded
            or media_type.partition(b"/")[0] + b"/*" in self.excluded
            or (
                media_type.startswith(b"application/grpc+") and b"application/grpc" in self.excluded
            )
        )

    async def compress(self, body: bytes) -> bytes:
        """Gzip a whole body; a large one in a worker thread, so the event loop goes on."""
        if len(body) < self.thread_minimum_size:
            return _gzipped(body, self.compresslevel)
        return await anyio.to_thread.run_sync(_gzipped, body, self.compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the response's start until its first body says how large it is."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The common response, one small body, takes the path through this closure alone; the
        # rest (large, streamed, excluded, files) is handed to a _Response at its first body.
        minimum_size = self.minimum_size
        start: Message | None = None
        passing = False
        rest: _Response | None = None

        async def send_sized(message: Message) -> None:
            nonlocal start, passing, rest
            if passing:
                await send(message)
            elif rest is not None:
                await rest.send(message)
            elif message["type"] == "http.response.start":
                start = message
            elif (
                start is not None
                and message["type"] == "http.response.body"
                and not message.get("more_body", False)
                and len(message.get("body", b"")) < minimum_size
            ):
                passing = True
                await send(start)
                await send(message)
            else:
                rest = _Response(self, send, _request_header(scope, b"accept-encoding"))
                rest.start = start
                await rest.send(message)

        await self.app(scope, receive, send_sized)


class _Response:
    """One response on its way through CompressMiddleware."""

    __slots__ = ("accepts_gzip", "middleware", "next_send", "passing", "start", "stream")

    def __init__(
        self,
        middleware: CompressMiddleware,
        send: Send,
        accept_encoding: bytes | None,
    ) -> None:
        self.middleware = middleware
        self.next_send = send
        self.accepts_gzip = accept_encoding is not None and b"gzip" in accept_encoding
        self.start: Message | None = None
        self.passing = False  # True once the response is known to go out as it is
        self.stream: zlib._Compress | None = None  # for a compressed streaming response

    async def send(self, message: Message) -> None:
        """Pass `message` on, compressed when the response is to be."""
        if self.passing:
            await self.next_send(message)
            return
        kind = message["type"]
        if kind == "http.response.start":
            self.start = message  # held: what becomes of it depends on the first body
        elif self.stream is not None and kind == "http.response.body":
            data = self.stream.compress(message.get("body", b""))
            if not message.get("more_body", False):
                data += self.stream.flush()
            await self.next_send({**message, "body": data})
        elif kind in {"http.response.body", "http.response.pathsend"}:
            await self.send_first(message)
        else:  # early hints, trailers
            await self.next_send(message)

    async def send_first(self, message: Message) -> None:
        """Decide on the first body (or file) message: send the response as it is, or gzip it."""
        start = self.start
        self.passing = True
        if start is None:  # a body before any start: the app's mistake, for the server to report
            await self.next_send(message)
            return
        body = message.get("body", b"")
        more_body = message.get("more_body", False)
        # The common case first: a small whole body goes out as it is, whatever its type.
        if (
            message["type"] != "http.response.body"
            or (not more_body and len(body) < self.middleware.minimum_size)
            or self.middleware.leave_as_is(start)
        ):
            await self.next_send(start)
            await self.next_send(message)
            return
        headers = _with_vary(list(start.get("headers", ())))
        if not self.accepts_gzip:
            await self.next_send({**start, "headers": headers})
            await self.next_send(message)
        elif not more_body:
            body = await self.middleware.compress(body)
            known_length = None if start.get("trailers", False) else len(body)
            await self.next_send({**start, "headers": _with_encoding(headers, known_length)})
            await self.next_send({**message, "body": body})
        else:
            self.passing = False
            self.stream = zlib.compressobj(self.middleware.compresslevel, zlib.DEFLATED, 31)
            await self.next_send({**start, "headers": _with_encoding(headers, None)})
            await self.next_send({**message, "body": self.stream.compress(body)})


class CorsSettings(Protocol):
    """The settings `check_cors` reads."""

    cors_origins: list[str]
    cors_allow_credentials: bool


def check_cors(settings: CorsSettings) -> None:
    """Refuse credentials for the wildcard origin: browsers reject it and it hides a mistake."""
    if "*" in settings.cors_origins and settings.cors_allow_credentials:
        msg = "cors_origins cannot contain '*' when cors_allow_credentials is true; list origins"
        raise ValueError(msg)
