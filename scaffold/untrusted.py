"""Reading a project's files as untrusted input: contained paths, regular files, bounded sizes.

Everything in a project (its code, its record under ``.scaffold/``) may come from a pull request
(docs/security.md). So a path read from it is checked as a rendered path is; a file is read
only when it is a regular file that stays inside the project (a link to ``/proc/self/environ``
or a key elsewhere is not "the owner's version"), without blocking (a FIFO), and up to a size
cap (a link to ``/dev/zero``). What cannot be read this way is an error, never "absent": taking
an unreadable file for a deleted one would destroy it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from scaffold.errors import ScaffoldError

MAX_FILE_BYTES = 32 * 1024 * 1024  # a project file scaffold reads (the app module, a record)


class UnreadableError(ScaffoldError):
    """A file in the project cannot be read safely (a folder, a link out, a FIFO, too big)."""


def contained_path(relative: str, *, origin: str) -> str:
    """Return ``relative`` when it names a place inside the project, else raise.

    The same rules as a blueprint's rendered paths: relative, POSIX, no ``..`` or ``.``
    segment, no empty segment, no drive, stream, backslash or control character.
    """
    parts = relative.split("/")
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or ":" in relative
        or any(ord(char) < 32 or char == "\x7f" for char in relative)  # noqa: PLR2004
        or any(part in {"", ".", ".."} for part in parts)
    ):
        msg = f"{origin} names {relative!r}, a path outside the project"
        raise UnreadableError(msg, hint="restore .scaffold/ from version control")
    return PurePosixPath(relative).as_posix()


def inside(root: Path, path: Path) -> bool:
    """Whether ``path``, with every link on the way followed, stays inside ``root``."""
    real_root = root.resolve()
    real = path.resolve()
    return real == real_root or real.is_relative_to(real_root)


def read_project_file(root: Path, relative: str, *, limit: int = MAX_FILE_BYTES) -> bytes | None:
    """Return the bytes of ``root/relative``, or None when nothing is there.

    A folder, a FIFO or device, a link leaving the project, a file scaffold may not read or one
    over ``limit`` bytes is an :class:`UnreadableError`, so that no caller takes it as absent.
    """
    path = root / relative
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as error:
        raise _unreadable(relative, error.strerror or str(error)) from None
    if not inside(root, path):
        raise _unreadable(relative, "it is a link (or under one) that leaves the project")
    if not path.exists():  # a dangling link inside the project: nothing to read
        return None
    return read_regular(path, limit=limit, shown=relative)


def read_regular(path: Path, *, limit: int = MAX_FILE_BYTES, shown: str | None = None) -> bytes:
    """Read a regular file without blocking and at most ``limit`` bytes; anything else raises."""
    shown = shown or str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except IsADirectoryError:
        raise _unreadable(shown, "it is a folder") from None
    except OSError as error:
        raise _unreadable(shown, error.strerror or str(error)) from None
    try:
        facts = os.fstat(descriptor)
        if stat.S_ISDIR(facts.st_mode):
            raise _unreadable(shown, "it is a folder")
        if not stat.S_ISREG(facts.st_mode):
            raise _unreadable(shown, "it is not a regular file")
        if facts.st_size > limit:
            raise _unreadable(shown, f"it is larger than {limit // (1024 * 1024)} MiB")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            content = handle.read(limit + 1)
    except OSError as error:
        raise _unreadable(shown, error.strerror or str(error)) from None
    finally:
        os.close(descriptor)
    if len(content) > limit:  # grew while read
        raise _unreadable(shown, f"it is larger than {limit // (1024 * 1024)} MiB")
    return content


def _unreadable(shown: str, why: str) -> UnreadableError:
    return UnreadableError(
        f"cannot read {shown}: {why}",
        hint="scaffold changes nothing it cannot read; replace it by a regular file, or move it",
    )
