"""Three-way merge of a Python module by its syntax tree (libcst), keeping the owner's bytes.

The change scaffold wants is the difference between base (what it wrote last time) and new
(what it writes now). It is applied to ours (the owner's module as it is now) statement by
statement, in every block (the module, ``def create_app()``, ``class Settings``, an ``if``):

* statements are matched by identity, not by line: a ``def``/``class`` by its name, an
  assignment by its target, a call statement by its callee and the head of its first argument
  (``app.include_router(orders.router)``, ``middleware.append(Middleware(GZipMiddleware``), a
  compound statement by its header; the k-th statement of one identity matches the k-th;
* a statement new in scaffold's version goes right after the statement that precedes it there
  (so the owner's statements that follow it stay after scaffold's, middleware keeps its stack
  order, routers land before the owner's catch-all), or, when the owner removed that one,
  right before the statement that follows it;
* a statement scaffold drops is taken out only while it is still exactly what scaffold wrote;
  one the owner changed stays, with a note; comments the owner wrote above it stay;
* a statement both changed is merged inside: a compound statement block by block, a call
  argument by argument (keywords by name); where both changed the same part, the merge is
  refused with the file, the line and the statement to write by hand (:class:`UnsafeEditError`);
* imports are a set: the names scaffold's version adds go into the owner's import groups (an
  existing ``from module import`` first), the names it drops go once nothing reads them.

Every byte scaffold does not touch stays: libcst round-trips source exactly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from scaffold.cst_edit import append_keyword
from scaffold.edit import UnsafeEditError, match_keys
from scaffold.edit.python_imports import merge_imports
from scaffold.edit.python_nodes import (
    is_import,
    leading_lines,
    with_comments,
    without_leading_blanks,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

_COMPOUND = (cst.FunctionDef, cst.ClassDef, cst.If, cst.For, cst.While, cst.With, cst.Try)
_SHORT = 60  # the longest statement a note quotes whole


@dataclass
class _Context:
    origin: str
    module: cst.Module  # the owner's, for code and line numbers
    notes: list[str] = field(default_factory=list)

    def code(self, node: cst.CSTNode) -> str:
        if isinstance(node, (cst.SimpleStatementLine, *_COMPOUND)):
            node = node.with_changes(leading_lines=())
        return self.module.code_for_node(node).strip()

    def line_of(self, node: cst.CSTNode) -> int:
        """Return the line of ``node`` in the owner's module (first line of its code)."""
        code = self.module.code_for_node(node).strip()
        index = self.module.code.find(code)
        return self.module.code.count("\n", 0, index) + 1 if index >= 0 else 0

    def refuse(self, ours: cst.CSTNode, wanted: cst.CSTNode | None, why: str) -> UnsafeEditError:
        where = f"{self.origin}:{self.line_of(ours)}"
        by_hand = ""
        if wanted is not None:
            by_hand = "; add by hand: " + " ".join(self.code(wanted).split())[:200]
        return UnsafeEditError(
            f"{where}: {why}{by_hand}",
            hint="edit that statement by hand, or undo your change to it, and run again",
        )


@dataclass(frozen=True)
class PythonMerge:
    """The merged module and what the owner should know."""

    code: str
    notes: list[str]


def merge_python(
    base: str, ours: str, new: str, *, origin: str, package: str
) -> PythonMerge | None:
    """Merge three versions of a module; ``None`` when one of them does not parse."""
    try:
        base_module, ours_module, new_module = (cst.parse_module(t) for t in (base, ours, new))
    except cst.ParserSyntaxError:
        return None
    context = _Context(origin=origin, module=ours_module)
    body, leftover = _merge_block(
        context, base_module.body, ours_module.body, new_module.body, top=True
    )
    if leftover and body and isinstance(body[-1], (cst.FunctionDef, cst.ClassDef)):
        leftover = [cst.EmptyLine(indent=False), cst.EmptyLine(indent=False), *leftover]
    merged = ours_module.with_changes(body=body, footer=[*leftover, *ours_module.footer])
    merged = merge_imports(merged, base_module, new_module, package=package)
    if not merged.body:  # only the owner's comments are left: no blank lines above them
        lines = without_leading_blanks([*merged.header, *merged.footer])
        merged = merged.with_changes(header=[], footer=lines)
    if (
        merged.body
        and ours_module.body
        and context.code(merged.body[0]) != context.code(ours_module.body[0])
    ):  # a new first statement (the docstring went): no blank lines above it
        first = merged.body[0]
        lines = without_leading_blanks(leading_lines(first))
        merged = merged.with_changes(
            body=[first.with_changes(leading_lines=lines), *merged.body[1:]]
        )
    return PythonMerge(code=merged.code, notes=context.notes)


# --- identity ---------------------------------------------------------------------------------


def _head(context: _Context, node: cst.BaseExpression) -> str:
    """Return a call's callee and the head of its first argument; else the expression's code."""
    if not isinstance(node, cst.Call):
        return context.code(node)
    first = next((arg for arg in node.args if arg.keyword is None and not arg.star), None)
    inner = _head(context, first.value) if first is not None else ""
    return f"{context.code(node.func)}({inner}"


def _identity(context: _Context, statement: cst.CSTNode, index: int) -> str:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return f"{type(statement).__name__} {statement.name.value}"
    if isinstance(statement, cst.If):
        return f"if {context.code(statement.test)}"
    if isinstance(statement, (cst.While, cst.For, cst.With, cst.Try)):
        header = statement.with_changes(body=cst.IndentedBlock(body=[]), leading_lines=())
        return context.module.code_for_node(header).splitlines()[0]
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            return f"= {context.code(small.targets[0].target)}"
        if isinstance(small, cst.AnnAssign):
            return f"= {context.code(small.target)}"
        if isinstance(small, cst.Expr):
            if index == 0 and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString)):
                return "docstring"
            return f"call {_head(context, small.value)}"
        if isinstance(small, cst.Return):
            return "return"
    return context.code(statement)


# --- blocks -------------------------------------------------------------------------------------


@dataclass
class _Slots:
    """The owner's statements, with scaffold's insertions and removals pinned to them."""

    statements: list[cst.BaseStatement | None]
    before: dict[int, list[cst.BaseStatement]] = field(default_factory=dict)
    after: dict[int, list[cst.BaseStatement]] = field(default_factory=dict)
    carried: dict[int, list[cst.EmptyLine]] = field(default_factory=dict)  # owner comments
    leftover: list[cst.EmptyLine] = field(default_factory=list)

    def assemble(self, tail: list[cst.BaseStatement], *, top: bool) -> list[cst.BaseStatement]:
        body: list[cst.BaseStatement] = []
        inserted: list[bool] = []
        pending: list[cst.EmptyLine] = []
        for index, statement in enumerate(self.statements):
            pieces = [
                *((p, True) for p in self.before.get(index, [])),
                (statement, False),
                *((p, True) for p in self.after.get(index, [])),
            ]
            for piece, is_new in pieces:
                if piece is None:
                    pending += self.carried.get(index, [])
                    continue
                placed = piece
                if pending:
                    placed = with_comments(piece, pending)
                    pending = []
                body.append(placed)
                inserted.append(is_new)
        body += tail
        inserted += [True] * len(tail)
        self.leftover = pending  # the owner's comments below the last statement scaffold took out
        return _spaced(body, inserted, blank_lines=2 if top else 1)


def _spaced(
    body: list[cst.BaseStatement], inserted: list[bool], *, blank_lines: int
) -> list[cst.BaseStatement]:
    """Part a ``def``/``class`` from its neighbours where scaffold put one next to the other.

    Only the seams next to a statement scaffold inserted are touched; the rest is the owner's.
    """
    spaced = list(body)
    for index in range(1, len(spaced)):
        if not (inserted[index] or inserted[index - 1]):
            continue
        if not isinstance(spaced[index - 1], (cst.FunctionDef, cst.ClassDef)) and not isinstance(
            spaced[index], (cst.FunctionDef, cst.ClassDef)
        ):
            continue
        lines = list(leading_lines(spaced[index]))
        blanks = 0
        for line in lines:
            if line.comment is not None:
                break
            blanks += 1
        if blanks < blank_lines:
            missing = [cst.EmptyLine(indent=False)] * (blank_lines - blanks)
            spaced[index] = spaced[index].with_changes(leading_lines=[*missing, *lines])
    return spaced


def _keys(context: _Context, block: Sequence[cst.CSTNode]) -> list[str | None]:
    return [None if is_import(s) else _identity(context, s, i) for i, s in enumerate(block)]


def _merge_block(
    context: _Context,
    base: Sequence[cst.BaseStatement],
    ours: Sequence[cst.BaseStatement],
    new: Sequence[cst.BaseStatement],
    *,
    top: bool = False,
) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """Merge one block; return its statements and owner comments left below them."""
    base_keys, ours_keys, new_keys = (_keys(context, block) for block in (base, ours, new))
    to_ours, to_new = match_keys(base_keys, ours_keys), match_keys(base_keys, new_keys)
    from_new = {n: b for b, n in to_new.items()}
    slots = _Slots(statements=list(ours))
    for b_index, statement in enumerate(base):
        if base_keys[b_index] is None:
            continue  # an import: merged as a set
        wanted = new[to_new[b_index]] if b_index in to_new else None
        if b_index not in to_ours:  # the owner removed (or renamed) it
            if (
                wanted is not None
                and context.code(wanted) != context.code(statement)
                and base_keys[b_index] != "docstring"
            ):
                raise _refuse_missing(context, statement, wanted)
            continue
        o_index = to_ours[b_index]
        _settle(context, slots, statement, o_index=o_index, ours=ours[o_index], wanted=wanted)
    tail: list[cst.BaseStatement] = []
    owners = {key for index, key in enumerate(ours_keys) if index not in to_ours.values()}
    for n_index, statement in enumerate(new):
        if new_keys[n_index] is None or n_index in from_new:
            continue
        if new_keys[n_index] in owners:  # the owner wrote one already: theirs stays, alone
            context.notes.append(
                f"{context.origin}: kept your '{_short(context, statement)}'; scaffold's would "
                "have been the same statement"
            )
            continue
        _place(
            context,
            slots,
            statement,
            n_index=n_index,
            new_keys=new_keys,
            from_new=from_new,
            to_ours=to_ours,
            tail=tail,
            top=top,
        )
    body = slots.assemble(tail, top=top)
    return body, slots.leftover


def _settle(
    context: _Context,
    slots: _Slots,
    base: cst.BaseStatement,
    *,
    o_index: int,
    ours: cst.BaseStatement,
    wanted: cst.BaseStatement | None,
) -> None:
    """Settle one of scaffold's earlier statements the owner still has: merge, drop or keep."""
    if wanted is not None:
        slots.statements[o_index] = _merge_statement(context, base, ours, wanted)
    elif context.code(ours) == context.code(base):
        slots.statements[o_index] = None
        slots.carried[o_index] = _owner_lines(context, base, ours)
    elif _same_syntax(context.code(ours), context.code(base)):
        # only the owner's comments differ: the statement goes, their comments stay
        slots.statements[o_index] = None
        slots.carried[o_index] = _owner_comments(base, ours)
    else:
        line = context.line_of(ours)
        context.notes.append(
            f"{context.origin}:{line}: kept '{_short(context, ours)}': you changed"
            " it, so scaffold does not take it out"
        )


def _refuse_missing(
    context: _Context, base: cst.BaseStatement, new: cst.BaseStatement
) -> UnsafeEditError:
    """Scaffold changes a statement the owner removed or renamed: never apply half a change."""
    before = {line.strip() for line in context.code(base).splitlines()}
    added = [
        line.strip()
        for line in context.code(new).splitlines()
        if line.strip() and line.strip() not in before
    ]
    wanted = "; ".join(added) if added else " ".join(context.code(new).split())
    msg = (
        f"{context.origin}: scaffold changes '{_short(context, base)}', which is no longer "
        f"there (removed or renamed); add by hand: {wanted[:300]}"
    )
    return UnsafeEditError(
        msg, hint="restore the statement's name, or make scaffold's change yourself"
    )


def _place(
    context: _Context,
    slots: _Slots,
    statement: cst.BaseStatement,
    *,
    n_index: int,
    new_keys: list[str | None],
    from_new: dict[int, int],
    to_ours: dict[int, int],
    tail: list[cst.BaseStatement],
    top: bool,
) -> None:
    """Pin a statement new in scaffold's version next to its neighbour there."""

    def anchor(indexes: range) -> int | None:
        for other in indexes:
            if new_keys[other] is None or other not in from_new:
                continue
            o_index = to_ours.get(from_new[other])
            if o_index is not None and slots.statements[o_index] is not None:
                return o_index
        return None

    previous = anchor(range(n_index - 1, -1, -1))
    if top and _after_imports(new_keys, n_index):
        last_import = max(
            (i for i, s in enumerate(slots.statements) if s is not None and is_import(s)),
            default=None,
        )
        if last_import is not None and (previous is None or previous < last_import):
            previous = last_import
    if previous is not None:
        slots.after.setdefault(previous, []).append(statement)
        return
    following = anchor(range(n_index + 1, len(new_keys)))
    if following is not None:
        slots.before.setdefault(following, []).append(statement)
        return
    if top or not any(s is not None for s in slots.statements):
        tail.append(statement)
        return
    raise context.refuse(
        slots.statements[0] or statement,
        statement,
        "none of the statements scaffold places this one next to is left in the block",
    )


def _same_syntax(left: str, right: str) -> bool:
    """Whether two statements are the same code, comments and formatting aside."""
    import ast

    try:
        return ast.dump(ast.parse(left)) == ast.dump(ast.parse(right))
    except SyntaxError:
        return False


class _Comments(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []

    def visit_Comment(self, node: cst.Comment) -> None:  # noqa: N802  # libcst's visitor names
        self.found.append(node.value)


def _owner_comments(base: cst.CSTNode, ours: cst.CSTNode) -> list[cst.EmptyLine]:
    """Return the owner's comments anywhere in a statement, as lines to keep above the next."""
    scaffolds, owners = _Comments(), _Comments()
    base.visit(scaffolds)
    ours.visit(owners)
    left = Counter(scaffolds.found)
    kept: list[cst.EmptyLine] = []
    for comment in owners.found:
        if left[comment]:
            left[comment] -= 1
        else:
            kept.append(cst.EmptyLine(comment=cst.Comment(comment)))
    return kept


def _after_imports(new_keys: list[str | None], n_index: int) -> bool:
    """Whether imports stand between this statement and the keyed one before it."""
    for key in reversed(new_keys[:n_index]):
        if key is None:
            return True
        if key != "docstring":
            return False
    return False


def _owner_lines(
    context: _Context, base: cst.BaseStatement, ours: cst.BaseStatement
) -> list[cst.EmptyLine]:
    """Return the comment lines above the owner's statement that scaffold did not write."""
    scaffolds = Counter(context.module.code_for_node(line) for line in leading_lines(base))
    kept: list[cst.EmptyLine] = []
    for line in leading_lines(ours):
        code = context.module.code_for_node(line)
        if scaffolds[code]:
            scaffolds[code] -= 1
        elif line.comment is not None:
            kept.append(line)
    return kept


def _short(context: _Context, node: cst.CSTNode) -> str:
    text = " ".join(context.code(node).split())
    return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."


# --- one statement both may have changed --------------------------------------------------------


def _merge_statement(
    context: _Context, base: cst.BaseStatement, ours: cst.BaseStatement, new: cst.BaseStatement
) -> cst.BaseStatement:
    base_code, ours_code, new_code = (context.code(s) for s in (base, ours, new))
    if ours_code == base_code:  # untouched by the owner: scaffold's version, owner's comments
        same_lines = [context.module.code_for_node(x) for x in leading_lines(ours)] == [
            context.module.code_for_node(x) for x in leading_lines(base)
        ]
        return new if same_lines else new.with_changes(leading_lines=leading_lines(ours))
    if new_code in (base_code, ours_code):
        return ours
    if (
        isinstance(ours, _COMPOUND)
        and isinstance(base, cst.BaseCompoundStatement)
        and isinstance(new, cst.BaseCompoundStatement)
        and type(base) is type(ours) is type(new)
    ):  # base's and new's isinstance only tell mypy what ``type(...) is`` already says
        return _merge_compound(context, base, ours, new)
    merged = _merge_simple(context, base, ours, new)
    if merged is None:
        raise context.refuse(ours, new, "you and scaffold both changed this statement")
    return merged


def _header(context: _Context, statement: cst.CSTNode) -> str:
    stub = statement.with_changes(body=cst.IndentedBlock(body=[]), leading_lines=())
    return context.module.code_for_node(stub)


def _merge_compound(
    context: _Context,
    base: cst.BaseCompoundStatement,
    ours: cst.BaseCompoundStatement,
    new: cst.BaseCompoundStatement,
) -> cst.BaseStatement:
    base_header, ours_header, new_header = (_header(context, s) for s in (base, ours, new))
    if ours_header == base_header:
        shell = new.with_changes(leading_lines=ours.leading_lines)
    elif new_header in (base_header, ours_header):
        shell = ours
    else:
        raise context.refuse(ours, new, "you and scaffold both changed this statement's header")
    blocks = [s.body for s in (base, ours, new)]
    if not all(isinstance(block, cst.IndentedBlock) for block in blocks):
        raise context.refuse(ours, new, "you and scaffold both changed this one-line block")
    base_block, ours_block, new_block = blocks
    assert isinstance(base_block, cst.IndentedBlock)  # noqa: S101  # checked above
    assert isinstance(ours_block, cst.IndentedBlock)  # noqa: S101
    assert isinstance(new_block, cst.IndentedBlock)  # noqa: S101
    body, leftover = _merge_block(context, base_block.body, ours_block.body, new_block.body)
    if not body:
        raise context.refuse(ours, new, "this block would be left empty")
    footer = [*leftover, *ours_block.footer]
    return shell.with_changes(body=ours_block.with_changes(body=body, footer=footer))


def _call_of(statement: cst.BaseStatement) -> tuple[cst.Call, str] | None:
    """Return the call a one-line statement is made of, and where it sits (``value``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, (cst.Assign, cst.AnnAssign, cst.Expr)) and isinstance(
        small.value, cst.Call
    ):
        return small.value, "value"
    return None


def _merge_simple(
    context: _Context, base: cst.BaseStatement, ours: cst.BaseStatement, new: cst.BaseStatement
) -> cst.BaseStatement | None:
    calls = [_call_of(s) for s in (base, ours, new)]
    if any(call is None for call in calls):
        return None
    base_call, ours_call, new_call = (call[0] for call in calls if call is not None)
    merged = _merge_call(context, base_call, ours_call, new_call)
    if merged is None:
        return None
    assert isinstance(ours, cst.SimpleStatementLine)  # noqa: S101  # _call_of
    small = ours.body[0]
    return ours.with_changes(body=[small.with_changes(value=merged)])


def _merge_value(
    context: _Context, base: cst.BaseExpression, ours: cst.BaseExpression, new: cst.BaseExpression
) -> cst.BaseExpression | None:
    base_code, ours_code, new_code = (context.code(x) for x in (base, ours, new))
    if ours_code == base_code:
        return new
    if new_code in (base_code, ours_code):
        return ours
    if isinstance(base, cst.Call) and isinstance(ours, cst.Call) and isinstance(new, cst.Call):
        return _merge_call(context, base, ours, new)
    return None


def _merge_call(
    context: _Context, base: cst.Call, ours: cst.Call, new: cst.Call
) -> cst.Call | None:
    """Merge a call's arguments: positional ones by position, keywords by name."""
    funcs = {context.code(call.func) for call in (base, ours, new)}
    if len(funcs) != 1:
        return None
    positional = [[a for a in call.args if a.keyword is None] for call in (base, ours, new)]
    if len({len(args) for args in positional}) != 1:
        return None
    keywords = [
        {a.keyword.value: a for a in call.args if a.keyword is not None}
        for call in (base, ours, new)
    ]
    base_kw, ours_kw, new_kw = keywords
    args: list[cst.Arg] = []
    position = 0
    for arg in ours.args:
        if arg.keyword is None:
            pair = (positional[0][position], positional[2][position])
            position += 1
            merged_arg = _merge_positional(context, pair[0], arg, pair[1])
            if merged_arg is None:
                return None
            args.append(merged_arg)
        elif not _merge_keyword(
            context, arg, name=arg.keyword.value, base=base_kw, new=new_kw, args=args
        ):
            return None
    merged = ours.with_changes(args=args)
    for name, arg in new_kw.items():
        if name not in base_kw and name not in ours_kw:
            merged = append_keyword(merged, name, arg.value)
    return merged


def _merge_positional(
    context: _Context, base: cst.Arg, ours: cst.Arg, new: cst.Arg
) -> cst.Arg | None:
    """Merge a positional argument; ``None`` when both changed it (or its star)."""
    value = _merge_value(context, base.value, ours.value, new.value)
    if value is None or base.star != ours.star or new.star != ours.star:
        return None
    return ours.with_changes(value=value)


def _merge_keyword(
    context: _Context,
    arg: cst.Arg,
    *,
    name: str,
    base: dict[str, cst.Arg],
    new: dict[str, cst.Arg],
    args: list[cst.Arg],
) -> bool:
    """Add the owner's keyword ``arg`` to ``args`` as merged; ``False`` when both changed it."""
    if name not in base:  # the owner's own keyword
        if name in new and context.code(new[name].value) != context.code(arg.value):
            return False
        args.append(arg)
    elif name not in new:  # scaffold drops it: only while it is still scaffold's
        if context.code(arg.value) != context.code(base[name].value):
            return False
        _drop_last_comma(args, arg)
    else:
        value = _merge_value(context, base[name].value, arg.value, new[name].value)
        if value is None:
            return False
        args.append(arg.with_changes(value=value))
    return True


def _drop_last_comma(args: list[cst.Arg], dropped: cst.Arg) -> None:
    """Take out ``dropped`` when it is the last: the one before takes over its comma."""
    if args and not isinstance(dropped.comma, cst.MaybeSentinel):
        args[-1] = args[-1].with_changes(comma=dropped.comma)
