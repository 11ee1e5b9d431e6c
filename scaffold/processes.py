"""Child processes that are gone when scaffold stops waiting for them."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


def run_to_end(
    command: list[str],
    *,
    cwd: Path,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with its output captured as text; on any interruption, kill and reap it.

    ``subprocess.run`` kills the child on Ctrl-C but does not wait for it, so a child working in
    a temporary folder (ruff formatting, an app being imported) could still be writing while
    that folder is removed, and the removal failed with "Directory not empty", replacing the
    interrupt with a misleading error. Raises ``subprocess.TimeoutExpired`` after ``timeout``.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
