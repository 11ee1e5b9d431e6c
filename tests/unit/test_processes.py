"""A child scaffold stops waiting for ends with everything it started."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from scaffold.processes import run_to_end


def _alive(pid: int) -> bool:
    """Say whether ``pid`` runs (a zombie waiting for a reaper does not)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines()
        state = next(line for line in lines if line.startswith("State:"))
    except (FileNotFoundError, StopIteration):
        return False
    return "zombie" not in state


@pytest.mark.timeout(30)
def test_a_timeout_ends_the_grandchildren_that_hold_the_output(tmp_path: Path) -> None:
    # uv run starts the Python that imports the app; killing uv alone left that Python
    # holding the pipes, and scaffold waited for it forever.
    script = f"sleep 60 & echo $! > {tmp_path / 'pid'}; sleep 60"

    with pytest.raises(subprocess.TimeoutExpired):
        run_to_end(["sh", "-c", script], cwd=tmp_path, timeout=1)

    grandchild = int((tmp_path / "pid").read_text())
    for _ in range(50):  # the kill is sent; the kernel may take a moment to end it
        if not _alive(grandchild):
            break
        time.sleep(0.1)
    assert not _alive(grandchild)


def test_output_and_input_go_through(tmp_path: Path) -> None:
    done = run_to_end(["sh", "-c", "cat; echo err >&2; exit 3"], cwd=tmp_path, stdin="in\n")

    assert (done.returncode, done.stdout, done.stderr) == (3, "in\n", "err\n")
