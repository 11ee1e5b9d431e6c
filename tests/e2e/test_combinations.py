"""Generate projects from blueprint combinations, install them, and run them for real.

The combinations come from ``scaffold blueprints --json`` at collection time (see
``pytest_generate_tests`` in conftest.py): ``--all``, base alone, each optional blueprint alone
and every pair of optional blueprints. Each combination is one test, so pytest-xdist spreads
them over the cores; within a test every check runs and all failures are reported together.

A blueprint alone is installed into a venv of its own (its pyproject.toml must be enough);
pairs and ``--all`` run from one venv shared by the whole session, which holds the union of
the blueprints' dependencies, so the matrix installs once instead of once per combination.
The expensive checks (browser, container, npm client) run once, on the all-blueprints
project, in their own test files.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

WS_TIMEOUT = 5.0
PAGE_IDS = ("ws-status", "ws-form", "ws-input", "ws-send", "ws-log")


class Checks:
    """Run every check, remember each failure, and fail once at the end with all of them."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    @contextlib.contextmanager
    def step(self, name: str, context: Callable[[], str] | None = None) -> Iterator[None]:
        try:
            yield
        except AssertionError as error:  # only assertions: pytest-timeout must still stop us
            extra = f"\n{context()}" if context is not None else ""
            self.failures.append(f"===== {name} =====\n{error}{extra}")

    def assert_all(self) -> None:
        if self.failures:
            pytest.fail("\n\n".join(self.failures), pytrace=False)


# --------------------------------------------------------------------------------------------
# What a running project must do
# --------------------------------------------------------------------------------------------


def check_health(base_url: str) -> None:
    with httpx.Client(trust_env=False, timeout=10) as client:
        response = client.get(f"{base_url}/health")
    assert response.status_code == 200, f"GET /health: {response.status_code} {response.text}"
    assert response.json() == {"status": "ok"}, f"GET /health: {response.text}"


def ws_connect(url: str, origin: str | None = None) -> ClientConnection:
    return connect(url, origin=origin, proxy=None, open_timeout=WS_TIMEOUT)  # type: ignore[arg-type]


def receive(ws: ClientConnection, who: str) -> Any:
    try:
        message = ws.recv(timeout=WS_TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"{who} received nothing within {WS_TIMEOUT}s") from None
    try:
        return json.loads(message)
    except (TypeError, ValueError):
        raise AssertionError(f"{who} received a message that is not JSON: {message!r}") from None


def assert_silent(ws: ClientConnection, who: str, seconds: float = 0.5) -> None:
    try:
        message = ws.recv(timeout=seconds)
    except TimeoutError:
        return
    raise AssertionError(f"{who} should have received nothing, got {message!r}")


def check_echo(ws_url: str) -> None:
    with ws_connect(f"{ws_url}/ws") as ws:
        ws.send("hello")
        got = receive(ws, "the sender")
        assert got == {"type": "echo", "text": "hello"}, f"echo: got {got!r}"


def check_broadcast(ws_url: str) -> None:
    with (
        ws_connect(f"{ws_url}/ws") as first,  # no ?room: the default room, "lobby"
        ws_connect(f"{ws_url}/ws?room=lobby") as second,
        ws_connect(f"{ws_url}/ws?room=elsewhere") as outsider,
    ):
        first.send("hello")
        got = receive(first, "the sender")
        assert got == {"type": "echo", "text": "hello"}, f"sender: got {got!r}"
        got = receive(second, "the second client in the lobby")
        expected = {"type": "broadcast", "room": "lobby", "text": "hello"}
        assert got == expected, f"second client: got {got!r}, expected {expected!r}"
        assert_silent(outsider, "a client in another room")


def check_origins(ws_url: str, site: str) -> None:
    try:
        with ws_connect(f"{ws_url}/ws", origin="http://evil.example") as ws:
            ws.send("hijack")
            got = ws.recv(timeout=WS_TIMEOUT)
    except InvalidStatus as refused:
        status = refused.response.status_code
        assert status == 403, f"a foreign Origin was refused with HTTP {status}, expected 403"
    else:
        raise AssertionError(f"a handshake with Origin: http://evil.example was served: {got!r}")

    for origin, what in ((None, "without Origin"), (site, f"with its own Origin {site}")):
        try:
            with ws_connect(f"{ws_url}/ws", origin=origin) as ws:
                ws.send("ping")
                got = receive(ws, f"a client {what}")
        except InvalidStatus as error:
            raise AssertionError(
                f"a handshake {what} was refused: HTTP {error.response.status_code}"
            ) from None
        assert got == {"type": "echo", "text": "ping"}, f"client {what}: got {got!r}"


def check_page(base_url: str, *, static: bool, websockets: bool) -> None:
    with httpx.Client(trust_env=False, timeout=10) as client:
        page = client.get(f"{base_url}/")
        assert page.status_code == 200, f"GET /: {page.status_code} {page.text[:2000]}"
        assert page.headers["content-type"].startswith("text/html"), page.headers
        if websockets:
            missing = [i for i in PAGE_IDS if f'id="{i}"' not in page.text]
            assert not missing, f"GET / lacks elements {missing}:\n{page.text[:4000]}"
        if static:
            assert "/static/css/app.css" in page.text, f"GET / lacks the stylesheet:\n{page.text}"
            css = client.get(f"{base_url}/static/css/app.css")
            assert css.status_code == 200, f"GET /static/css/app.css: {css.status_code}"
            assert css.headers["content-type"].startswith("text/css"), css.headers
            assert "rgb(245, 247, 250)" in css.text, css.text


def check_mypy(project: Any, cache: Path) -> None:
    """``mypy`` as the project configures it (strict, pydantic's plugin): package and tests."""
    proc = project.run(project.bin("mypy"), "--cache-dir", str(cache), check=False)
    assert proc.returncode == 0, f"mypy failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Success: no issues found" in proc.stdout, proc.stdout


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------


def test_generated_project_works(
    combination: Any,
    projects: Any,
    log_dir: Any,
    catalog: list[dict[str, Any]],
    shared_venv: Any,
    mypy_cache: Path,
) -> None:
    if combination.conflicting:
        project, proc = projects.attempt(combination.blueprints)
        output = proc.stdout + proc.stderr
        assert project is None, f"conflicting blueprints were accepted:\n{output}"
        assert "Traceback" not in output, output
        return

    project = projects.generate(combination.blueprints)
    expected = combination.blueprints or [bp["name"] for bp in catalog]
    missing = sorted(set(expected) - set(project.blueprints))
    assert not missing, f"requested blueprints missing from the project: {missing}"
    if combination.blueprints is not None and len(combination.blueprints) == 1:
        # Alone, a blueprint proves that its own pyproject.toml is enough: a venv of its own.
        project.install()
    else:
        # Pairs and all need only what those proved: the venv with every blueprint's packages.
        project.use(shared_venv)

    checks = Checks()
    with checks.step("ruff check ."):
        project.ruff_check()
    with checks.step("ruff format --check ."):
        project.ruff_format_check()
    with checks.step("mypy --strict (package and tests)"):
        check_mypy(project, mypy_cache)
    with checks.step("pytest (the generated project's own tests)"):
        project.pytest()
    with checks.step("uvicorn"), project.uvicorn(log_dir) as server:
        log = server.report
        with checks.step("GET /health", lambda: log("")):
            check_health(server.url)
        if project.has("templates"):
            with checks.step("GET / (templates)", lambda: log("")):
                check_page(
                    server.url,
                    static=project.has("static"),
                    websockets=project.has("websockets"),
                )
        if project.has("websockets"):
            with checks.step("websocket echo", lambda: log("")):
                check_echo(server.ws_url)
            with checks.step("websocket broadcast in a room", lambda: log("")):
                check_broadcast(server.ws_url)
            with checks.step("websocket Origin check", lambda: log("")):
                check_origins(server.ws_url, server.url)
    checks.assert_all()


def test_fastapi_run_finds_the_entrypoint(all_project: Any, log_dir: Any) -> None:
    """``fastapi run`` with no app path serves the app named by ``[tool.fastapi] entrypoint``."""
    with all_project.fastapi_run(log_dir) as server:
        try:
            check_health(server.url)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{server.report('')}") from None
