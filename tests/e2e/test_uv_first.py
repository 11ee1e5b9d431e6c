"""A generated project works the way its README says: with uv first, and with plain pip.

``uv sync`` must give the same environment as ``pip install -e '.[dev]'`` (the dev tools come
with it, through the default dependency group), so ``uv run pytest`` and ``uv run mypy`` pass
with no other step; the pip path is the fallback for machines without uv.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

INSTALL_TIMEOUT = 600
TOOL_TIMEOUT = 180


def _passed(output: str) -> int:
    found = re.search(r"(\d+) passed", output)
    return int(found.group(1)) if found else 0


def test_uv_sync_then_uv_run_pytest(projects: Any, tools: Any) -> None:
    project = projects.generate(["settings", "websockets"])
    readme = (project.path / "README.md").read_text()
    for command in ("uv sync", "uv run fastapi dev", "uv run pytest", "pip install -e '.[dev]'"):
        assert command in readme, f"the README does not say {command!r}:\n{readme}"

    tools.run([*tools.uv(), "sync"], cwd=project.path, timeout=INSTALL_TIMEOUT)
    assert (project.path / ".venv" / "bin" / "mypy").is_file(), "uv sync left out the dev tools"
    proc = tools.run(
        [*tools.uv(), "run", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.path,
        timeout=TOOL_TIMEOUT,
    )
    assert _passed(proc.stdout) >= 1, proc.stdout
    proc = tools.run([*tools.uv(), "run", "mypy"], cwd=project.path, timeout=TOOL_TIMEOUT)
    assert "Success: no issues found" in proc.stdout, proc.stdout


@pytest.mark.slow
def test_pip_install_then_pytest(projects: Any, tools: Any) -> None:
    project = projects.generate(["settings", "websockets"])
    venv = project.path / "pip-venv"
    tools.run([sys.executable, "-m", "venv", venv], cwd=project.path, timeout=120)
    tools.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]"],
        cwd=project.path,
        timeout=INSTALL_TIMEOUT,
    )
    proc = tools.run(
        [venv / "bin" / "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.path,
        timeout=TOOL_TIMEOUT,
    )
    assert _passed(proc.stdout) >= 1, proc.stdout
