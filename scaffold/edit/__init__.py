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

from scaffold.errors import ScaffoldError


class UnsafeEditError(ScaffoldError):
    """A structural edit cannot be made safely on the owner's file; nothing is written."""

    exit_code = 1
