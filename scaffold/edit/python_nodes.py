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


def is_docstring(statement: cst.BaseStatement) -> bool:
    """Say whether the statement is a lone string: a docstring when it comes first."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def imports_end(body: Sequence[cst.BaseStatement]) -> int:
    """Return where the import block ends: the first statement not an import or docstring."""
    for index, statement in enumerate(body):
        if is_import(statement) or (index == 0 and is_docstring(statement)):
            continue
        return index
    return len(body)


def without_leading_blanks(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """Return ``lines`` from the first comment on (the blank lines above it dropped)."""
    first = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
    return list(lines[first:])


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


class _Reads(cst.CSTVisitor):
    """The names a module reads outside its imports (attributes and keywords aside)."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    # libcst calls each visit_* method with the node, named or not: the skipping ones ignore it.
    def visit_Import(self, node: cst.Import) -> bool:  # noqa: N802, ARG002  # libcst's signature
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:  # noqa: N802, ARG002  # see above
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:  # noqa: N802
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:  # noqa: N802
        node.value.visit(self)
        return False

    def visit_Name(self, node: cst.Name) -> None:  # noqa: N802
        self.names.add(node.value)


def names_read(node: cst.CSTNode) -> set[str]:
    """Return the names ``node`` reads: not an import's, an attribute's or a keyword's spelling."""
    reads = _Reads()
    node.visit(reads)
    return reads.names
