"""Say when a change leaves the project's lock file behind its ``pyproject.toml``.

``add``, ``remove`` and ``update`` change the dependencies a project declares; a ``uv.lock``,
``poetry.lock`` or ``pdm.lock`` next to them then no longer matches, and the locked install CI
usually runs (``uv sync --locked``, ``poetry install``, ``pdm install --frozen-lockfile``)
fails or installs without the new requirements. scaffold does not lock itself: it needs the
package index (scaffold works offline), it would write a file outside the change it shows, and
it resolves versions the owner should review. Like Rails' and Angular's generators, it says what
to run instead.
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
# Each lock and the command that brings it up to date. Poetry 1's plain `poetry lock` also
# upgrades every other pin, which 2.x no longer does; 1.x keeps them with --no-update.
_LOCK_COMMANDS = {
    UV_LOCK: "`uv lock` (or `uv sync`)",
    "poetry.lock": "`poetry lock` (with Poetry 1: `poetry lock --no-update`, to keep the "
    "other pins)",
    "pdm.lock": "`pdm lock`",
}
_POETRY_KEYS = ("dependencies", "dev-dependencies", "group", "extras")


def stale_note(lock: str = UV_LOCK, pyproject: str = PYPROJECT) -> str:
    """Say which lock is stale, because of which ``pyproject.toml``, and what to run."""
    command = _LOCK_COMMANDS[PurePosixPath(lock).name]
    return (
        f"{lock} is out of date: this changes the dependencies in {pyproject}; "
        f"run {command} and commit {lock}"
    )


def _locked_inputs(content: bytes | None) -> Any:
    """Return what the lockers read from ``pyproject.toml`` (None: unreadable or absent)."""
    if content is None:
        return None
    try:
        data = tomllib.loads(content.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    project = data.get("project", {})
    keys = ("dependencies", "optional-dependencies", "requires-python")
    tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry", {})
    return (
        {key: project.get(key) for key in keys} if isinstance(project, dict) else project,
        data.get("dependency-groups"),
        tool.get("uv"),
        {key: poetry.get(key) for key in _POETRY_KEYS} if isinstance(poetry, dict) else poetry,
        tool.get("pdm"),
    )


def _nearest_lock(project: Project, where: PurePosixPath, name: str) -> str | None:
    """Return the lock beside ``where``, or above it for uv (a workspace's root), else None.

    Poetry and PDM have no workspaces: a ``poetry.lock`` above is another project's.
    """
    places = (where, *where.parents) if name == UV_LOCK else (where,)
    for place in places:
        path = (place / name).as_posix()
        if project.read(path) is not None:
            return path
    return None


def stale_lock_notes(project: Project, merges: Iterable[FileMerge], folder: str = "") -> list[str]:
    """Say that a lock needs its locker when the change edits what it locks.

    ``folder``: where the project's ``pyproject.toml`` is (``backend``); its lock is there or,
    in a uv workspace, in a folder above it.
    """
    where = PurePosixPath(folder)
    locks = [
        lock for name in _LOCK_COMMANDS if (lock := _nearest_lock(project, where, name)) is not None
    ]
    if not locks:
        return []
    pyproject = (where / PYPROJECT).as_posix()
    for merge in merges:
        changed = merge.path == pyproject and merge.changes_disk
        if changed and _locked_inputs(merge.before) != _locked_inputs(merge.content):
            return [stale_note(lock, pyproject) for lock in locks]
    return []
