"""Child processes that are gone, with everything they started, when scaffold stops waiting."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


def run_to_end(
    command: list[str],
    *,
    cwd: Path | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with its output captured as text; on any interruption, end it all.

    The child runs in a process group of its own, and a timeout, Ctrl-C or SIGTERM kills the
    whole group before scaffold goes on: ``subprocess.run`` kills only the child (``uv run``,
    not the Python it started; copier, not a task's ``npm``) and does not wait on Ctrl-C, so
    what was left could hold the output pipes open forever, or still be writing while the
    caller removes its temporary folder ("Directory not empty" instead of "interrupted").
    Raises ``subprocess.TimeoutExpired`` after ``timeout``.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except BaseException:
        _end_group(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _end_group(process: subprocess.Popen[str]) -> None:
    """Kill the child's process group, reap the child, and close the pipes unread."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
