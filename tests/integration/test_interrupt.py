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
# Spread over start-up, rendering, ruff and the final rename (a run takes ~0.3-0.6 s here).
# Not earlier than 0.1 s: before that the interrupt lands in the interpreter's own start-up,
# before any of scaffold's code runs (nothing is written then either, but Python prints a
# traceback that no program can prevent).
DELAYS = [0.1 + 0.04 * step for step in range(15)]


def reference_files(tmp_path: Path) -> set[str]:
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
    return set(json.loads(completed.stdout)["files"])


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.timeout(180)
def test_interrupt_at_any_moment_leaves_all_or_nothing(tmp_path: Path) -> None:
    expected = reference_files(tmp_path)
    outcomes = []
    for index, delay in enumerate(DELAYS):
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
