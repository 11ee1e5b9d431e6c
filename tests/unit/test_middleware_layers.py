"""The middleware blueprint's own layers keep the rules of the Starlette layers they replace.

`HostCheckMiddleware` and `CompressMiddleware` exist because Starlette's
`TrustedHostMiddleware` and `GZipMiddleware` cost several times more per request (see
tests/bench/stack_bench.py). Here both pairs serve the same generated requests and responses,
and must answer alike: the same status, redirect, body once decoded, and headers.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

if TYPE_CHECKING:
    from types import ModuleType

MIDDLEWARE_FILE = (
    Path(__file__).resolve().parents[2] / "blueprints/middleware/files/{{ package }}/middleware.py"
)


def load_blueprint_middleware() -> ModuleType:
    spec = importlib.util.spec_from_file_location("blueprint_middleware", MIDDLEWARE_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


layers = load_blueprint_middleware()

Message = dict[str, Any]


def serve(app: Any, scope: Message) -> list[Message]:
    """Run one request through `app`; return the messages it sent."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def http_scope(headers: list[tuple[bytes, bytes]], *, kind: str = "http") -> Message:
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http" if kind == "http" else "ws",
        "path": "/where",
        "raw_path": b"/where",
        "query_string": b"q=1",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


def app_sending(messages: list[Message]) -> Any:
    async def app(scope: Message, receive: Any, send: Any) -> None:
        for message in messages:
            await send(
                {**message, "headers": list(message.get("headers", []))}
                if "headers" in message
                else dict(message)
            )

    return app


def response_view(sent: list[Message]) -> dict[str, Any]:
    """What a client sees: status, headers without Content-Length, the body decoded."""
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    headers = [(k.lower(), v) for k, v in start.get("headers", [])]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    names = [k for k, _ in headers]
    lengths = [int(v) for k, v in headers if k == b"content-length"]
    if lengths:
        assert lengths == [len(body)], "Content-Length must be the length of what was sent"
    if (b"content-encoding", b"gzip") in headers and body:
        body = gzip.decompress(body)
    return {
        "status": start["status"],
        "headers": sorted((k, v) for k, v in headers if k not in {b"content-length", b"vary"}),
        # Vary is a set of names: Starlette writes Accept-Encoding twice where it was already.
        "vary": {
            token.strip().lower() for k, v in headers if k == b"vary" for token in v.split(b",")
        },
        "has_length": b"content-length" in names,
        "body": body,
        "others": [
            m for m in sent if m["type"] not in {"http.response.start", "http.response.body"}
        ],
    }


CONTENT_TYPES = [
    b"application/json",
    b"text/html; charset=utf-8",
    b"text/event-stream",
    b"image/png",
    b"audio/ogg",
    b"application/grpc+proto",
    b"IMAGE/JPEG",
]


@st.composite
def responses(draw: st.DrawFn) -> list[Message]:
    headers = [(b"content-type", draw(st.sampled_from(CONTENT_TYPES)))]
    if draw(st.booleans()):
        headers.append((b"vary", draw(st.sampled_from([b"Origin", b"accept-encoding"]))))
    if draw(st.integers(0, 9)) == 0:
        headers.append((b"content-encoding", b"br"))
    chunks = draw(st.lists(st.binary(max_size=1500) | st.just(b"x" * 3000), min_size=1, max_size=4))
    if len(chunks) == 1:
        headers.append((b"content-length", str(len(chunks[0])).encode()))
    status = draw(st.sampled_from([200, 200, 201, 206, 404]))
    start: Message = {"type": "http.response.start", "status": status, "headers": headers}
    bodies: list[Message] = [
        {"type": "http.response.body", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    return [start, *bodies]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    messages=responses(),
    accept=st.sampled_from([None, b"gzip", b"gzip, deflate, br", b"br", b"identity"]),
    minimum_size=st.sampled_from([0, 1, 500, 1000, 5000]),
)
def test_compression_answers_as_starlettes_gzip_does(
    messages: list[Message], accept: bytes | None, minimum_size: int
) -> None:
    headers = [(b"host", b"testserver")] + ([(b"accept-encoding", accept)] if accept else [])
    ours = layers.CompressMiddleware(app_sending(messages), minimum_size=minimum_size)
    theirs = GZipMiddleware(app_sending(messages), minimum_size=minimum_size)

    mine, starlettes = serve(ours, http_scope(headers)), serve(theirs, http_scope(headers))

    assert response_view(mine) == response_view(starlettes)
    assert (
        b"".join(m.get("body", b"") for m in mine) == b"" or mine[-1].get("more_body") is not True
    )


def test_a_streamed_response_is_compressed_as_it_comes() -> None:
    chunks = [b"a" * 2000, b"b" * 2000, b""]
    messages: list[Message] = [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        },
        *({"type": "http.response.body", "body": c, "more_body": bool(c)} for c in chunks),
    ]
    app = layers.CompressMiddleware(app_sending(messages), minimum_size=100)

    sent = serve(app, http_scope([(b"accept-encoding", b"gzip")]))

    headers = dict(sent[0]["headers"])
    assert headers[b"content-encoding"] == b"gzip"
    assert b"content-length" not in headers  # the length of a stream is not known in advance
    assert len(sent) == 1 + len(chunks)  # one message out for each message in
    assert gzip.decompress(b"".join(m["body"] for m in sent[1:])) == b"".join(chunks)


def test_a_large_body_is_compressed_off_the_event_loop() -> None:
    body = bytes(range(256)) * 1024  # 256 KiB, above the 128 KiB thread threshold
    messages: list[Message] = [
        {"type": "http.response.start", "status": 200, "headers": []},
        {"type": "http.response.body", "body": body},
    ]
    app = layers.CompressMiddleware(app_sending(messages))

    sent = serve(app, http_scope([(b"accept-encoding", b"gzip")]))

    assert gzip.decompress(sent[1]["body"]) == body


HOST_PATTERNS = st.lists(
    st.sampled_from(
        [
            "example.com",
            "www.example.com",
            "*.example.com",
            "localhost",
            "127.0.0.1",
            "[::1]",
            "API.Example.org",
            "testserver",
        ]
    ),
    max_size=4,
)
HOSTS = st.sampled_from(
    [
        b"example.com",
        b"www.example.com",
        b"a.example.com",
        b"example.com:8000",
        b"EXAMPLE.COM",
        b"evil.example",
        b"localhost:80",
        b"127.0.0.1:8000",
        b"[::1]:8000",
        b"[::1",
        b"[zz::1]",
        b"api.example.org",
        b"",
        b"exa mple.com",
        b"example.com:",
        b"example.com:99999999",
        b"bad\xffhost",
        b"xexample.com",
        b"testserver",
    ]
)


@settings(max_examples=400, deadline=None)
@given(patterns=HOST_PATTERNS, host=HOSTS, kind=st.sampled_from(["http", "websocket"]))
def test_allowed_hosts_answers_as_starlettes_trusted_host_does(
    patterns: list[str], host: bytes, kind: str
) -> None:
    reached: list[str] = []

    async def app(scope: Message, receive: Any, send: Any) -> None:
        reached.append(scope["type"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    headers = [(b"host", host)] if host else []
    ours = layers.HostCheckMiddleware(app, allowed_hosts=patterns)
    theirs = TrustedHostMiddleware(app, allowed_hosts=patterns)

    mine = serve(ours, http_scope(headers, kind=kind))
    mine_reached, reached[:] = list(reached), []
    starlettes = serve(theirs, http_scope(headers, kind=kind))

    assert mine_reached == reached
    assert [(m["type"], m.get("status"), sorted(m.get("headers", []))) for m in mine] == [
        (m["type"], m.get("status"), sorted(m.get("headers", []))) for m in starlettes
    ]


def test_a_verdict_is_remembered_only_up_to_a_bound() -> None:
    async def app(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = layers.HostCheckMiddleware(app, allowed_hosts=["example.com"])
    for number in range(3000):  # a client making up a new Host header for every request
        sent = serve(guard, http_scope([(b"host", f"h{number}.example".encode())]))
        assert sent[0]["status"] == 400

    assert len(guard.verdicts) == layers._MAX_REMEMBERED_HOSTS
    assert serve(guard, http_scope([(b"host", b"example.com")]))[0]["status"] == 200


@pytest.mark.parametrize("pattern", ["*example.com", "ex*ample.com", "*.*.example.com"])
def test_a_malformed_wildcard_is_refused_when_the_app_is_built(pattern: str) -> None:
    with pytest.raises(ValueError, match=r"\*\.example\.com"):
        layers.HostCheckMiddleware(app_sending([]), allowed_hosts=[pattern])
