"""Fixtures for the fault suite: real processes, real signals, real concurrency (issue #10).

scaffold runs here as a child process (``python -m scaffold``), so that a test can kill it for
real with SIGKILL or SIGTERM. ``SCAFFOLD_FAULT_PAUSE_AT=N`` makes the child pause at its N-th
fault point (each step of the journal: staged, intent written, each file backed up and written,
done) after writing the step's name to a marker file; the test then signals it, or lets it go on
by creating ``<marker>.go``. Projects are generated once per session in process and copied.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

NAME = "fault-app"
PACKAGE = "fault_app"
WAIT = 120.0  # seconds a child may take to reach its pause point on a busy machine


@pytest.fixture(scope="session")
def _pristine(
    tmp_path_factory: pytest.TempPathFactory, _private_cache: None, cli: Callable[..., Result]
) -> Callable[[tuple[str, ...]], Path]:
    made: dict[tuple[str, ...], Path] = {}

    def get(blueprints: tuple[str, ...]) -> Path:
        if blueprints not in made:
            where = tmp_path_factory.mktemp("pristine")
            selection = [arg for name in blueprints for arg in ("-b", name)]
            result = cli("new", NAME, "--no-input", "-o", where, *selection)
            assert result.exit_code == 0, result.output
            made[blueprints] = where / NAME
        return made[blueprints]

    return get


@pytest.fixture
def project(tmp_path: Path, _pristine: Callable[..., Path]) -> Callable[..., Path]:
    """``project(*blueprints)``: a fresh copy of a generated project."""
    count = 0

    def make(*blueprints: str) -> Path:
        nonlocal count
        count += 1
        target = tmp_path / f"work{count}" / NAME
        shutil.copytree(_pristine(tuple(blueprints or ("base",))), target)
        return target

    return make


def child_env(**extra: str) -> dict[str, str]:
    """This environment, without pytest's own variables, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "COV_CORE_")) and key != "PYTHONPATH"
    }
    env.update({"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "300", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra)
    return env


@dataclass
class Child:
    """A scaffold process started by a test, maybe paused at a fault point."""

    process: subprocess.Popen[str]
    marker: Path

    def paused(self) -> str | None:
        """Wait for the pause point; return its step name, or None when the run ended first."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.marker.exists() and self.marker.read_text():
                return self.marker.read_text()
            if self.process.poll() is not None:
                return None
            time.sleep(0.02)
        self.process.kill()
        pytest.fail("the child neither paused nor ended")

    def go_on(self) -> None:
        """Let a paused child continue."""
        self.marker.with_name(self.marker.name + ".go").write_text("go")

    def signal(self, signum: int) -> None:
        """Send a real signal to the child."""
        os.kill(self.process.pid, signum)

    def finish(self) -> tuple[int, str, str]:
        """Wait for the end; return the exit code, stdout and stderr."""
        stdout, stderr = self.process.communicate(timeout=WAIT)
        return self.process.returncode, stdout, stderr


def start(args: list[object], *, tmp_path: Path, pause_at: int | None = None, **popen) -> Child:
    """Start ``scaffold ARGS`` as a child process (paused at fault point ``pause_at``)."""
    marker = tmp_path / f"marker-{time.monotonic_ns()}"
    extra = {"SCAFFOLD_FAULT_MARKER": str(marker)}
    if pause_at is not None:
        extra["SCAFFOLD_FAULT_PAUSE_AT"] = str(pause_at)
    process = subprocess.Popen(
        [sys.executable, "-m", "scaffold", *(str(arg) for arg in args)],
        env=child_env(**extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )
    return Child(process, marker)


@pytest.fixture
def scaffold_child(tmp_path: Path) -> Callable[..., Child]:
    """``scaffold_child(*args, pause_at=None)``: scaffold as a child process."""
    children: list[Child] = []

    def run(*args: object, pause_at: int | None = None, **popen: object) -> Child:
        child = start(list(args), tmp_path=tmp_path, pause_at=pause_at, **popen)
        children.append(child)
        return child

    yield run
    for child in children:  # a failed test must not leave a paused child behind
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGKILL)
            child.process.wait()


def run_scaffold(*args: object, **popen: object) -> tuple[int, str, str]:
    """Run ``scaffold ARGS`` to the end as a child process."""
    done = subprocess.run(
        [sys.executable, "-m", "scaffold", *(str(arg) for arg in args)],
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
        **popen,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def scaffold_run() -> Callable[..., tuple[int, str, str]]:
    """The :func:`run_scaffold` helper."""
    return run_scaffold
