"""Adding imports to, and taking them out of, a module the owner wrote, in the owner's groups.

A new ``from x import y`` goes where ruff's isort rule (``I``, default settings) would put it,
as far as that can be done without moving the owner's lines:

* into an existing ``from x import ...`` of the same module (relative spellings resolved
  against the package), at its sorted place when the owner's names are sorted;
* else into its section (future, standard library, third party, first party: the project's own
  package, local: relative imports), before the first import of that section sorting after it,
  or after the section's last import;
* else as a new section, after the last import of an earlier section (one blank line before),
  or before the first import of a later one.

Only imports above the app (``limit``) count: statements after it are the owner's code.
Taking an import out is the inverse: its name leaves the statement, or the statement goes when
it was its only name, and the blank lines and comments above it move to the next import when it
led its section, so that add-then-remove gives the original bytes back.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from scaffold.edit.names import same_object_modules

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from scaffold.edit.names import ImportName

_FUTURE, _STDLIB, _THIRD_PARTY, _FIRST_PARTY, _LOCAL = range(5)


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def resolve_from(node: cst.ImportFrom, package: str) -> str:
    """Return the absolute module of ``from <module> import ...`` written in ``package``."""
    module = _dotted(node.module) if node.module is not None else ""
    if not node.relative:
        return module
    parts = package.split(".")
    parts = parts[: len(parts) - (len(node.relative) - 1)]
    return ".".join([*parts, module] if module else parts)


def section(module: str, package: str, *, relative: bool = False) -> int:
    """Return the isort section of an imported module (the order ruff puts sections in)."""
    top = module.partition(".")[0]
    if relative:
        return _LOCAL
    if top == "__future__":
        return _FUTURE
    if top == package.partition(".")[0]:
        return _FIRST_PARTY
    return _STDLIB if top in sys.stdlib_module_names else _THIRD_PARTY


def member_key(name: str) -> tuple[int, str, str]:
    """Ruff's order of imported names: CONSTANTS, then Classes, then functions, case aside."""
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return (kind, name.lower(), name)


def _item_key(item: ImportName) -> tuple[bool, str, tuple[int, str, str]]:
    key = (item.module or item.name).lower() + (" as" if item.alias else "")  # as _line reads
    return (bool(item.module), key, member_key(item.name))


def import_block(imports: Iterable[ImportName], package: str, newline: str = "\n") -> str:
    """Render imports as ruff sorts them: sections apart, straight imports first in each."""
    by_section: dict[int, dict[str, list[str]]] = {}
    for item in imports:
        module = item.module or f"import {item.name}"
        names = by_section.setdefault(section(item.module or item.name, package), {})
        names.setdefault(module, [])
        if item.module and item.name not in names[module]:
            names[module].append(item.name)
    blocks = []
    for _, modules in sorted(by_section.items()):
        ordered = sorted(modules, key=lambda m: (not m.startswith("import "), m.lower()))
        blocks.append(
            newline.join(
                module
                if module.startswith("import ")
                else f"from {module} import {', '.join(sorted(modules[module], key=member_key))}"
                for module in ordered
            )
        )
    return (newline * 2).join(blocks) + newline if blocks else ""


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """Return the blank lines and comments above a statement."""
    if isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return statement.leading_lines
    return ()


# --- the owner's import lines ---------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """A top-level line of imports: its body index, section, kind and sort key."""

    index: int
    section: int
    straight: bool  # ``import x`` rather than ``from x import y``
    key: str


def _imports_of(statement: cst.BaseStatement) -> list[cst.Import | cst.ImportFrom]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return []
    smalls = [s for s in statement.body if isinstance(s, cst.Import | cst.ImportFrom)]
    return smalls if len(smalls) == len(statement.body) else []


def _line(index: int, statement: cst.BaseStatement, package: str) -> _Line | None:
    smalls = _imports_of(statement)
    if not smalls:
        return None
    first = smalls[0]
    if isinstance(first, cst.Import):
        module = _dotted(first.names[0].name)
        return _Line(index, section(module, package), straight=True, key=module.lower())
    module = resolve_from(first, package)
    relative = bool(first.relative)
    key = module.lower() + (" as" if _renames(first) else "")  # after the plain import
    return _Line(index, section(module, package, relative=relative), False, key)


def _lines(body: Sequence[cst.BaseStatement], limit: int, package: str) -> list[_Line]:
    found = (_line(index, statement, package) for index, statement in enumerate(body[:limit]))
    return [line for line in found if line is not None]


def _renames(node: cst.ImportFrom) -> bool:
    return not isinstance(node.names, cst.ImportStar) and any(a.asname for a in node.names)


def _single_from(statement: cst.BaseStatement) -> cst.ImportFrom | None:
    smalls = _imports_of(statement)
    if len(smalls) != 1 or not isinstance(smalls[0], cst.ImportFrom):
        return None
    node = smalls[0]
    return None if isinstance(node.names, cst.ImportStar) else node


# --- adding ---------------------------------------------------------------------------------


def add_imports(
    module: cst.Module,
    body: list[cst.BaseStatement],
    imports: Sequence[ImportName],
    *,
    package: str,
    limit: int,
) -> list[cst.BaseStatement]:
    """Return ``body`` with ``imports`` placed in the owner's groups above index ``limit``."""
    body = list(body)
    for item in sorted(set(imports), key=_item_key):
        if _merge(body, item, package, limit):
            continue
        statement = cst.parse_statement(
            f"{item}{module.default_newline}", config=module.config_for_parsing
        )
        limit = _insert(body, statement, item, package, limit)
    return body


def _merge(body: list[cst.BaseStatement], item: ImportName, package: str, limit: int) -> bool:
    """Add the name to an existing ``from <same module> import ...``; say whether it did."""
    if not item.module or item.alias:  # ruff keeps "from a import b as c" on its own line
        return False
    for index, statement in enumerate(body[:limit]):
        node = _single_from(statement)
        if node is None or resolve_from(node, package) != item.module or _renames(node):
            continue  # ruff keeps "import a as b" apart (combine-as-imports is off)
        assert isinstance(statement, cst.SimpleStatementLine)  # noqa: S101  # _single_from
        body[index] = statement.with_changes(body=[_with_name(node, item.name)])
        return True
    return False


def _with_name(node: cst.ImportFrom, name: str) -> cst.ImportFrom:
    """Add ``name`` to the imported names, in their layout and (if sorted) at its place."""
    assert not isinstance(node.names, cst.ImportStar)  # noqa: S101  # _single_from
    names = list(node.names)
    keys = [member_key(_dotted(alias.name)) for alias in names]
    position = len(names)
    if keys == sorted(keys):
        position = next((i for i, key in enumerate(keys) if key > member_key(name)), len(names))
    alias = cst.ImportAlias(name=cst.Name(name))
    separator = _plain(_separator(node, names))
    if position < len(names):
        comma = _plain(names[position - 1].comma) if position else separator
        names.insert(position, alias.with_changes(comma=comma))
        return node.with_changes(names=names)
    last = names[-1]
    names[-1] = last.with_changes(comma=_with_comment(separator, last.comma))
    names.append(alias.with_changes(comma=_plain(last.comma)))  # a trailing comma stays
    return node.with_changes(names=names)


def _separator(node: cst.ImportFrom, names: list[cst.ImportAlias]) -> cst.Comma | cst.MaybeSentinel:
    """Return the comma (and line break) between two names, in the statement's layout."""
    if len(names) > 1:
        return names[-2].comma
    if node.lpar is not None and isinstance(
        node.lpar.whitespace_after, cst.ParenthesizedWhitespace
    ):
        return cst.Comma(whitespace_after=node.lpar.whitespace_after)  # one name per line
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _plain(comma: cst.Comma | cst.MaybeSentinel) -> cst.Comma | cst.MaybeSentinel:
    """Return the comma without the owner's comment after it (about their own name)."""
    if isinstance(comma, cst.Comma) and isinstance(
        comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        after = comma.whitespace_after.with_changes(first_line=cst.TrailingWhitespace())
        return comma.with_changes(whitespace_after=after)
    return comma


def _with_comment(
    comma: cst.Comma | cst.MaybeSentinel, own: cst.Comma | cst.MaybeSentinel
) -> cst.Comma | cst.MaybeSentinel:
    """``comma``, with the comment that followed ``own`` (a name's comment stays with it)."""
    if (
        isinstance(comma, cst.Comma)
        and isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace)
        and isinstance(own, cst.Comma)
        and isinstance(own.whitespace_after, cst.ParenthesizedWhitespace)
    ):
        first = own.whitespace_after.first_line
        return comma.with_changes(
            whitespace_after=comma.whitespace_after.with_changes(first_line=first)
        )
    return comma


def _insert(
    body: list[cst.BaseStatement],
    statement: cst.BaseStatement,
    item: ImportName,
    package: str,
    limit: int,
) -> int:
    """Insert a new import line at its place; return the new ``limit``."""
    lines = _lines(body, limit, package)
    wanted = section(item.module or item.name, package)
    same = [line for line in lines if line.section == wanted]
    if same:
        later = _later_in_section(same, straight=not item.module, key=_item_key(item)[1])
        if later is None:
            body.insert(same[-1].index + 1, statement)
        elif later is same[0]:  # it leads the section now: the lines above the section move up
            _insert_before(body, later.index, statement, new_section=False)
        else:
            body.insert(later.index, statement)
        return limit + 1
    earlier = [line for line in lines if line.section < wanted]
    if earlier:
        body.insert(earlier[-1].index + 1, statement.with_changes(leading_lines=[cst.EmptyLine()]))
    elif lines:  # a new first section: it takes the blank lines and comments above the imports
        _insert_before(body, lines[0].index, statement, new_section=True)
    else:
        body.insert(limit, statement)
    return limit + 1


def _later_in_section(same: list[_Line], *, straight: bool, key: str) -> _Line | None:
    """Return the section's first line sorting after the new one (straight imports first)."""
    for line in same:
        if straight and (not line.straight or line.key > key):
            return line
        if not straight and not line.straight and line.key > key:
            return line
    return None


def _insert_before(
    body: list[cst.BaseStatement], index: int, statement: cst.BaseStatement, *, new_section: bool
) -> None:
    following = body[index]
    lines = list(leading_lines(following))
    cut = len(lines)  # comment lines right above it, with no blank line between, are about it
    while cut and lines[cut - 1].comment is not None:
        cut -= 1
    gap = [cst.EmptyLine()] if new_section else []
    body[index] = following.with_changes(leading_lines=[*gap, *lines[cut:]])
    body.insert(index, statement.with_changes(leading_lines=lines[:cut]))


# --- taking out -----------------------------------------------------------------------------


def remove_imports(
    body: list[cst.BaseStatement],
    imports: Iterable[ImportName],
    *,
    package: str,
    unused: Callable[[str], bool],
) -> list[cst.BaseStatement]:
    """Return ``body`` without the names of ``imports`` that ``unused`` says nothing reads."""
    body = list(body)
    for item in imports:
        if not unused(item.bound):
            continue
        for index, statement in enumerate(body):
            position = _binding(statement, item, package)
            if position is not None:
                _drop_name(body, index, position, package)
                break
    return body


def binds(statement: cst.BaseStatement, item: ImportName, package: str) -> bool:
    """Say whether this top-level statement is an import binding ``item``'s name to it."""
    return _binding(statement, item, package) is not None


def _binding(statement: cst.BaseStatement, item: ImportName, package: str) -> int | None:
    """Return the position of the name binding ``item`` in this import line, else None."""
    smalls = _imports_of(statement)
    if len(smalls) != 1:
        return None
    node = smalls[0]
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return None
        if resolve_from(node, package) not in same_object_modules(item):
            return None
    elif item.module:
        return None
    assert not isinstance(node.names, cst.ImportStar)  # noqa: S101  # refused above
    for position, alias in enumerate(node.names):
        if _dotted(alias.name) == item.name and _asname(alias) == item.alias:
            return position
    return None


def _asname(alias: cst.ImportAlias) -> str:
    if alias.asname is None or not isinstance(alias.asname.name, cst.Name):
        return ""
    return alias.asname.name.value


def _drop_name(body: list[cst.BaseStatement], index: int, position: int, package: str) -> None:
    statement = body[index]
    assert isinstance(statement, cst.SimpleStatementLine)  # noqa: S101  # an import line
    node = statement.body[0]
    assert isinstance(node, cst.Import | cst.ImportFrom)  # noqa: S101  # an import line
    assert not isinstance(node.names, cst.ImportStar)  # noqa: S101  # _binding refused it
    names = list(node.names)
    if len(names) > 1:
        removed = names.pop(position)
        if position == len(names):  # it was the last: the one before takes its comma back
            names[-1] = names[-1].with_changes(comma=_with_comment(removed.comma, names[-1].comma))
        body[index] = statement.with_changes(body=[node.with_changes(names=names)])
        return
    _drop_line(body, index, package)


def _drop_line(body: list[cst.BaseStatement], index: int, package: str) -> None:
    """Remove an import line; when it led its section, the next import takes its lines."""
    removed = body.pop(index)
    if index >= len(body):
        return
    following = body[index]
    mine, theirs = _line(index, removed, package), _line(index, following, package)
    before = _line(index - 1, body[index - 1], package) if index else None
    if mine is None or theirs is None or (before is not None and before.section == mine.section):
        return  # it did not lead its section: nothing moved when it came
    same_section = mine.section == theirs.section
    gap = [] if same_section else [cst.EmptyLine()]
    if _same_lines(leading_lines(following), gap):
        body[index] = following.with_changes(leading_lines=leading_lines(removed))


def _same_lines(left: Sequence[cst.EmptyLine], right: Sequence[cst.EmptyLine]) -> bool:
    """Compare by structure: libcst nodes are equal only to themselves."""
    return len(left) == len(right) and all(
        a.deep_equals(b) for a, b in zip(left, right, strict=True)
    )
