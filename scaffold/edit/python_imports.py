"""The import half of the Python merge: imports are a set, merged into the owner's groups.

The names scaffold's new version imports and its old one did not go into the owner's import
groups (an existing ``from module import`` first, else at their isort place); the names it no
longer imports go once nothing in the module reads them, taking only their own lines: the
owner's comments stay, and the blank lines isort wants between groups are rebuilt.
"""

from __future__ import annotations

import libcst as cst

from scaffold.adopted_imports import add_imports, resolve_from
from scaffold.edit.names import ImportName
from scaffold.edit.python_nodes import (
    imports_end,
    is_import,
    leading_lines,
    names_read,
    with_comments,
)


def _imported(module: cst.Module, package: str) -> set[ImportName]:
    """Return the (module, name) pairs the module's top-level imports bind, renames aside."""
    names: set[ImportName] = set()
    for statement in module.body:
        if not is_import(statement):
            continue
        assert isinstance(statement, cst.SimpleStatementLine)  # noqa: S101  # _is_import
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                origin = resolve_from(small, package)
                names.update(
                    ImportName(origin, module.code_for_node(alias.name))
                    for alias in small.names
                    if alias.asname is None
                )
            elif isinstance(small, cst.Import):
                names.update(
                    ImportName("", module.code_for_node(alias.name))
                    for alias in small.names
                    if alias.asname is None
                )
    return names


def merge_imports(
    merged: cst.Module, base: cst.Module, new: cst.Module, *, package: str
) -> cst.Module:
    """Apply the change of imports from ``base`` to ``new`` to the merged module."""
    base_names, new_names = _imported(base, package), _imported(new, package)
    present = _imported(merged, package)
    bound = {item.name.split(".")[0] for item in present}
    wanted = [i for i in new_names - base_names if i not in present and i.name not in bound]
    body: list[cst.BaseStatement] = list(merged.body)
    if wanted:
        body = add_imports(merged, body, wanted, package=package, limit=imports_end(merged.body))
    dropped = (base_names - new_names) & present
    if dropped:
        reads = names_read(merged.with_changes(body=body))
        footer: list[cst.EmptyLine] = []
        body = _without_imports(
            merged, body, dropped=dropped, reads=reads, package=package, footer_owner=footer
        )
        if footer:
            return merged.with_changes(body=body, footer=[*footer, *merged.footer])
    return merged.with_changes(body=body)


def _without_imports(
    module: cst.Module,
    body: list[cst.BaseStatement],
    *,
    dropped: set[ImportName],
    reads: set[str],
    package: str,
    footer_owner: list[cst.EmptyLine],
) -> list[cst.BaseStatement]:
    """Take the dropped names nothing reads out of their import statements."""
    gone = {item for item in dropped if item.name.split(".")[0] not in reads}
    result: list[cst.BaseStatement] = []
    comments: list[cst.EmptyLine] = []  # the owner's, from the import lines that went
    head_gap: list[cst.EmptyLine] | None = None  # the blank lines above a dropped first line
    dropping = False
    for statement in body:
        kept = (
            _import_without(module, statement, gone, package)
            if gone and is_import(statement)
            else statement
        )
        if kept is None:
            if not dropping and not (result and is_import(result[-1])):
                head_gap = [line for line in leading_lines(statement) if line.comment is None]
            comments += [line for line in leading_lines(statement) if line.comment is not None]
            dropping = True
            continue
        if dropping:
            kept = _rejoined(kept, result, comments, head_gap, package)
            comments, head_gap, dropping = [], None, False
        result.append(kept)
    if comments:  # nothing below the imports that went: the owner's comments end the module
        footer_owner.extend(comments)
    return result


def _section_of(statement: cst.BaseStatement, package: str) -> int | None:
    from scaffold.adopted_imports import section

    if not isinstance(statement, cst.SimpleStatementLine) or not statement.body:
        return None
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        return section(resolve_from(small, package), package, relative=bool(small.relative))
    if isinstance(small, cst.Import):
        return section(cst.Module([]).code_for_node(small.names[0].name), package)
    return None


def _rejoined(
    kept: cst.BaseStatement,
    result: list[cst.BaseStatement],
    comments: list[cst.EmptyLine],
    head_gap: list[cst.EmptyLine] | None,
    package: str,
) -> cst.BaseStatement:
    """Return the statement after a run of dropped imports, with the gap isort wants above."""
    own = list(leading_lines(kept))
    own_comments = [line for line in own if line.comment is not None]
    if not is_import(kept):  # the import block ends here: its own gap stays
        return with_comments(kept, comments)
    previous = result[-1] if result and is_import(result[-1]) else None
    if previous is None:
        gap = head_gap if head_gap is not None else [x for x in own if x.comment is None]
    elif _section_of(previous, package) == _section_of(kept, package):
        gap = []
    else:
        gap = [x for x in own if x.comment is None] or [cst.EmptyLine(indent=False)]
    return kept.with_changes(leading_lines=[*gap, *comments, *own_comments])


def _import_without(
    module: cst.Module, statement: cst.BaseStatement, gone: set[ImportName], package: str
) -> cst.BaseStatement | None:
    assert isinstance(statement, cst.SimpleStatementLine)  # noqa: S101  # _is_import
    smalls: list[cst.BaseSmallStatement] = []
    for small in statement.body:
        kept: cst.BaseSmallStatement = small  # as it is, or without the names that go
        if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            origin = resolve_from(small, package)
            names = [
                a
                for a in small.names
                if a.asname is not None
                or ImportName(origin, module.code_for_node(a.name)) not in gone
            ]
            if not names:
                continue
            if len(names) < len(small.names):
                last = names[-1]
                names[-1] = last.with_changes(comma=small.names[-1].comma)
                shorter = small.with_changes(names=names)
                if len(names) == 1 and shorter.lpar is not None:
                    shorter = shorter.with_changes(lpar=None, rpar=None)
                    names[0] = names[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                    shorter = shorter.with_changes(names=names)
                kept = shorter
        elif isinstance(small, cst.Import):
            aliases = [
                a
                for a in small.names
                if a.asname is not None or ImportName("", module.code_for_node(a.name)) not in gone
            ]
            if not aliases:
                continue
            aliases[-1] = aliases[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            kept = small.with_changes(names=aliases)
        smalls.append(kept)
    return statement.with_changes(body=smalls) if smalls else None
