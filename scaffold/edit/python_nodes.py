"""Small facts about libcst statements that the Python merge's modules share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from collections.abc import Sequence


def is_import(statement: cst.CSTNode) -> bool:
    """Say whether the statement is a line of imports."""
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """Return the blank and comment lines above ``statement``.

    Every libcst statement is a ``SimpleStatementLine`` or a ``BaseCompoundStatement``, and both
    have them; ``BaseStatement`` itself does not declare them.
    """
    if isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        return statement.leading_lines
    return ()


def with_comments(statement: cst.BaseStatement, comments: list[cst.EmptyLine]) -> cst.BaseStatement:
    """Put the owner's comments right above ``statement``, below its blank lines."""
    lines = list(leading_lines(statement))
    blanks = 0
    while blanks < len(lines) and lines[blanks].comment is None:
        blanks += 1
    return statement.with_changes(leading_lines=[*lines[:blanks], *comments, *lines[blanks:]])
