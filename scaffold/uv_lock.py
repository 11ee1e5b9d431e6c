"""Say when a change leaves the project's ``uv.lock`` behind its ``pyproject.toml``.

``add``, ``remove`` and ``update`` change the dependencies a project declares; a ``uv.lock``
next to them then no longer matches, and ``uv sync --locked`` (CI's usual call) fails. scaffold
does not run ``uv lock`` itself: it needs the package index (scaffold works offline), it would
write a file outside the change it shows, and it resolves versions the owner should review.
Like Rails' and Angular's generators, it says what to run instead.
"""

from __future__ import annotations

import tomllib
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scaffold.merge import FileMerge
    from scaffold.project import Project

UV_LOCK = "uv.lock"
PYPROJECT = "pyproject.toml"


def stale_note(lock: str = UV_LOCK, pyproject: str = PYPROJECT) -> str:
    """Say which lock is stale, because of which ``pyproject.toml``, and what to run."""
    return (
        f"{lock} is out of date: this changes the dependencies in {pyproject}; "
        f"run `uv lock` (or `uv sync`) and commit {lock}"
    )


def _locked_inputs(content: bytes | None) -> Any:
    """Return what ``uv lock`` reads from ``pyproject.toml`` (None: unreadable or absent)."""
    if content is None:
        return None
    try:
        data = tomllib.loads(content.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    project = data.get("project", {})
    keys = ("dependencies", "optional-dependencies", "requires-python")
    return (
        {key: project.get(key) for key in keys} if isinstance(project, dict) else project,
        data.get("dependency-groups"),
        data.get("tool", {}).get("uv") if isinstance(data.get("tool"), dict) else None,
    )


def stale_lock_notes(project: Project, merges: Iterable[FileMerge], folder: str = "") -> list[str]:
    """Say that ``uv.lock`` needs ``uv lock`` when the change edits what it locks.

    ``folder``: where the project's ``pyproject.toml`` is (``backend``); its ``uv.lock`` is
    there or, in a uv workspace, in a folder above it.
    """
    where = PurePosixPath(folder)
    lock = next(
        (
            (place / UV_LOCK).as_posix()
            for place in (where, *where.parents)
            if project.read((place / UV_LOCK).as_posix()) is not None
        ),
        None,
    )
    if lock is None:
        return []
    pyproject = (where / PYPROJECT).as_posix()
    for merge in merges:
        changed = merge.path == pyproject and merge.changes_disk
        if changed and _locked_inputs(merge.before) != _locked_inputs(merge.content):
            return [stale_note(lock, pyproject)]
    return []
