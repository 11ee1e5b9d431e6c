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
from typing import TYPE_CHECKING, Any

from scaffold.errors import DestinationError
from scaffold.filekind import is_executable, is_link

if TYPE_CHECKING:
    from scaffold.copier_render import LocalState

STAGING_PREFIX = ".scaffold-staging-"
# Ctrl-C, and what a service manager or a closed terminal sends: each is held while the disk
# is inconsistent and acted on once it is consistent again.
HELD_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
Formatter = Callable[[Path], None]
# What this process has written, as the error boundary reports it when Ctrl-C comes afterwards
# (while the report prints, or on the way back from the writer): never "nothing was written".
_WRITTEN: list[str] = []


def forget_written() -> None:
    """Start a command with nothing written (the tests run many commands in one process)."""
    _WRITTEN.clear()


def written_so_far() -> list[str]:
    """Return what this process has committed to disk so far, in words ("x was written")."""
    return list(_WRITTEN)


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


def write_tree(root: Path, tree: dict[str, bytes]) -> None:
    """Write ``tree`` under ``root`` (a private folder: staging, or new --from's work)."""
    try:
        for relative, content in tree.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, content)
    except OSError as error:  # a full disk, a quota, a file size limit
        msg = f"cannot write the project: {error.strerror or error}"
        raise DestinationError(msg, hint="nothing was written; free some space and retry") from None


def write_file(target: Path, content: bytes) -> None:
    """Write one new file, a link (checked to stay inside when rendered) or an executable script."""
    if is_link(content):
        target.symlink_to(content.decode("utf-8"))
        return
    target.write_bytes(content)
    if is_executable(content):  # a template's script stays runnable, as copier writes it
        target.chmod(0o777 & ~_current_umask())


def check_force_targets(destination: Path, paths: list[str]) -> None:
    """Refuse ``new --force`` where a path is in the way, before anything is written.

    A folder where a file goes, a file where a folder goes, or a symbolic link on the way
    (writing through it would land outside the project) would stop the move part way.
    """
    if not destination.is_dir():
        return
    for relative in paths:
        target = destination
        for part in relative.split("/"):
            target = target / part
            last = target == destination / relative
            if target.is_symlink():
                msg = f"{target} is a symbolic link; scaffold does not write through links"
                raise DestinationError(msg, hint="nothing was written; remove the link")
            if last and target.is_dir():
                msg = f"{target} is a folder where the project has a file"
                raise DestinationError(msg, hint="nothing was written; move the folder away")
            if not last and target.exists() and not target.is_dir():
                msg = f"{target} is a file where the project has a folder"
                raise DestinationError(msg, hint="nothing was written; move the file away")


def _read_tree(root: Path, tree: dict[str, bytes]) -> dict[str, bytes]:
    """Read the staged files back; a link stays its target (it may name a folder)."""
    return {
        relative: content if is_link(content) else (root / relative).read_bytes()
        for relative, content in sorted(tree.items())
    }


@contextlib.contextmanager
def _sigint_held(*, reraise: bool) -> Iterator[list[int]]:
    """Hold Ctrl-C while the block runs; with ``reraise``, act on it once the block is done.

    Creating and removing the staging folder re-raise: the disk is consistent again, so the
    run can stop. The commit (a rename, or a few ``os.replace`` calls) does not: the project
    is then complete, and stopping would only skip the report while claiming the run was cut
    short.
    """
    received: list[int] = []

    def remember(signum: int, _frame: object) -> None:
        received.append(signum)

    previous: dict[int, Any] = {}
    try:
        for signum in HELD_SIGNALS:
            previous[signum] = signal.signal(signum, remember)
    except ValueError:  # not the main thread: nothing to hold
        yield received
        return
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
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


def _commit(staging: Path, destination: Path, paths: list[str], *, force: bool) -> None:
    """Move the staged project into place; the caller holds Ctrl-C.

    Into an absent or empty destination the move is one ``rename``, which is also the claim:
    it replaces only an empty folder, so of two ``new`` into one place exactly one wins.
    """
    try:
        staging.rename(destination)
    except OSError as error:
        if not force or not destination.is_dir():
            msg = f"{destination} was created or filled while scaffold ran ({error.strerror})"
            raise DestinationError(msg, hint="nothing was written; choose another name") from None
    else:
        return
    # --force into a folder that has files: through the journal, as a change to a project is,
    # so a crash part way is rolled back and the owner's files keep their modes.
    from scaffold.journal import write_journaled

    staged = {relative: (staging / relative).read_bytes() for relative in paths}
    write_journaled(destination, dict(staged), 0o666 & ~_current_umask())


def _move_local(local: LocalState, target: Path) -> None:
    """Move what a template's tasks made for this machine (``.git``, a cache) under ``target``.

    Also the folders copier created empty. ``target`` is the staging folder when the project is
    renamed into place (the entries go with it, in one step), else the destination after a
    ``--force`` write. An entry the target has already (the owner's own ``.git``) stays the
    owner's, and nothing is moved through a link of the owner's (``data -> /elsewhere``). Best
    effort: a local entry that cannot move (a full disk) is left out whole, not half copied.
    """
    for entry in local.entries:
        there = target / entry
        if there.exists() or there.is_symlink() or _through_link(target, entry):
            continue
        try:
            there.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(local.holder / entry), str(there))
        except OSError:
            if there.is_dir() and not there.is_symlink():
                shutil.rmtree(there, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    there.unlink()


def _through_link(target: Path, entry: str) -> bool:
    """Say whether a folder on the way to ``target/entry`` is a link."""
    place = target
    for part in entry.split("/")[:-1]:
        place = place / part
        if place.is_symlink():
            return True
    return False


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
    local: LocalState | None = None,
) -> WriteResult:
    """Stage, format and (unless ``dry_run``) move ``tree`` into ``destination``.

    ``formatter`` runs over the staging folder; ``extra`` gets the staged (formatted) files and
    returns more to stage beside them (the record of what was generated). ``local``: a folder
    whose entries (what a copier template's tasks made for this machine: ``.git``, ``.venv``)
    move in with the project, each unless the destination has one already.
    """
    check_destination(destination, force=force)
    if force and not dry_run:
        check_force_targets(destination, sorted(tree))
    parent = _staging_parent(destination, dry_run=dry_run)
    staging: Path | None = None
    committed = False  # once true, a Ctrl-C must not be reported as "nothing was written"
    try:
        with _sigint_held(reraise=True):  # no instant where the folder exists but is not ours
            staging = _make_staging(parent)
        staging.chmod(0o777 & ~_current_umask())  # mkdtemp's 0o700 would end up on the project
        write_tree(staging, tree)
        if formatter is not None:
            formatter(staging)
        final = _read_tree(staging, tree)
        if extra is not None:
            added = extra(final)
            write_tree(staging, added)
            final |= added
        paths = sorted(final)
        if not dry_run:
            from scaffold.journal import fault_point

            fault_point("project staged")
            renamed = not destination.exists() or not any(destination.iterdir())
            if local is not None and renamed:
                _move_local(local, staging)  # into place with the project, in one rename
            with _sigint_held(reraise=False):
                _commit(staging, destination, paths, force=force)
                committed = True
                _WRITTEN.append(f"{destination} was written")
                if local is not None and not renamed:
                    _move_local(local, destination)
        return WriteResult(destination=destination, files=final, written=not dry_run)
    finally:
        if staging is not None:
            with _sigint_held(reraise=not committed):
                shutil.rmtree(staging, ignore_errors=True)


def apply_changes(root: Path, changes: dict[str, bytes | None]) -> None:
    """Write (or, for ``None``, delete) files in an existing project, all or nothing.

    Through the project's journal (:mod:`scaffold.journal`), with Ctrl-C, SIGTERM and SIGHUP
    held: an error part way restores every original at once, and a process killed part way
    is rolled back by the next scaffold command. A file keeps its owner's mode.
    """
    if not changes:
        return
    from scaffold.journal import write_journaled

    with _sigint_held(reraise=False) as received:
        write_journaled(
            root, changes, 0o666 & ~_current_umask(), stop_requested=lambda: bool(received)
        )
        _WRITTEN.append("the changes were written")
