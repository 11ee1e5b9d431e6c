"""The one writer: staging a rendered tree, formatting it, and moving it into place.

Nothing reaches the destination until the whole tree is rendered and formatted in a private
staging folder beside it (same filesystem, so the final step is a rename). A new project is one
``rename``; an interruption before it leaves nothing behind. With ``force`` into a folder that
already has files, files are moved in one by one with ``os.replace`` while Ctrl-C is held back,
so no file is ever half written and the loop is not cut short.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import DestinationError
from scaffold.filekind import is_executable, is_link

STAGING_PREFIX = ".scaffold-staging-"
Formatter = Callable[[Path], None]


@dataclass(frozen=True)
class WriteResult:
    """What the writer did."""

    destination: Path
    files: dict[str, bytes]  # relative path -> final (formatted) content
    written: bool


def check_destination(destination: Path, *, force: bool) -> None:
    """Refuse a destination that exists and is not an empty folder, unless forced."""
    if destination.is_symlink() or (destination.exists() and not destination.is_dir()):
        msg = f"{destination} exists and is not a folder"
        raise DestinationError(msg, hint="choose another name or --output-dir")
    if destination.is_dir() and any(destination.iterdir()) and not force:
        msg = f"{destination} exists and is not empty"
        raise DestinationError(msg, hint="choose another name, or pass --force to write into it")


def _write_tree(root: Path, tree: dict[str, bytes]) -> None:
    for relative, content in tree.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_file(target, content)


def _write_file(target: Path, content: bytes) -> None:
    """Write one file, a link (checked to stay inside when rendered) or an executable script."""
    if is_link(content):
        target.symlink_to(content.decode("utf-8"))
        return
    target.write_bytes(content)
    if is_executable(content):  # a template's script stays runnable, as copier writes it
        target.chmod(0o777 & ~_current_umask())


def _read_tree(root: Path, paths: list[str]) -> dict[str, bytes]:
    return {relative: (root / relative).read_bytes() for relative in paths}


@contextlib.contextmanager
def _sigint_held(*, reraise: bool) -> Iterator[None]:
    """Hold Ctrl-C while the block runs; with ``reraise``, act on it once the block is done.

    Creating and removing the staging folder re-raise: the disk is consistent again, so the
    run can stop. The commit (a rename, or a few ``os.replace`` calls) does not: the project
    is then complete, and stopping would only skip the report while claiming the run was cut
    short.
    """
    received: list[int] = []

    def remember(signum: int, _frame: object) -> None:
        received.append(signum)

    try:
        previous = signal.signal(signal.SIGINT, remember)
    except ValueError:  # not the main thread: nothing to hold
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received and reraise:
        raise KeyboardInterrupt


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _staging_parent(destination: Path, *, dry_run: bool) -> Path:
    if dry_run:
        return Path(tempfile.gettempdir())
    parent = destination.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        msg = f"cannot create {parent}: {error.strerror}"
        raise DestinationError(msg, hint="choose a writable --output-dir") from None
    return parent


def _commit(staging: Path, destination: Path, paths: list[str]) -> None:
    """Move the staged project into place; the caller holds Ctrl-C."""
    if not destination.exists():
        staging.rename(destination)
        return
    if not any(destination.iterdir()):
        destination.rmdir()
        staging.rename(destination)
        return
    for relative in paths:  # --force into a folder that has files
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).replace(target)


def _make_staging(parent: Path) -> Path:
    try:
        return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=parent))
    except OSError as error:
        msg = f"cannot write in {parent}: {error.strerror}"
        raise DestinationError(msg, hint="choose a writable --output-dir") from None


def write_project(
    tree: dict[str, bytes],
    destination: Path,
    *,
    formatter: Formatter | None = None,
    extra: Callable[[dict[str, bytes]], dict[str, bytes]] | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> WriteResult:
    """Stage, format and (unless ``dry_run``) move ``tree`` into ``destination``.

    ``formatter`` runs over the staging folder; ``extra`` gets the staged (formatted) files and
    returns more to stage beside them (the record of what was generated).
    """
    check_destination(destination, force=force)
    parent = _staging_parent(destination, dry_run=dry_run)
    staging: Path | None = None
    committed = False  # once true, a Ctrl-C must not be reported as "nothing was written"
    try:
        with _sigint_held(reraise=True):  # no instant where the folder exists but is not ours
            staging = _make_staging(parent)
        staging.chmod(0o777 & ~_current_umask())  # mkdtemp's 0o700 would end up on the project
        _write_tree(staging, tree)
        if formatter is not None:
            formatter(staging)
        final = _read_tree(staging, sorted(tree))
        if extra is not None:
            added = extra(final)
            _write_tree(staging, added)
            final |= added
        paths = sorted(final)
        if not dry_run:
            with _sigint_held(reraise=False):
                _commit(staging, destination, paths)
                committed = True
        return WriteResult(destination=destination, files=final, written=not dry_run)
    finally:
        if staging is not None:
            with _sigint_held(reraise=not committed):
                shutil.rmtree(staging, ignore_errors=True)


def apply_changes(root: Path, changes: dict[str, bytes | None]) -> None:
    """Write (or, for ``None``, delete) files in an existing project, all or nothing.

    New contents are staged in a private folder inside the project (same filesystem); then,
    with Ctrl-C held, each original is moved to a backup and the staged file into place. Any
    error restores every original from the backup, so the project is as it was.
    """
    if not changes:
        return
    staging: Path | None = None
    swapped = False  # once true, a Ctrl-C must not be reported as "nothing was written"
    try:
        with _sigint_held(reraise=True):
            staging = _make_staging(root)
        try:
            for index, (_relative, content) in enumerate(sorted(changes.items())):
                if content is not None:
                    (staging / "new" / str(index)).parent.mkdir(parents=True, exist_ok=True)
                    _write_file(staging / "new" / str(index), content)
            (staging / "old").mkdir()
        except OSError as error:
            msg = f"cannot write in {root}: {error.strerror or error}"
            raise DestinationError(msg, hint="nothing was changed") from None
        with _sigint_held(reraise=False):
            _swap_in(root, staging, sorted(changes.items()))
            swapped = True
    finally:
        if staging is not None:
            with _sigint_held(reraise=not swapped):
                shutil.rmtree(staging, ignore_errors=True)


def _set_mode(target: Path, content: bytes) -> None:
    if not is_link(content):  # chmod would follow the link
        mode = 0o777 if is_executable(content) else 0o666
        target.chmod(mode & ~_current_umask())


def _swap_in(root: Path, staging: Path, changes: list[tuple[str, bytes | None]]) -> None:
    moved: list[tuple[Path, Path | None]] = []  # (target, backup or None when it was absent)
    created: list[Path] = []  # folders made for new files, to remove again on failure
    relative = ""
    try:
        for index, (relative, content) in enumerate(changes):
            target = root / relative
            backup = None
            if target.exists() or target.is_symlink():
                backup = staging / "old" / str(index)
                target.replace(backup)
            moved.append((target, backup))
            if content is not None:
                missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
                created += reversed(missing)  # outermost first
                target.parent.mkdir(parents=True, exist_ok=True)
                (staging / "new" / str(index)).replace(target)
                _set_mode(target, content)
    except OSError as error:
        for target, backup in reversed(moved):
            # Absent, or its folder is in the way (a file where a folder should be): not ours.
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                target.unlink()
            if backup is not None:
                backup.replace(target)
        for folder in reversed(created):
            with contextlib.suppress(OSError):  # not empty: something else is in it now
                folder.rmdir()
        msg = f"cannot write {relative}: {error.strerror or error}"
        raise DestinationError(msg, hint="nothing was changed") from error
    for relative, content in changes:
        if content is None:
            _remove_empty_parents(root, root / relative)


def _remove_empty_parents(root: Path, removed: Path) -> None:
    """Remove the folders a deletion left empty, up to (not including) the project root."""
    folder = removed.parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
