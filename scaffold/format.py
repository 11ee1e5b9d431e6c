"""Formatting the generated Python with ruff, once over the whole staged tree.

ruff reads the generated project's own ``[tool.ruff]`` table, so what scaffold writes is clean
under the rules the project will be linted with: import sorting and safe fixes first, then the
formatter. ``--no-cache`` keeps ``.ruff_cache`` out of the project.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Collection

from scaffold.errors import DestinationError, FormatError
from scaffold.processes import run_to_end


@cache
def ruff_binary() -> str:
    """Find the ruff executable: the one installed beside scaffold, else one on PATH."""
    scripts = Path(sysconfig.get_path("scripts")) / ("ruff.exe" if os.name == "nt" else "ruff")
    if scripts.is_file():
        return str(scripts)
    try:
        from ruff import find_ruff_bin  # type: ignore[import-untyped]  # it knows where its binary is

        return str(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("ruff")
    if found is None:
        msg = "ruff is not installed"
        raise FormatError(msg, hint="reinstall scaffold, which depends on ruff")
    return found


def _run_ruff(arguments: list[str], project: Path, paths: list[str] | None = None) -> None:
    completed = run_to_end(
        # No --quiet: it also hides ruff's error ("Failed to parse x.py:1:10: ..."), which the
        # message below quotes. Output is captured, so nothing reaches the user otherwise.
        # Named paths are formatted even where the project's config excludes them, and
        # --no-respect-gitignore: a project staged inside an owner's repository is formatted
        # whole even when its folder matches that repository's ignore files.
        [
            ruff_binary(),
            *arguments,
            "--no-cache",
            "--no-respect-gitignore",
            *(["--", *paths] if paths else ["."]),
        ],
        cwd=project,
    )
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()
        msg = f"ruff {arguments[0]} failed on the generated project: {detail[-1] if detail else ''}"
        raise FormatError(msg, hint="this is a bug in a blueprint; please report it")


def format_project(project: Path, paths: list[str] | None = None) -> None:
    """Sort imports, apply ruff's safe fixes, then format every Python file (or ``paths``)."""
    _run_ruff(["check", "--fix", "--exit-zero"], project, paths)
    _run_ruff(["format"], project, paths)


def format_tree(tree: dict[str, bytes], *, keep: Collection[str] = ()) -> dict[str, bytes]:
    """Format a rendered tree in a private temporary folder and return the formatted tree.

    ``keep``: paths written as they are (a copier template's output, which copier would not
    reformat); they are in the folder, so ruff reads the project's own configuration, but ruff
    is told to leave them alone.
    """
    import tempfile

    try:
        root = Path(tempfile.mkdtemp(prefix="scaffold-format-"))
    except OSError as error:
        raise _no_room(tempfile.gettempdir(), error) from None
    try:
        for relative, content in tree.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if not keep:
            format_project(root)
        elif formatted := [p for p in tree if p.endswith((".py", ".pyi")) and p not in keep]:
            format_project(root, formatted)
        return {
            relative: content if relative in keep else _same_kind(content, root / relative)
            for relative, content in tree.items()
        }
    except OSError as error:  # a full disk or a file size limit in the temporary folder
        raise _no_room(tempfile.gettempdir(), error) from None
    finally:
        # Cleanup never replaces the error (or the Ctrl-C) that ended the body.
        shutil.rmtree(root, ignore_errors=True)


def _no_room(folder: str, error: OSError) -> DestinationError:
    msg = f"cannot write the files to format in {folder}: {error.strerror}"
    return DestinationError(msg, hint="nothing was written; free some space and retry")


def _same_kind(content: bytes, path: Path) -> bytes:
    """Read back a formatted file, executable when it was."""
    data = path.read_bytes()
    return type(content)(data) if type(content) is not bytes else data
