"""Crash-safe changes to an existing project: a journal of intent, backups and completion.

A change (``add``, ``remove``, ``update``, ``adopt``) is written through a journal folder,
``.scaffold-journal/`` at the project's root (same filesystem, so every move is a rename):

1. ``new/<i>``: every new content, staged and flushed;
2. ``intent.json``: the files about to change, whether each existed and its mode, and the
   folders that will be created; written to a temporary name, flushed, then renamed, so it is
   either whole or absent;
3. per file: the original is renamed to ``old/<i>`` (the backup), the staged file into place;
4. ``done``: the change is complete; then the journal is removed.

A process killed anywhere (``kill -9``, a power cut) leaves a journal behind. The next scaffold
command in the project calls :func:`recover` first: without ``done`` it puts every backup back
and removes what the change created (a roll back), with ``done`` it only cleans up; either way
it says so. The journal is untrusted like everything in the project: its paths are contained
and its size bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold.errors import DestinationError
from scaffold.filekind import is_executable, is_link
from scaffold.untrusted import UnreadableError, contained_path, inside, read_regular

if TYPE_CHECKING:
    from collections.abc import Callable

JOURNAL_DIR = ".scaffold-journal"
_INTENT = "intent.json"
_DONE = "done"
_SHOWN = 3  # restored paths named in the message


@dataclass(frozen=True)
class Entry:
    """One file of the change, as the intent records it."""

    index: int
    path: str
    existed: bool  # an original was there (its backup is old/<index> once moved)
    writes: bool  # the change puts content there (else it deletes the file)
    mode: int | None  # the mode the new file gets: the original's, or None for the default


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def fault_point(step: str) -> None:
    """Pause here when the fault tests ask for it, so that they can kill the process for real.

    ``SCAFFOLD_FAULT_PAUSE_AT=N`` pauses at the N-th step of the run, after writing the step's
    name to the file ``SCAFFOLD_FAULT_MARKER``, until the file ``<marker>.go`` appears (or for
    ten minutes); the test meanwhile sends SIGKILL, SIGTERM or another command (tests/faults).
    """
    wanted = os.environ.get("SCAFFOLD_FAULT_PAUSE_AT")
    if not wanted:
        return
    _steps.append(step)
    if str(len(_steps)) != wanted:
        return
    import time

    marker = Path(os.environ["SCAFFOLD_FAULT_MARKER"])
    marker.write_text(step, encoding="utf-8")
    go = marker.with_name(marker.name + ".go")
    deadline = time.monotonic() + 600
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


_steps: list[str] = []  # the fault points passed in this process


def _targets(root: Path, changes: list[tuple[str, bytes | None]]) -> list[Path]:
    """Check every target before anything moves: inside the project, not a link or folder."""
    targets = []
    for relative, _content in changes:
        target = root / contained_path(relative, origin="the change")
        if not inside(root, target.parent):
            msg = f"cannot write {relative}: a folder on its way is a link leaving the project"
            raise DestinationError(msg, hint="nothing was changed; replace the link by a folder")
        if target.is_symlink():
            msg = f"cannot write {relative}: it is a symbolic link, which scaffold does not replace"
            raise DestinationError(msg, hint="nothing was changed; replace the link by its file")
        if target.is_dir():
            msg = f"cannot write {relative}: it is a folder"
            raise DestinationError(msg, hint="nothing was changed; move the folder away")
        targets.append(target)
    return targets


def _missing_folders(root: Path, targets: list[Path], changes: list[tuple[str, Any]]) -> list[str]:
    """List the folders the change will create, outermost first (a roll back removes them)."""
    missing: list[str] = []
    for target, (_relative, content) in zip(targets, changes, strict=True):
        if content is None:
            continue
        for folder in reversed([target.parent, *target.parent.parents]):
            if folder != root and folder.is_relative_to(root) and not folder.exists():
                name = folder.relative_to(root).as_posix()
                if name not in missing:
                    missing.append(name)
    return missing


def write_journaled(
    root: Path,
    changes: dict[str, bytes | None],
    mode: int,
    stop_requested: Callable[[], bool] = lambda: False,
) -> None:
    """Write (or, for ``None``, delete) the files through the journal; see the module doc.

    ``mode``: the mode of a file that did not exist before. An ``OSError`` part way rolls the
    change back at once, so the project is as it was. ``stop_requested`` is asked once the
    new contents are staged: a Ctrl-C until then stops with nothing changed.
    """
    ordered = sorted(changes.items())
    targets = _targets(root, ordered)
    journal = root / JOURNAL_DIR
    try:
        journal.mkdir()
    except FileExistsError:
        msg = f"{journal} exists: an interrupted change was not recovered"
        raise DestinationError(msg, hint="run the command again; it recovers first") from None
    except OSError as error:
        msg = f"cannot write in {root}: {error.strerror or error}"
        raise DestinationError(msg, hint="nothing was changed") from None
    try:
        entries = _stage(journal, ordered, targets, mode)
        intent = {"entries": [asdict(e) for e in entries]}
        intent["folders"] = _missing_folders(root, targets, ordered)  # type: ignore[assignment]
        _write_intent(journal, intent)
    except BaseException as error:  # Ctrl-C while staging too: nothing has moved yet
        shutil.rmtree(journal, ignore_errors=True)
        if not isinstance(error, OSError):
            raise
        msg = f"cannot write in {root}: {error.strerror or error}"
        raise DestinationError(msg, hint="nothing was changed") from None
    if stop_requested():
        shutil.rmtree(journal, ignore_errors=True)
        raise KeyboardInterrupt
    fault_point("intent written")
    relative = ""
    try:
        for entry, target in zip(entries, targets, strict=True):
            relative = entry.path
            _swap_one(journal, entry, target)
    except BaseException as error:
        roll_back(root, journal)
        if not isinstance(error, OSError):
            raise
        msg = f"cannot write {relative}: {error.strerror or error}"
        raise DestinationError(msg, hint="nothing was changed") from error
    (journal / _DONE).write_bytes(b"")
    _fsync_dir(journal)
    fault_point("done written")
    _finish(root, journal)


def _stage(
    journal: Path, ordered: list[tuple[str, bytes | None]], targets: list[Path], mode: int
) -> list[Entry]:
    (journal / "new").mkdir()
    (journal / "old").mkdir()
    entries = []
    for index, ((relative, content), target) in enumerate(zip(ordered, targets, strict=True)):
        existed = target.exists() or target.is_symlink()
        kept_mode = mode if not existed or target.is_symlink() else target.stat().st_mode & 0o7777
        if content is not None:
            staged = journal / "new" / str(index)
            if is_link(content):  # a template's link, checked to stay inside when rendered
                staged.symlink_to(content.decode("utf-8"))
            else:
                if is_executable(content):  # runnable by whoever may read it, as copier writes
                    kept_mode |= (kept_mode & 0o444) >> 2
                staged.write_bytes(content)
                staged.chmod(kept_mode)
                _fsync_file(staged)
        entries.append(Entry(index, relative, existed, content is not None, kept_mode))
    fault_point("staged")
    return entries


def _write_intent(journal: Path, intent: dict[str, Any]) -> None:
    temporary = journal / f"{_INTENT}.tmp"
    temporary.write_text(json.dumps(intent, indent=1), encoding="utf-8")
    _fsync_file(temporary)
    temporary.replace(journal / _INTENT)
    _fsync_dir(journal)


def _swap_one(journal: Path, entry: Entry, target: Path) -> None:
    if entry.existed:
        target.replace(journal / "old" / str(entry.index))
        fault_point(f"backed up {entry.path}")
    if entry.writes:
        target.parent.mkdir(parents=True, exist_ok=True)
        (journal / "new" / str(entry.index)).replace(target)
        fault_point(f"wrote {entry.path}")


def _finish(root: Path, journal: Path) -> None:
    """Complete the change: remove the folders deletions left empty, then the journal."""
    intent = _read_intent(journal)
    for entry in intent[0] if intent else []:
        if not entry.writes:
            _remove_empty_parents(root, root / entry.path)
    shutil.rmtree(journal, ignore_errors=True)


def _remove_empty_parents(root: Path, removed: Path) -> None:
    folder = removed.parent
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _read_intent(journal: Path) -> tuple[list[Entry], list[str]] | None:
    """Parse ``intent.json``; None when the journal never got that far."""
    path = journal / _INTENT
    if not path.exists():
        return None
    try:
        data = json.loads(read_regular(path, limit=4 * 1024 * 1024))
        entries = [Entry(**item) for item in data["entries"]]
        folders = [str(folder) for folder in data["folders"]]
        for entry in entries:
            contained_path(entry.path, origin=str(path))
        for folder in folders:
            contained_path(folder, origin=str(path))
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        msg = f"{path} is damaged ({error}); cannot recover the interrupted change"
        raise UnreadableError(
            msg, hint="check the project with git, then delete the folder"
        ) from None
    return entries, folders


def roll_back(root: Path, journal: Path) -> list[str]:
    """Put every original back and remove what the change created; return the paths restored."""
    intent = _read_intent(journal)
    touched: list[str] = []
    if intent is not None:
        entries, folders = intent
        for entry in reversed(entries):
            if _undo_one(root, journal, entry):
                touched.append(entry.path)
        for folder in reversed(folders):
            with contextlib.suppress(OSError):  # not empty: something else is in it now
                (root / folder).rmdir()
    shutil.rmtree(journal, ignore_errors=True)
    return sorted(touched)


def _undo_one(root: Path, journal: Path, entry: Entry) -> bool:
    target = root / entry.path
    backup = journal / "old" / str(entry.index)
    staged = journal / "new" / str(entry.index)
    if entry.writes and not staged.exists() and (target.exists() or target.is_symlink()):
        target.unlink()  # the new content went in: take it out again
        undone = True
    else:
        undone = False
    if entry.existed and backup.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        backup.replace(target)
        undone = True
    return undone


def recover(root: Path) -> str | None:
    """Finish or roll back a change a killed process left; return what was done, to say so."""
    journal = root / JOURNAL_DIR
    if not journal.is_dir() or journal.is_symlink():
        return None
    if (journal / _DONE).exists():
        _finish(root, journal)
        return "finished an interrupted scaffold change (it had completed; only cleanup was left)"
    restored = roll_back(root, journal)
    shown = ", ".join(restored[:_SHOWN])
    if len(restored) > _SHOWN:
        shown += f" and {len(restored) - _SHOWN} more"
    return "rolled back an interrupted scaffold change" + (f" ({shown})" if shown else "")
