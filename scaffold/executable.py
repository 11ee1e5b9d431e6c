"""File content that must be written executable (a template's ``scripts/make``).

A rendered tree maps paths to bytes; a file's mode travels with its content as this ``bytes``
subclass, so every stage that passes content along (merge, record, writer) keeps it without a
second mapping to keep in step. Equality is the bytes' own: a mode alone is not a change.
"""

from __future__ import annotations


class Executable(bytes):
    """Bytes of a file whose owner, group and others may execute it, as they may read it."""

    __slots__ = ()


def is_executable(content: bytes) -> bool:
    """Say whether ``content`` belongs to an executable file."""
    return isinstance(content, Executable)
