"""The generated /ws under a real uvicorn, against hostile and slow clients (issue #10).

A binary frame is closed with 1003 (no traceback, and the shutdown stays clean); a room member
that never reads does not stall the others: it is disconnected once its outbox is full, while
the sender keeps getting its echoes, and when the slow client reads again it finds the messages
that were queued for it, then the 1013 (try again later) close frame.
"""

from __future__ import annotations

import json
import socket
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close, Opcode
from websockets.sync.client import connect
from websockets.uri import parse_uri

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

TIMEOUT = 20.0
MESSAGES = 400  # far more than the outbox and the TCP buffers of one peer hold
PAYLOAD = "x" * 32_000


def _connect(url: str, **options: Any) -> Any:
    return connect(url, proxy=None, open_timeout=TIMEOUT, **options)


@contextmanager
def _never_reading(url: str) -> Iterator[tuple[socket.socket, ClientProtocol]]:
    """A client that shakes hands, then reads nothing (a tiny receive buffer, no reader thread).

    websockets' own clients keep reading in a background thread whatever ``max_queue`` says, so
    the peer is a bare socket driven by websockets' sans-I/O protocol.
    """
    protocol = ClientProtocol(parse_uri(url))
    address = urlsplit(url)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(TIMEOUT)
        sock.connect((address.hostname, address.port))
        protocol.send_request(protocol.connect())
        sock.sendall(b"".join(protocol.data_to_send()))
        response = b""
        while b"\r\n\r\n" not in response:  # byte by byte: not one frame byte is read
            response += sock.recv(1)
        protocol.receive_data(response)
        assert protocol.handshake_exc is None, protocol.handshake_exc
        protocol.events_received()
        yield sock, protocol


def _read_until_close(sock: socket.socket, protocol: ClientProtocol) -> tuple[int, Close | None]:
    """Read frames until the server's close frame; return how many came first, and the close."""
    frames = 0
    while data := sock.recv(65536):
        protocol.receive_data(data)
        for frame in protocol.events_received():
            if frame.opcode is Opcode.CLOSE:
                return frames, Close.parse(frame.data)
            frames += 1
    return frames, None


def test_hostile_and_slow_clients_do_not_break_the_room(projects: Any, log_dir: Path) -> None:
    project = projects.installed(["websockets", "lifespan", "settings", "tests"])
    assert project.pytest() >= 1
    with project.uvicorn(log_dir) as server:
        with _connect(f"{server.ws_url}/ws?room=bin") as hostile:
            hostile.send(b"\x00\x01binary")
            with pytest.raises(ConnectionClosed) as closed:
                hostile.recv(timeout=TIMEOUT)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1003

        with (
            _never_reading(f"{server.ws_url}/ws?room=r") as (slow_socket, slow_protocol),
            _connect(f"{server.ws_url}/ws?room=r") as sender,
        ):
            started = time.monotonic()
            for index in range(MESSAGES):
                sender.send(f"{index}:{PAYLOAD}")
                echo = json.loads(sender.recv(timeout=TIMEOUT))
                assert echo["type"] == "echo"
                assert echo["text"].startswith(f"{index}:")
            elapsed = time.monotonic() - started
            # Now the slow peer reads: what reached it before its outbox filled, then the close.
            broadcasts, close = _read_until_close(slow_socket, slow_protocol)
        log = server.log()
        assert elapsed < 10 * TIMEOUT, f"{MESSAGES} echoes took {elapsed:.1f} s"
        assert close is not None, f"the connection ended with no close frame after {broadcasts}"
        assert close.code == 1013, close
        assert broadcasts < MESSAGES, "the slow peer got everything: it was never disconnected"
    assert "Traceback" not in log, log
    assert "KeyError" not in log, log
