"""The environment ``scaffold blueprint check`` runs the generated projects' tests in.

An installed scaffold (``uv tool install``, ``pipx``) lives in an environment of its own that
has none of fastapi, httpx or pytest, so the projects' tests cannot run with scaffold's Python.
Instead, the union of the generated projects' requirements (their dependencies and their dev
extra) is installed with uv into a virtual environment under scaffold's cache, named by a hash
of those requirements and of the Python running scaffold. The next check with the same
requirements reuses it at once; a different set gets its own. Deleting the cache only costs
time.

uv comes with scaffold (the ``uv`` package on PyPI ships its binary); one on PATH serves when
that is missing. A lock file keeps two checks from building the same environment at once, and
a marker written last tells a complete environment from one a Ctrl-C interrupted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING

from scaffold.errors import ScaffoldError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

ENV_FORMAT = 1  # bump when the layout of an environment changes, so old ones are not reused
_MARKER = "scaffold-check-env.json"
_INSTALL_TIMEOUT = 900.0  # seconds: a cold uv cache downloads fastapi[standard] and friends
_ERROR_LINES = 12
_TREE = "\u00d7\u2570\u2500\u25b6\u2502 "  # the glyphs of uv's error tree, and spaces


class CheckEnvironmentError(ScaffoldError):
    """The environment for the generated projects' tests could not be made (exit 1)."""

    exit_code = 1


def find_uv() -> str | None:
    """Return the uv binary: the one the ``uv`` package ships beside scaffold, else PATH's."""
    try:
        from uv import find_uv_bin
    except ImportError:
        pass
    else:
        with contextlib.suppress(FileNotFoundError):
            return str(find_uv_bin())
    return shutil.which("uv")


def project_requirements(project: Path) -> list[str]:
    """Return a generated project's requirements: ``[project] dependencies`` and the dev extra."""
    try:
        data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []  # the project's own checks will say what is wrong with it
    table = data.get("project", {})
    extras = table.get("optional-dependencies", {})
    found = [*table.get("dependencies", []), *extras.get("dev", [])]
    return [str(requirement) for requirement in found]


def environment_folder(requirements: Iterable[str]) -> Path:
    """Return where the environment for ``requirements`` lives (made or not)."""
    from scaffold.sources import cache_dir

    identity = {
        "format": ENV_FORMAT,
        "python": [os.path.realpath(sys.executable), list(sys.version_info)],
        "requirements": sorted(set(requirements)),
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return cache_dir() / "check-envs" / digest[:16]


def python_of(folder: Path) -> Path:
    """Return the interpreter of the virtual environment at ``folder``."""
    if os.name == "nt":
        return folder / "Scripts" / "python.exe"
    return folder / "bin" / "python"


def ensure_environment(
    requirements: Iterable[str], *, on_step: Callable[[str], None] | None = None
) -> Path:
    """Return the Python of an environment holding ``requirements``; make it if needed.

    ``on_step`` hears what is being done (for progress); it is not called for a cached one.
    Raises :class:`CheckEnvironmentError` when uv is missing or cannot install them.
    """
    wanted = sorted(set(requirements))
    folder = environment_folder(wanted)
    if (folder / _MARKER).is_file():
        return python_of(folder)
    uv = find_uv()
    if uv is None:
        msg = "cannot make the environment for the projects' tests: uv is not installed"
        raise CheckEnvironmentError(msg, hint="install uv (pip install uv), or pass --no-run")
    report = on_step or (lambda _step: None)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.with_suffix(".lock")):
        if (folder / _MARKER).is_file():  # another check made it while this one waited
            return python_of(folder)
        shutil.rmtree(folder, ignore_errors=True)  # a half-made one, interrupted earlier
        report(f"creating a virtual environment in {folder}")
        _uv(uv, ["venv", "--quiet", "--python", sys.executable, str(folder)])
        if wanted:
            report(f"installing {len(wanted)} requirements with uv")
            _uv(uv, ["pip", "install", "--quiet", "--python", str(python_of(folder)), *wanted])
        marker = {"format": ENV_FORMAT, "requirements": wanted}
        (folder / _MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return python_of(folder)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (POSIX); elsewhere, go ahead unlocked."""
    try:
        import fcntl
    except ImportError:  # Windows: two concurrent first checks may both build; the last wins
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _uv(uv: str, arguments: list[str]) -> None:
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env.setdefault("UV_NO_PROGRESS", "1")
    try:
        completed = subprocess.run(
            [uv, *arguments],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        msg = f"uv {arguments[0]} took more than {_INSTALL_TIMEOUT:g}s"
        raise CheckEnvironmentError(msg, hint="check the network, or pass --no-run") from None
    except OSError as error:
        msg = f"cannot run uv ({uv}): {error}"
        raise CheckEnvironmentError(msg, hint="reinstall uv, or pass --no-run") from None
    if completed.returncode != 0:
        # uv draws its error as a tree (a cross, then an arrow to "Because ..."): keep words.
        lines = [line.strip().lstrip(_TREE) for line in completed.stderr.splitlines()]
        lines = [line.removeprefix("error: ") for line in lines if line]
        reason = " ".join(lines[-_ERROR_LINES:]) or f"exit code {completed.returncode}"
        msg = f"cannot install the projects' requirements: {reason}"
        raise CheckEnvironmentError(msg, hint="fix the requirement, or pass --no-run")
