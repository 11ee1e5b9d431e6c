"""One change per project at a time: an exclusive lock on ``.scaffold-lock`` at its root.

Two ``scaffold add`` in one project would both merge against the same base, and the second
write would undo the first. The lock is taken before the project's record is read and held
until the command ends; a second command is refused at once, with a line that says why. The
kernel releases the lock when the process dies (``kill -9`` too), so a stale file never
blocks; the file is removed when the lock is released.
"""

from __future__ import annotations

import contextlib
import errno
import os
from typing import TYPE_CHECKING

from scaffold.errors import DestinationError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LOCK_NAME = ".scaffold-lock"


def _acquire(path: Path) -> int:
    import fcntl

    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            msg = f"another scaffold command is changing {path.parent} right now"
            raise DestinationError(msg, hint="wait for it to finish, then run this again") from None
        try:
            same = os.fstat(descriptor).st_ino == path.lstat().st_ino
        except FileNotFoundError:
            same = False
        if same:  # not a file the previous holder removed while we waited to lock it
            return descriptor
        os.close(descriptor)


_held: dict[str, int] = {}  # resolved project roots this process holds -> nesting depth


@contextlib.contextmanager
def project_lock(root: Path) -> Iterator[None]:
    """Hold the project's lock for the block; refuse when another process holds it.

    Re-entrant within this process: recovery inside a command that holds the lock goes on.
    """
    if os.name != "posix" or not root.is_dir():
        yield
        return
    key = str(root.resolve())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path = root / LOCK_NAME
    try:
        descriptor = _acquire(path)
    except OSError as error:
        if error.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
            yield  # a read-only checkout: nothing can be written there either
            return
        msg = f"cannot lock {path}: {error.strerror or error}"
        raise DestinationError(msg, hint="remove it if it is not a regular file") from None
    _held[key] = 1
    try:
        yield
    finally:
        del _held[key]
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(descriptor)
