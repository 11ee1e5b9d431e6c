"""Ctrl-C at any moment leaves either the whole project or nothing, never a partial one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

EXIT_INTERRUPTED = 130
# The interrupts are spread over start-up, rendering, ruff and the final rename: from 0.1 s to a
# little past the time an uninterrupted run takes on this machine now (it moves with the load).
# Not earlier than 0.1 s: before that the interrupt lands in the interpreter's own start-up,
# before any of scaffold's code runs (nothing is written then either, but Python prints a
# traceback that no program can prevent).
EARLIEST = 0.1
STEPS = 15


def delays(run_seconds: float) -> list[float]:
    latest = max(1.2 * run_seconds, EARLIEST + 0.2)
    spread = [EARLIEST + (latest - EARLIEST) * step / (STEPS - 1) for step in range(STEPS)]
    # One run well past the end: under a parallel suite's load a run can take longer than the
    # reference did, and the "complete" outcome (Ctrl-C while the report prints, or after the
    # exit) must still be seen and checked.
    return [*spread, 3 * run_seconds]


def reference_files(tmp_path: Path) -> tuple[set[str], float]:
    """The files of an --all project, and how long a real run takes."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "timed", "--all", "--no-input", "-o",
         str(tmp_path / "timed")],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    run_seconds = time.monotonic() - started
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "scaffold",
            "new",
            "whole",
            "--all",
            "--no-input",
            "--json",
            "--dry-run",
            "-o",
            str(tmp_path / "reference"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(completed.stdout)["files"]), run_seconds


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _default_sigint() -> None:
    """Let the child take Ctrl-C even when this suite runs where SIGINT is ignored.

    A shell without job control starts background commands with SIGINT ignored, the ignore is
    inherited through exec, and Python then installs no KeyboardInterrupt handler: every run
    would complete and the test would prove nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.timeout(180)
def test_interrupt_at_any_moment_leaves_all_or_nothing(tmp_path: Path) -> None:
    expected, run_seconds = reference_files(tmp_path)
    outcomes = []
    for index, delay in enumerate(delays(run_seconds)):
        output = tmp_path / f"run{index}"
        output.mkdir()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scaffold",
                "new",
                "whole",
                "--all",
                "--no-input",
                "-o",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_default_sigint,  # noqa: PLW1509  # only resets one signal before exec
        )
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=60)

        leftovers = [p.name for p in output.iterdir() if p.name != "whole"]
        assert leftovers == [], f"staging left behind after {delay:.2f}s: {leftovers}"
        project = output / "whole"
        # -SIGINT: the signal landed while the interpreter was shutting down after the run.
        assert process.returncode in {0, EXIT_INTERRUPTED, -signal.SIGINT}, stderr
        assert "Traceback" not in stderr, stderr
        if project.exists():
            # Written: either the run finished, or Ctrl-C came while it printed its report.
            assert files_under(project) == expected, f"partial project at {delay:.2f}s"
            assert "nothing was written" not in stderr, stderr
            outcomes.append("complete")
        else:
            # Typer exits 130 silently when Ctrl-C comes while it parses the arguments.
            assert process.returncode != 0, stderr
            assert "was written" not in stderr.replace("nothing was written", ""), stderr
            outcomes.append("nothing")
    # The spread must have caught both outcomes, or the test proved nothing.
    assert "nothing" in outcomes, outcomes
    assert "complete" in outcomes, outcomes
