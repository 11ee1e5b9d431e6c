"""File content that is not a plain file: executable scripts and symbolic links.

A rendered tree maps paths to bytes; a file's kind travels with its content as a ``bytes``
subclass, so every stage that passes content along (merge, record, writer) keeps it without a
second mapping to keep in step. Equality is the bytes' own.

* :class:`Executable`: a file its owner, group and others may execute (``scripts/make``).
* :class:`Link`: a symbolic link (copier's ``_preserve_symlinks``); the bytes are its target,
  a relative path that must stay inside the project (:func:`check_link`).
"""

from __future__ import annotations

import posixpath

from scaffold.errors import BlueprintError


class Executable(bytes):
    """Bytes of a file whose owner, group and others may execute it, as they may read it."""

    __slots__ = ()


class Link(bytes):
    """A symbolic link: its target, relative to the link's folder."""

    __slots__ = ()


def is_executable(content: bytes) -> bool:
    """Say whether ``content`` belongs to an executable file."""
    return isinstance(content, Executable)


def is_link(content: bytes) -> bool:
    """Say whether ``content`` is a symbolic link's target."""
    return isinstance(content, Link)


def check_link(path: str, target: str, *, origin: str) -> Link:
    """Return the link at ``path`` to ``target``; refuse one that leaves the project."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if posixpath.isabs(target) or resolved == ".." or resolved.startswith("../"):
        msg = f"{origin} is a symbolic link to {target}, outside the project"
        raise BlueprintError(msg, hint="a template's links must point inside the project")
    return Link(target.encode("utf-8"))
