"""An existing project on disk: its record, its base, its files, and whether git is clean."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold.errors import DestinationError, SpecError
from scaffold.record import Record, read_base, read_record

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

    from scaffold.models import ProjectSpec
    from scaffold.sources import Source


_SHOWN = 3  # uncommitted paths named in the error
_OWN_FILES = (".scaffold-lock", ".scaffold-journal")  # scaffold's, while a command runs


@dataclass(frozen=True)
class Project:
    """A scaffold project: the folder and what its record says."""

    root: Path
    record: Record
    recovered: str | None = None  # what recovering an interrupted change did, to say so

    def base(self) -> dict[str, bytes]:
        """Return what scaffold generated last time."""
        return read_base(self.root)

    def read(self, relative: str) -> bytes | None:
        """Return the file's content on disk now, or None when it does not exist.

        What cannot be read safely (a folder where a file was generated, a file scaffold may
        not read, a link leaving the project, a FIFO) is an error, never "deleted": a merge
        that took it for absent would destroy it. A link that stays inside the project is the
        link itself (its target), never what it points to.
        """
        from scaffold.filekind import Link
        from scaffold.untrusted import inside, read_project_file

        path = self.root / relative
        if path.is_symlink() and path.is_dir() and inside(self.root, path):
            return Link(str(path.readlink()).encode("utf-8"))  # a link to a folder inside
        content = read_project_file(self.root, relative)  # refuses links leaving the project
        if path.is_symlink():
            return Link(str(path.readlink()).encode("utf-8"))
        return content

    def spec(self) -> ProjectSpec:
        """Return the spec the project was last generated from."""
        from pydantic import ValidationError

        from scaffold.models import ProjectSpec, describe_validation_error

        try:
            return ProjectSpec.model_validate(self.record.spec_data())
        except ValidationError as error:
            msg = f"the project's record is invalid: {describe_validation_error(error)}"
            raise SpecError(msg, hint="fix .scaffold/project.toml or restore it from git") from None

    def sources(self, *, moving: Collection[str] = ()) -> tuple[Source, ...]:
        """Return the sources the record names, each pinned for the blueprints that came from it.

        They keep the recorded tag and commit, so ``add`` never moves an org blueprint to a new
        version behind the owner's back; for the blueprints in ``moving`` (``update``) they are
        dropped, so the newest tag (or ``--to``) is used.
        """
        from dataclasses import replace

        from scaffold.sources import parse_source

        found = []
        for name, blueprint in self.record.blueprints.items():
            source = parse_source(blueprint.source, base=self.root, layer="record")
            ref, commit = (None, None) if name in moving else (blueprint.ref, blueprint.commit)
            found.append(replace(source, ref=ref, commit=commit, pins=frozenset({name})))
        return tuple(found)


def recover_interrupted(root: Path) -> str | None:
    """Finish or roll back a change a killed scaffold left in ``root``, under the lock."""
    from scaffold.journal import JOURNAL_DIR, recover

    if not (root / JOURNAL_DIR).is_dir():
        return None
    from scaffold.lock import project_lock

    with project_lock(root):
        return recover(root)


def open_project(root: Path) -> Project:
    """Open the project at ``root`` (its record must exist), recovering an interrupted change.

    Recovery comes before the record is read: a change cut short may have left a new record
    beside old files.
    """
    if not root.is_dir():
        msg = f"{root} is not a folder"
        raise DestinationError(msg, hint="pass the project's folder with -C")
    recovered = recover_interrupted(root)
    return Project(root=root, record=read_record(root), recovered=recovered)


def _in_work_tree(root: Path) -> bool:
    """Whether ``root`` or a folder above it holds a ``.git``: git should answer for it."""
    folder = root.resolve()
    return any((candidate / ".git").exists() for candidate in (folder, *folder.parents))


def _git_failed(root: Path, done: subprocess.CompletedProcess[str]) -> DestinationError:
    reason = (done.stderr.strip().splitlines() or ["no reason given"])[0]
    msg = f"git cannot read the work tree {root}: {reason}"
    hint = "fix the repository ('git status' says what is wrong), or pass --allow-dirty"
    return DestinationError(msg, hint=hint)


def uncommitted_changes(root: Path) -> list[str] | None:
    """List what git reports as uncommitted in ``root``; None when it is not a git work tree.

    A work tree git cannot read (dubious ownership, a garbage ``HEAD``) is an error, not "not
    a repository": the guard must not wave a change through because git failed. scaffold's own
    lock and journal are not the owner's changes.
    """
    git = shutil.which("git")
    if git is None:
        return None
    inside = subprocess.run(
        [git, "-C", str(root), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode != 0:
        if _in_work_tree(root):
            raise _git_failed(root, inside)
        return None
    if inside.stdout.strip() != "true":
        return None
    status = subprocess.run(
        [
            git,
            "-C",
            str(root),
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            ".",
            *(f":(exclude){name}" for name in _OWN_FILES),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        raise _git_failed(root, status)
    return [line[3:] for line in status.stdout.splitlines() if line.strip()]


def refuse_dirty(root: Path, *, allow_dirty: bool) -> None:
    """Refuse to change a git work tree with uncommitted changes, unless allowed."""
    if allow_dirty:
        return
    changes = uncommitted_changes(root)
    if changes:
        shown = ", ".join(changes[:_SHOWN])
        if len(changes) > _SHOWN:
            shown += f" and {len(changes) - _SHOWN} more"
        msg = f"the project has uncommitted changes ({shown})"
        hint = "commit or stash them to review scaffold's change with git, or pass --allow-dirty"
        raise DestinationError(msg, hint=hint)


def open_for_change(root: Path, *, dry_run: bool, allow_dirty: bool) -> Project:
    """Open the project a command will change; a dry run may look at a dirty work tree."""
    project = open_project(root)
    if not dry_run:
        refuse_dirty(project.root, allow_dirty=allow_dirty)
    return project
