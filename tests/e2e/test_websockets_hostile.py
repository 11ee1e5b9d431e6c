"""The generated /ws under a real uvicorn, against hostile and slow clients (issue #10).

A binary frame is closed with 1003 (no traceback, and the shutdown stays clean); a room member
that never reads does not stall the others: it is disconnected once its outbox is full, while
the sender keeps getting its echoes. (That the slow peer's client sees the 1013 close is not
checked here: its close frame queues behind the data it never read.)
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

TIMEOUT = 20.0
MESSAGES = 400  # far more than the outbox and the TCP buffers of one peer hold
PAYLOAD = "x" * 32_000


def _connect(url: str, **options: Any) -> Any:
    return connect(url, proxy=None, open_timeout=TIMEOUT, **options)


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
            _connect(f"{server.ws_url}/ws?room=r", max_queue=1) as _never_reads,
            _connect(f"{server.ws_url}/ws?room=r") as sender,
        ):
            started = time.monotonic()
            for index in range(MESSAGES):
                sender.send(f"{index}:{PAYLOAD}")
                echo = json.loads(sender.recv(timeout=TIMEOUT))
                assert echo["type"] == "echo"
                assert echo["text"].startswith(f"{index}:")
            elapsed = time.monotonic() - started
            assert elapsed < 10 * TIMEOUT, f"{MESSAGES} echoes took {elapsed:.1f} s"
        log = server.log()
    assert "Traceback" not in log, log
    assert "KeyError" not in log, log
