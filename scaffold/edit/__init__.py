"""Structured edits of the files an owner has: each kind of file merged by its own structure.

A change to an existing project is the difference between what scaffold generated last time
(base) and what it generates now (new), applied to the owner's file as it is now (ours). A
line-based three-way merge does that badly for the files every blueprint writes into: two
additions after the same line collide although each knows exactly what it wants and where. So
each kind of shared file is merged by what it is made of:

* Python modules (:mod:`scaffold.edit.python`): statements matched by what they are (a
  function by its name, ``app.include_router(x.router)`` by its router, a settings field by
  its name), inserted after the statement that precedes them in scaffold's version, taken out
  only while still exactly what scaffold wrote, imports in the owner's groups;
* ``pyproject.toml`` (:mod:`scaffold.edit.toml`) by key, dependency arrays by requirement;
* ``.env.example`` and other env files (:mod:`scaffold.edit.lines`) by variable, with its
  comment; ``.gitignore``-like files by line; Markdown by section under its heading.

Each merge returns ``None`` when it cannot run on these inputs (a side does not parse), and the
caller falls back to the line merge. An edit that would be unsafe raises
:class:`UnsafeEditError`: the command then writes nothing and names the file, the line and the
statement to add by hand.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from scaffold.errors import ScaffoldError

if TYPE_CHECKING:
    from collections.abc import Sequence


class UnsafeEditError(ScaffoldError):
    """A structural edit cannot be made safely on the owner's file; nothing is written."""

    exit_code = 1


def match_keys(left: Sequence[str | None], right: Sequence[str | None]) -> dict[int, int]:
    """Pair the k-th item of each key on the left with the k-th on the right (None: unpaired).

    Statements and chunks are matched this way, by what they are rather than where they stand.
    """
    positions: dict[tuple[str, int], int] = {}
    seen: Counter[str] = Counter()
    for index, key in enumerate(right):
        if key is not None:
            positions[key, seen[key]] = index
            seen[key] += 1
    seen.clear()
    pairs: dict[int, int] = {}
    for index, key in enumerate(left):
        if key is None:
            continue
        other = positions.get((key, seen[key]))
        seen[key] += 1
        if other is not None:
            pairs[index] = other
    return pairs
