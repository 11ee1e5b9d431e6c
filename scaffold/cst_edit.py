"""Finding the owner's FastAPI app and editing its module with libcst, keeping every other byte.

Only ``scaffold adopt`` and changes to adopted projects import this module: libcst is not
needed (nor imported) to generate or evolve a project that scaffold generated.

Finding (:func:`find_apps`): a call of ``fastapi.FastAPI``, imported as ``FastAPI``, under an
alias, or reached as ``fastapi.FastAPI``. scaffold edits only an app bound at module level by
``NAME = FastAPI(...)`` (or ``NAME: FastAPI = FastAPI(...)``) with arguments it can read, and
never bound again afterwards. Every other construction (inside a factory function or a class,
under ``if``/``try``/``with``, wrapped in another call, ``FastAPI(*args)``, ``app = ...``
again later) is reported with the reason and its line, and nothing is edited. An app built as
``FastAPI(**kwargs)`` is edited; only a keyword scaffold would add to that call is refused,
since ``kwargs`` may hold it already.

Editing (:func:`edit_app_module`) adds, and only adds:

* imports, in the owner's isort groups (:mod:`scaffold.adopted_imports`): merged into an
  existing ``from module import ...``, else next to the imports of their section; a name
  already imported from the same place is reused, a name bound to anything else refuses;
* keyword arguments of the ``FastAPI(...)`` call (``lifespan=lifespan``), laid out like the
  call's other arguments; a keyword already set to something else refuses;
* top-level statements on the app (``app.add_middleware(...)``, ``app.mount(...)``,
  ``app.include_router(...)``, ``app.state.settings = ...``) after the last top-level statement
  that uses the app (so the owner's routes keep precedence) and before any
  ``if __name__ == "__main__":`` block. A statement counts as present when an equivalent one
  (same syntax tree, formatting and comments aside) is anywhere at the top level, when the same
  middleware class is already added, when the same path is already mounted, or when the same
  target is already assigned. A missing statement goes right after the one that precedes it
  in the wanted order, so middleware added by a later run still lands at its place in the
  stack.

Revising (:func:`revise_app_module`, for ``remove`` and ``update``) is the inverse: a statement
or keyword scaffold inserted is taken out, or replaced by its new form, only when it is still
the same syntax tree as what scaffold inserted; one the owner changed stays, with a note. The
blank lines above a removed statement go back to the next one of scaffold's, and an import
scaffold added goes once nothing in the module reads its name, so that add-then-remove gives
the original bytes back.

Every other byte of the module (formatting, comments, blank lines, newline style) stays:
libcst round-trips source exactly and scaffold only inserts, or takes out, its own nodes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import libcst as cst
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ScopeProvider,
)

from scaffold.adopted_imports import add_imports, leading_lines, remove_imports
from scaffold.edit.names import same_object_modules
from scaffold.edit.python_nodes import dotted_name, names_read
from scaffold.errors import ScaffoldError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

    from libcst.metadata import CodeRange, Scope

    from scaffold.edit.names import ImportName

LINE_WIDTH = 88  # where an inserted call is split over lines, as ruff and black do by default
_FASTAPI_MODULES = ("fastapi", "fastapi.applications")
_BLOCKS: dict[type[cst.CSTNode], str] = {
    cst.If: "an 'if' block",
    cst.Try: "a 'try' block",
    cst.TryStar: "a 'try' block",
    cst.With: "a 'with' block",
    cst.For: "a 'for' loop",
    cst.While: "a 'while' loop",
    cst.Match: "a 'match' block",
}


class UnsafeAppError(ScaffoldError):
    """The owner's app cannot be found or edited safely; nothing was written."""


@dataclass(frozen=True)
class FoundApp:
    """A ``FastAPI(...)`` call; ``problem`` says why scaffold cannot edit it (None: it can)."""

    name: str | None
    line: int
    problem: str | None


StatementKind = Literal["assign", "middleware", "mount", "call"]


@dataclass(frozen=True)
class NewStatement:
    """A top-level statement on the app that a blueprint wants.

    ``kind`` says when it is already present: ``assign`` (``func`` = ``args[0]``, present when
    ``func`` is assigned), ``middleware`` (present when ``key``, a class name, is added),
    ``mount`` (present when ``key``, a path, is mounted) or ``call`` (an equivalent statement).
    """

    kind: StatementKind
    func: str  # the called function (``app.mount``), or the assigned target
    args: tuple[str, ...]  # Python expressions; ``assign``: the value
    key: str = ""
    guard: str | None = None  # wrap the statement in ``if guard:``
    comment: str = ""
    imports: tuple[ImportName, ...] = ()
    blueprint: str = ""


@dataclass(frozen=True)
class AppKeyword:
    """A keyword argument of ``FastAPI(...)`` that a blueprint wants."""

    name: str
    value: str
    imports: tuple[ImportName, ...] = ()
    blueprint: str = ""


@dataclass(frozen=True)
class AppEdits:
    """Everything blueprints want in the owner's app module."""

    statements: tuple[NewStatement, ...] = ()
    keywords: tuple[AppKeyword, ...] = ()


@dataclass
class EditResult:
    """The edited module's source and what the owner should know."""

    code: str
    notes: list[str] = field(default_factory=list)
    imports: list[ImportName] = field(default_factory=list)  # the imports it added
    # identities of wanted statements an owner's statement already does (their own CORS)
    owners: set[str] = field(default_factory=set)


def statement_identity(statement: NewStatement) -> str:
    """Say which contribution a statement is, whatever its arguments (a middleware's kwargs)."""
    if statement.kind in ("middleware", "mount"):
        return f"{statement.kind}:{statement.key}"
    if statement.kind == "assign":
        return f"assign:{statement.func}"
    return f"call:{statement.func}({statement.args[0] if statement.args else ''})"


@dataclass(frozen=True)
class Revision:
    """How the blueprints' wishes changed since scaffold last edited the module.

    Each pair is (what scaffold inserted last time, what it wants now; None: take it out).
    """

    statements: tuple[tuple[NewStatement, NewStatement | None], ...] = ()
    keywords: tuple[tuple[AppKeyword, AppKeyword | None], ...] = ()
    imports: tuple[ImportName, ...] = ()  # imports scaffold added that nothing it wants needs
    staying: tuple[NewStatement, ...] = ()  # scaffold's statements that stay


@dataclass
class RevisionResult:
    """The revised module, notes, and the contributions whose owner's version was kept."""

    code: str
    notes: list[str] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)  # statement identities, ``keyword:NAME``


# --- parsing and finding --------------------------------------------------------------------


def parse(text: str, origin: str) -> cst.Module:
    """Parse a module; a syntax error is an :class:`UnsafeAppError` naming the place."""
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        try:  # Python's own message is the one the owner knows
            compile(text, origin, "exec", dont_inherit=True)
        except SyntaxError as python_error:
            msg = f"cannot parse {origin}: {python_error.msg} (line {python_error.lineno})"
            raise UnsafeAppError(msg, hint="fix the syntax error and run again") from None
        where = f"line {error.raw_line}, column {error.raw_column + 1}"
        msg = f"libcst cannot parse {origin} ({where}), though Python can"
        raise UnsafeAppError(msg, hint="upgrade libcst, or report the syntax it misses") from None


def _module_name(node: cst.BaseExpression | None) -> str:
    return (dotted_name(node) or "") if node is not None else ""


class _Imports(cst.CSTVisitor):
    """The spellings under which a module can call ``fastapi.FastAPI``."""

    def __init__(self) -> None:
        self.callables: set[str] = set()

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:  # noqa: N802  # libcst's visitor names
        if node.relative or _module_name(node.module) not in _FASTAPI_MODULES:
            return
        if isinstance(node.names, cst.ImportStar):
            self.callables.add("FastAPI")
            return
        for alias in node.names:
            if dotted_name(alias.name) == "FastAPI":
                self.callables.add(_bound_name(alias) or "FastAPI")

    def visit_Import(self, node: cst.Import) -> None:  # noqa: N802  # libcst's visitor names
        for alias in node.names:
            dotted = dotted_name(alias.name) or ""
            if dotted.split(".")[0] != "fastapi":
                continue
            bound = _bound_name(alias)
            prefixes = [bound] if bound else [dotted, "fastapi"]
            if bound and dotted == "fastapi.applications":
                prefixes = []
                self.callables.add(f"{bound}.FastAPI")
            for prefix in prefixes:
                self.callables.update({f"{prefix}.FastAPI", f"{prefix}.applications.FastAPI"})


def _bound_name(alias: cst.ImportAlias) -> str | None:
    if alias.asname is None or not isinstance(alias.asname.name, cst.Name):
        return None
    return alias.asname.name.value


class _Calls(cst.CSTVisitor):
    def __init__(self, callables: set[str]) -> None:
        self.callables = callables
        self.found: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:  # noqa: N802  # libcst's visitor names
        if dotted_name(node.func) in self.callables:
            self.found.append(node)


@dataclass(frozen=True)
class _Parsed:
    """A module with the metadata scaffold reads."""

    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    scope: Scope

    @classmethod
    def of(cls, module: cst.Module) -> _Parsed:
        wrapper = MetadataWrapper(module)
        scopes = wrapper.resolve(ScopeProvider)
        scope = scopes[wrapper.module]
        assert scope is not None  # noqa: S101  # a module always has its global scope
        return cls(
            module=wrapper.module,
            positions=wrapper.resolve(PositionProvider),
            parents=wrapper.resolve(ParentNodeProvider),
            scope=scope,
        )

    def line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line

    def ancestors(self, node: cst.CSTNode) -> Iterable[cst.CSTNode]:
        while node in self.parents:
            node = self.parents[node]
            yield node

    def top_statement(self, node: cst.CSTNode) -> cst.CSTNode:
        """Return the statement of the module body that holds ``node``."""
        for ancestor in self.ancestors(node):
            if self.parents.get(ancestor) is self.module:
                return ancestor
        return node


def _fastapi_calls(parsed: _Parsed) -> list[cst.Call]:
    imports = _Imports()
    parsed.module.visit(imports)
    calls = _Calls(imports.callables)
    parsed.module.visit(calls)
    return calls.found


def find_apps(module: cst.Module) -> list[FoundApp]:
    """Every ``FastAPI(...)`` construction in ``module``, each editable or with its problem."""
    parsed = _Parsed.of(module)
    return [f for call in _fastapi_calls(parsed) if (f := _classify(parsed, call)) is not None]


def _classify(parsed: _Parsed, call: cst.Call) -> FoundApp | None:
    """Say whether scaffold can edit the app ``call`` creates; None: it is no app at all."""
    line = parsed.line(call)
    for ancestor in parsed.ancestors(call):
        if isinstance(ancestor, cst.FunctionDef | cst.ClassDef):
            kind = "function" if isinstance(ancestor, cst.FunctionDef) else "class"
            where = f"{ancestor.name.value}{'()' if kind == 'function' else ''}"
            problem = (
                f"the app is built inside the {kind} {where} (line {parsed.line(ancestor)}), "
                "which scaffold cannot follow; it edits an app created at module level as "
                "NAME = FastAPI(...), or in a function of the module that creates it as "
                "NAME = FastAPI(...), ends with return NAME and is called as app = f()"
            )
            return FoundApp(None, line, problem)
    for ancestor in parsed.ancestors(call):
        if type(ancestor) in _BLOCKS:
            problem = (
                f"the app is created conditionally, inside {_BLOCKS[type(ancestor)]} (line "
                f"{parsed.line(ancestor)}); scaffold edits an app created unconditionally at "
                "module level as NAME = FastAPI(...)"
            )
            return FoundApp(None, line, problem)
    name = _assigned_name(parsed, call)
    if name is None:
        problem = (
            f"FastAPI(...) at line {line} is not assigned on its own to one name; scaffold "
            "edits an app created as NAME = FastAPI(...)"
        )
        return FoundApp(None, line, problem)
    if _replaced(parsed, call, name):
        return None  # NAME = FastAPI() again before any use: the later one is the app
    return FoundApp(name, line, _editing_problem(parsed, call, name))


def _assigned_name(parsed: _Parsed, call: cst.Call) -> str | None:
    """Return the name in ``NAME = FastAPI(...)`` at module level, else None."""
    parent = parsed.parents.get(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
    elif isinstance(parent, cst.AnnAssign) and parent.value is call:
        target = parent.target
    else:
        return None
    line = parsed.parents.get(parent)
    if (
        not isinstance(target, cst.Name)
        or line is None
        or parsed.parents.get(line) is not parsed.module
    ):
        return None
    return target.value


def _editing_problem(parsed: _Parsed, call: cst.Call, name: str) -> str | None:
    line = parsed.line(call)
    if any(arg.star == "*" for arg in call.args):  # **kwargs: see _refuse_hidden_keyword
        return (
            f"FastAPI(...) at line {line} takes *args, so scaffold cannot see or safely "
            "extend its arguments"
        )
    bindings = _bindings(parsed, name)  # the top statements binding NAME = FastAPI(...)
    statement = parsed.top_statement(call)
    rebound = _next_binding(parsed, statement, name)
    later = parsed.top_statement(rebound) if rebound is not None else None
    if rebound is not None and later not in bindings:
        return (
            f"'{name}' is bound again at line {parsed.line(rebound)} after FastAPI(...) at line "
            f"{line}, so scaffold cannot tell which object serves"
        )
    # NAME = FastAPI() twice: Python serves the last. Whatever the module does with an earlier
    # one first (@app.get, app.include_router) is lost with it: say so, on each of the two.
    pairs = [(statement, later)] if later is not None else []
    pairs += [
        (first, statement)
        for first in bindings
        if (node := _next_binding(parsed, first, name)) and parsed.top_statement(node) is statement
    ]
    for first, second in pairs:
        if (use := _first_use(parsed, first, second, name)) is not None:
            return (
                f"'{name}' is bound to FastAPI(...) twice, at line {parsed.line(first)} and at "
                f"line {parsed.line(second)}: the second replaces the first, so what line "
                f"{parsed.line(use)} does with the first ({_use_code(parsed, use)}) never "
                "serves; do that on the second app instead, and delete the first assignment"
            )
    return None


def _replaced(parsed: _Parsed, call: cst.Call, name: str) -> bool:
    """Say whether ``name = FastAPI(...)`` is bound to a new FastAPI(...) before any use.

    Then the later one is the app (Python serves the last binding), and this one is no app.
    """
    statement = parsed.top_statement(call)
    rebound = _next_binding(parsed, statement, name)
    if rebound is None or (later := parsed.top_statement(rebound)) not in _bindings(parsed, name):
        return False
    return _first_use(parsed, statement, later, name) is None


def _bindings(parsed: _Parsed, name: str) -> list[cst.CSTNode]:
    """Return the module's top statements that bind ``name = FastAPI(...)``, in order."""
    return [
        parsed.top_statement(call)
        for call in _fastapi_calls(parsed)
        if _assigned_name(parsed, call) == name
    ]


def _next_binding(parsed: _Parsed, statement: cst.CSTNode, name: str) -> cst.CSTNode | None:
    """Return the first node after ``statement`` that binds ``name`` again (its target)."""
    end = parsed.positions[statement].end
    later = []
    for assignment in parsed.scope.assignments[name]:
        node = getattr(assignment, "node", None)
        if node is None or node not in parsed.positions:
            continue
        start = parsed.positions[node].start
        if (start.line, start.column) > (end.line, end.column):
            later.append((start.line, start.column, node))
    return min(later, key=lambda found: found[:2])[2] if later else None


def _first_use(
    parsed: _Parsed, first: cst.CSTNode, second: cst.CSTNode, name: str
) -> cst.CSTNode | None:
    """Return the first use of ``name`` the module runs between two statements, or None.

    Module scope only: a function's body that reads ``name`` runs when called, and then finds
    the second app.
    """
    after, before = parsed.positions[first].end, parsed.positions[second].start
    uses = [
        (start.line, start.column, access.node)
        for access in parsed.scope.accesses[name]
        if access.node in parsed.positions
        and (after.line, after.column)
        < ((start := parsed.positions[access.node].start).line, start.column)
        < (before.line, before.column)
    ]
    return min(uses, key=lambda use: use[:2])[2] if uses else None


def _use_code(parsed: _Parsed, use: cst.CSTNode) -> str:
    """Return the decorator or the statement using the app, as written (its first line)."""
    for ancestor in parsed.ancestors(use):
        if isinstance(ancestor, cst.Decorator):
            return "@" + parsed.module.code_for_node(ancestor.decorator)
        if isinstance(ancestor, cst.BaseSmallStatement):
            return parsed.module.code_for_node(ancestor).strip().splitlines()[0]
    return parsed.module.code_for_node(use)


# --- editing --------------------------------------------------------------------------------


def edit_app_module(
    text: str,
    *,
    origin: str,
    app: str,
    package: str,
    edits: AppEdits,
    before_keyword: Callable[[AppKeyword], None] | None = None,
) -> EditResult:
    """Apply ``edits`` to the module creating ``app``; raise :class:`UnsafeAppError` if unsafe.

    ``package`` is the module's own package, against which relative imports resolve;
    ``before_keyword`` may refuse (by raising) a keyword about to be added to ``FastAPI(...)``.
    """
    parsed = _Parsed.of(parse(text, origin))
    call = _the_app(parsed, origin, app)
    body: list[cst.BaseStatement] = list(parsed.module.body)
    app_index = next(i for i, s in enumerate(body) if s is parsed.top_statement(call))
    result = EditResult(code=text)
    new_call, keyword_imports = _add_keywords(
        parsed, call, origin, app, edits.keywords, before_keyword=before_keyword
    )
    placement = _place_statements(
        parsed, origin, app, app_index=app_index, edits=edits, result=result, package=package
    )
    imports = _missing_imports(parsed, origin, package, [*keyword_imports, *placement.imports])
    result.imports = imports
    if new_call is call and not placement.inserted and not imports:
        return result
    body[app_index] = _replace_call(body[app_index], call, new_call)
    new_body = _assemble(parsed.module, body, placement)
    limit = next(i for i, statement in enumerate(new_body) if statement is body[app_index])
    new_body = add_imports(parsed.module, new_body, imports, package=package, limit=limit)
    result.code = parsed.module.with_changes(body=new_body).code
    check_compiles(text, result.code, origin)
    return result


def _the_app(parsed: _Parsed, origin: str, app: str) -> cst.Call:
    """Return the call creating ``app``, which must still be editable."""
    for call in _fastapi_calls(parsed):
        found = _classify(parsed, call)
        if found is not None and found.name == app:
            if found.problem is not None:
                raise UnsafeAppError(f"cannot edit the app in {origin}: {found.problem}")
            return call
    msg = f"{origin} no longer creates the app '{app}' at module level as {app} = FastAPI(...)"
    raise UnsafeAppError(msg, hint="restore it, or fix [adopted] in .scaffold/project.toml")


def _compiles(code: str, origin: str) -> bool:
    try:
        compile(code, origin, "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def check_compiles(original: str, code: str, origin: str) -> None:
    """Refuse an edit that breaks a module this Python compiles (newer syntax is not judged)."""
    if not _compiles(original, origin):
        return
    try:
        compile(code, origin, "exec", dont_inherit=True)
    except SyntaxError as error:  # a bug in scaffold: say so rather than write broken code
        msg = f"editing {origin} would produce invalid Python ({error.msg}, line {error.lineno})"
        raise UnsafeAppError(msg, hint="this is a bug in scaffold; please report it") from None


# --- FastAPI(...) keywords ------------------------------------------------------------------


def _add_keywords(
    parsed: _Parsed,
    call: cst.Call,
    origin: str,
    app: str,
    keywords: Sequence[AppKeyword],
    *,
    before_keyword: Callable[[AppKeyword], None] | None,
) -> tuple[cst.Call, list[ImportName]]:
    imports: list[ImportName] = []
    new_call = call
    for keyword in keywords:
        existing = _keyword(call, keyword.name)
        if existing is not None:
            _check_same_keyword(parsed, call, origin, keyword, existing)
            continue
        _refuse_hidden_keyword(parsed, call, origin, keyword)
        if keyword.name == "lifespan":
            _refuse_event_handlers(parsed, call, origin, app, keyword.blueprint)
        if before_keyword is not None:
            before_keyword(keyword)
        new_call = append_keyword(new_call, keyword.name, cst.parse_expression(keyword.value))
        imports += keyword.imports
    return new_call, imports


def _refuse_hidden_keyword(
    parsed: _Parsed, call: cst.Call, origin: str, keyword: AppKeyword
) -> None:
    """Refuse a keyword that the call's ``**kwargs`` may already pass (a TypeError if so)."""
    unpacked = next((arg for arg in call.args if arg.star == "**"), None)
    if unpacked is None:
        return
    spread = cst.Module([]).code_for_node(unpacked.value)
    msg = (
        f"{origin}: FastAPI(...) at line {parsed.line(call)} passes **{spread}, which may "
        f"already hold '{keyword.name}', so scaffold cannot add {keyword.name}= for the "
        f"'{keyword.blueprint}' blueprint"
    )
    hint = f"pass {keyword.name}={keyword.value} yourself, or leave that blueprint out"
    raise UnsafeAppError(msg, hint=hint)


def _keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword and a.keyword.value == name), None)


def _dump(code: str) -> str | None:
    """Return ``code``'s syntax tree as text: equal for equal code, whatever its layout."""
    try:
        return ast.dump(ast.parse(code.strip()))
    except SyntaxError:
        return None


def _same_code(left: str, right: str) -> bool:
    return _dump(left) is not None and _dump(left) == _dump(right)


def _check_same_keyword(
    parsed: _Parsed, call: cst.Call, origin: str, keyword: AppKeyword, existing: cst.Arg
) -> None:
    code = parsed.module.code_for_node(existing.value)
    if _same_code(code, keyword.value):
        return
    where = f"FastAPI(...) in {origin} (line {parsed.line(call)}) already has"
    if keyword.name == "lifespan":
        msg = (
            f"{where} lifespan={code.strip()}; scaffold cannot safely merge two lifespans, so "
            f"it did not add the '{keyword.blueprint}' blueprint"
        )
        hint = "run your startup in one lifespan yourself, or leave that blueprint out"
        raise UnsafeAppError(msg, hint=hint)
    msg = (
        f"{where} {keyword.name}={code.strip()}; the '{keyword.blueprint}' blueprint needs "
        f"{keyword.name}={keyword.value}"
    )
    raise UnsafeAppError(msg)


class _EventHandlers(cst.CSTVisitor):
    """Startup/shutdown handlers registered on the app, which a lifespan would silence."""

    def __init__(self, app: str) -> None:
        self.app = app
        self.found: list[tuple[str, cst.CSTNode]] = []

    def visit_Attribute(self, node: cst.Attribute) -> None:  # noqa: N802  # libcst's visitor names
        dotted = dotted_name(node) or ""
        owner, _, attribute = dotted.rpartition(".")
        if owner == self.app and attribute in {"on_event", "add_event_handler"}:
            self.found.append((f"{dotted}(...)", node))
        elif owner == f"{self.app}.router" and attribute in {"on_startup", "on_shutdown"}:
            self.found.append((dotted, node))


def _refuse_event_handlers(
    parsed: _Parsed, call: cst.Call, origin: str, app: str, blueprint: str
) -> None:
    visitor = _EventHandlers(app)
    parsed.module.visit(visitor)
    found: list[tuple[str, cst.CSTNode]] = [
        (f"FastAPI({name}=...)", arg)
        for arg in call.args
        if (name := arg.keyword.value if arg.keyword else "") in {"on_startup", "on_shutdown"}
    ]
    found += visitor.found
    if found:
        what, node = found[0]
        msg = (
            f"{origin} registers startup/shutdown handlers ({what} at line {parsed.line(node)}), "
            f"which FastAPI ignores once the app has a lifespan, so scaffold did not add the "
            f"'{blueprint}' blueprint"
        )
        raise UnsafeAppError(msg, hint="move the handlers into a lifespan first")


def append_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """Add ``name=value`` after the call's last argument, in the layout of the others."""
    equal = cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
    )
    new = cst.Arg(value=value, keyword=cst.Name(name), equal=equal)
    if not call.args:
        return call.with_changes(args=[new])
    args = list(call.args)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # a trailing comma: the new argument goes after it
        after = last.comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace):  # one argument per line
            indent = _argument_indent(call, args)
            args[-1] = last.with_changes(
                comma=last.comma.with_changes(whitespace_after=after.with_changes(**indent))
            )
            closing = cst.ParenthesizedWhitespace(indent=after.indent, last_line=after.last_line)
            new = new.with_changes(comma=cst.Comma(whitespace_after=closing))
        else:
            args[-1] = last.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            new = new.with_changes(comma=last.comma)
        return call.with_changes(args=[*args, new])
    separator = _separator(call, args)
    args[-1] = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
    return call.with_changes(args=[*args, new])


def _argument_indent(call: cst.Call, args: list[cst.Arg]) -> dict[str, object]:
    """Return the ``indent``/``last_line`` putting an argument on its own line."""
    for whitespace in (
        call.whitespace_before_args,
        *(a.comma.whitespace_after for a in args[:-1] if isinstance(a.comma, cst.Comma)),
    ):
        if isinstance(whitespace, cst.ParenthesizedWhitespace):
            return {"indent": whitespace.indent, "last_line": whitespace.last_line}
    return {"indent": True, "last_line": cst.SimpleWhitespace("    ")}


def _separator(call: cst.Call, args: list[cst.Arg]) -> cst.Comma:
    """Return the comma (and line break) separating the call's arguments, no comment."""
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        indent = _argument_indent(call, args)
        return cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(**indent))  # type: ignore[arg-type]
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _replace_call(statement: cst.BaseStatement, old: cst.Call, new: cst.Call) -> cst.BaseStatement:
    if old is new:
        return statement
    replaced = statement.deep_replace(old, new)
    assert isinstance(replaced, cst.BaseStatement)  # noqa: S101  # a statement stays one
    return replaced


# --- statements on the app ------------------------------------------------------------------


@dataclass
class _Placement:
    """Where the missing statements go: after which body index, and what they import."""

    inserted: dict[int, list[NewStatement]] = field(default_factory=dict)
    imports: list[ImportName] = field(default_factory=list)
    ours: set[int] = field(default_factory=set)  # body indexes of wanted statements present
    # those of them that are scaffold's statement as it renders it (not an owner's own CORS)
    exact: set[int] = field(default_factory=set)


def _place_statements(
    parsed: _Parsed,
    origin: str,
    app: str,
    *,
    app_index: int,
    edits: AppEdits,
    result: EditResult,
    package: str,
) -> _Placement:
    """Decide which wanted statements are missing and after which body index each goes."""
    dumps = [_dump(parsed.module.code_for_node(statement)) for statement in parsed.module.body]
    found = [
        _present_at(
            parsed, dumps, app, wanted=wanted, origin=origin, result=result, package=package
        )
        for wanted in edits.statements
    ]
    placement = _Placement(ours={index for index in found if index is not None})
    placement.exact = {
        index
        for index, wanted in zip(found, edits.statements, strict=True)
        if index is not None
        and dumps[index] == _dump(_statement_code(wanted, indent="    ", newline="\n"))
    }
    existing = sorted(placement.ours)
    cursor = max(existing[0] - 1 if existing else _anchor(parsed, app, app_index), app_index)
    for number, (wanted, index) in enumerate(zip(edits.statements, found, strict=True)):
        if index is not None:
            cursor = max(index, app_index)
            continue
        # Before the next of the wanted statements that is there, whatever the module's order:
        # another blueprint's statement added later (settings' app.state after the owner's
        # CORS) must not carry a middleware past one that has to stay outside it.
        following = next((i for i in found[number + 1 :] if i is not None), None)
        spot = cursor if following is None or cursor < following else following - 1
        placement.inserted.setdefault(max(spot, app_index), []).append(wanted)
        placement.imports += wanted.imports
    return placement


def _anchor(parsed: _Parsed, app: str, app_index: int) -> int:
    """Return the last top-level statement using the app, before a ``__main__`` guard.

    A catch-all ``app.mount("/", ...)`` (a single-page front end) answers every path not
    matched before it, so scaffold's statements go before it, not after.
    """
    anchor = app_index
    for index, statement in enumerate(parsed.module.body):
        if _is_main_guard(statement) or _is_return(statement):  # a factory's body ends so
            break
        if index > app_index and _mounts_everything(statement, app):
            return max(index - 1, app_index)
        if index > app_index and _uses_name(statement, app):
            anchor = index
    return anchor


def _mounts_everything(statement: cst.CSTNode, app: str) -> bool:
    return any(
        dotted_name(call.func) == f"{app}.mount" and _mount_path(call) in {"/", ""}
        for call in _top_calls(statement)
    )


def _is_return(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Return) for small in statement.body
    )


def _is_main_guard(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.If) or not isinstance(statement.test, cst.Comparison):
        return False
    return dotted_name(statement.test.left) == "__name__"


def _uses_name(statement: cst.CSTNode, name: str) -> bool:
    """Say whether ``statement`` reads ``name``.

    An import's module path (``from app import routes`` in a package called like the app), an
    attribute or a keyword merely spells it.
    """
    return name in names_read(statement)


def _present_at(
    parsed: _Parsed,
    dumps: list[str | None],
    app: str,
    *,
    wanted: NewStatement,
    origin: str,
    result: EditResult,
    package: str,
) -> int | None:
    """Return the body index of the statement making ``wanted`` present, else None.

    A statement that reads like ``wanted`` but whose names the module binds to other objects
    (the owner's ``from app.core import auth`` and ``app.include_router(auth.router)``, where
    scaffold's ``auth`` is ``app.routes.auth``) is not it: ``wanted`` is then missing, and its
    import refuses the name the owner took.
    """
    code = _dump(_statement_code(wanted, indent="    ", newline="\n"))
    for index, statement in enumerate(parsed.module.body):
        if _binds_other_objects(parsed, statement, wanted, package):
            continue
        if dumps[index] is not None and dumps[index] == code:
            return index
        reason = _same_purpose(statement, app, wanted)
        if reason:
            if wanted.kind in ("middleware", "mount"):  # identities without the app's name
                result.owners.add(statement_identity(wanted))
            line = parsed.line(statement)
            result.notes.append(
                f"{origin} already {reason} (line {line}); kept yours, so the "
                f"'{wanted.blueprint}' blueprint's own does not apply"
            )
            return index
    return None


def _binds_other_objects(
    parsed: _Parsed, statement: cst.CSTNode, wanted: NewStatement, package: str
) -> bool:
    """Whether ``statement`` reads a name of ``wanted``'s imports bound to another object."""
    for item in wanted.imports:
        if not _uses_name(statement, item.name):
            continue
        nodes = [getattr(a, "node", None) for a in parsed.scope.assignments[item.name]]
        if nodes and not any(n is not None and imports_binding(n, item, package) for n in nodes):
            return True
    return False


def _same_purpose(statement: cst.CSTNode, app: str, wanted: NewStatement) -> str | None:
    """Say what the owner's statement already does that ``wanted`` would do, else None."""
    if wanted.kind == "assign":
        targets = _assigned_targets(statement)
        return f"sets {wanted.func}" if wanted.func in targets else None
    for call in _top_calls(statement):
        func = dotted_name(call.func)
        if wanted.kind == "middleware" and func == f"{app}.add_middleware":
            if _middleware_class(call) == wanted.key:
                return f"adds {wanted.key}"
        elif wanted.kind == "mount" and func == f"{app}.mount" and _mount_path(call) == wanted.key:
            return f"mounts {wanted.key}"
        elif wanted.kind == "call" and func == wanted.func and _same_first_argument(call, wanted):
            return f"calls {wanted.func}({wanted.args[0]})"
    return None


def _same_first_argument(call: cst.Call, wanted: NewStatement) -> bool:
    if not call.args or not wanted.args:
        return False
    return _same_code(cst.Module([]).code_for_node(call.args[0].value), wanted.args[0])


def _middleware_class(call: cst.Call) -> str | None:
    """Return the last name of the class in ``app.add_middleware(Class, ...)``."""
    if not call.args:
        return None
    return (dotted_name(call.args[0].value) or "").rpartition(".")[2] or None


def _assigned_targets(statement: cst.CSTNode) -> set[str]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return set()
    targets: set[str] = set()
    for small in statement.body:
        if isinstance(small, cst.Assign):
            targets.update(dotted_name(t.target) or "" for t in small.targets)
        elif isinstance(small, cst.AnnAssign):
            targets.add(dotted_name(small.target) or "")
    return targets


def _top_calls(statement: cst.CSTNode) -> list[cst.Call]:
    """Return the calls that are whole statements, at the top or one ``if`` down."""
    lines: list[cst.CSTNode] = [statement]
    if isinstance(statement, cst.If) and isinstance(statement.body, cst.IndentedBlock):
        lines += list(statement.body.body)
    calls = []
    for line in lines:
        if isinstance(line, cst.SimpleStatementLine):
            calls += [
                s.value
                for s in line.body
                if isinstance(s, cst.Expr) and isinstance(s.value, cst.Call)
            ]
    return calls


def _mount_path(call: cst.Call) -> str | None:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    argument = _keyword(call, "path") or (positional[0] if positional else None)
    if argument is None or not isinstance(argument.value, cst.SimpleString):
        return None
    value = argument.value.evaluated_value
    return value if isinstance(value, str) else None


def _call_lines(func: str, args: Sequence[str], level: int, indent: str) -> list[str]:
    one_line = f"{func}({', '.join(args)})"
    if len(indent * level) + len(one_line) <= LINE_WIDTH or not args:
        return [indent * level + one_line]
    inner = [f"{indent * (level + 1)}{arg}," for arg in args]
    return [f"{indent * level}{func}(", *inner, f"{indent * level})"]


def _statement_code(wanted: NewStatement, *, indent: str, newline: str) -> str:
    if wanted.kind == "assign":
        lines = [f"{wanted.func} = {wanted.args[0]}"]
    elif wanted.guard is not None:
        lines = [f"if {wanted.guard}:", *_call_lines(wanted.func, wanted.args, 1, indent)]
    else:
        lines = _call_lines(wanted.func, wanted.args, 0, indent)
    return newline.join(lines) + newline


def _statement_node(
    module: cst.Module, wanted: NewStatement, blank_lines: int
) -> cst.BaseStatement:
    config = module.config_for_parsing
    code = _statement_code(wanted, indent=module.default_indent, newline=module.default_newline)
    node = cst.parse_statement(code, config=config)
    leading = [cst.EmptyLine(indent=False) for _ in range(blank_lines)]  # no trailing spaces
    if wanted.comment:
        comment = " ".join(wanted.comment.split())
        leading.append(cst.EmptyLine(comment=cst.Comment(f"# {comment}")))
    return node.with_changes(leading_lines=leading)


# --- imports --------------------------------------------------------------------------------


def _resolve(node: cst.ImportFrom, package: str) -> str:
    """Return the absolute module of ``from <module> import ...`` in ``package``."""
    module = _module_name(node.module)
    if not node.relative:
        return module
    parts = package.split(".")
    parts = parts[: len(parts) - (len(node.relative) - 1)]
    return ".".join([*parts, module] if module else parts)


def imports_binding(node: cst.CSTNode, wanted: ImportName, package: str) -> bool:
    """Whether the import statement ``node`` binds ``wanted.bound`` to ``wanted``'s object."""
    names = (wanted.alias,) if wanted.alias else (None, wanted.name)
    if isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
        if _resolve(node, package) not in same_object_modules(wanted):
            return False
        return any(
            dotted_name(a.name) == wanted.name and _bound_name(a) in names for a in node.names
        )
    if isinstance(node, cst.Import) and not wanted.module:
        return any(
            dotted_name(a.name) == wanted.name and _bound_name(a) == (wanted.alias or None)
            for a in node.names
        )
    return False


def _missing_imports(
    parsed: _Parsed, origin: str, package: str, wanted: Iterable[ImportName]
) -> list[ImportName]:
    """Return the imports to add; refuse a name the module binds to something else."""
    missing: list[ImportName] = []
    for item in dict.fromkeys(wanted):
        assignments = list(parsed.scope.assignments[item.bound])
        nodes = [getattr(a, "node", None) for a in assignments]
        if any(n is not None and imports_binding(n, item, package) for n in nodes):
            continue
        if assignments:
            node = next((n for n in nodes if n is not None and n in parsed.positions), None)
            where = f" (line {parsed.line(node)})" if node is not None else ""
            msg = (
                f"{origin} already uses the name '{item.bound}'{where}, which scaffold needs "
                f"for '{item}'"
            )
            raise UnsafeAppError(msg, hint="rename yours, then run again")
        missing.append(item)
    return missing


# --- assembling -----------------------------------------------------------------------------


# The line :mod:`scaffold.edit.factory` puts above a factory's body lifted out to be edited as
# a module: below it, a def is nested, so one blank line follows it, not two.
FACTORY_SENTINEL = "__scaffold_factory_body__ = None"


def _blank_lines_before(
    previous: cst.BaseStatement, *, previous_is_ours: bool, nested: bool = False
) -> int:
    if isinstance(previous, cst.FunctionDef | cst.ClassDef):
        return 1 if nested else 2
    return 0 if previous_is_ours else 1


def _assemble(
    module: cst.Module,
    body: list[cst.BaseStatement],
    placement: _Placement,
) -> list[cst.BaseStatement]:
    after: dict[int, list[cst.BaseStatement]] = {}
    nested = any(module.code_for_node(s).strip() == FACTORY_SENTINEL for s in body)
    for index, statements in placement.inserted.items():
        blank = _blank_lines_before(
            body[index], previous_is_ours=index in placement.ours, nested=nested
        )
        following = index + 1
        if (
            following in placement.exact
            and following < len(body)
            and _blank_prefix(body[following])
        ):
            # Inserted above scaffold's own statement: take over the blank lines above it, as
            # if both had come in one run (and as taking this one out gives them back). Not
            # above an owner's statement kept for the same purpose: its blank lines are its own.
            prefix = _blank_prefix(body[following])
            blank = len(prefix)
            rest = list(leading_lines(body[following]))[blank:]
            body[following] = body[following].with_changes(leading_lines=rest)
        nodes = [
            _statement_node(module, statement, blank if position == 0 else 0)
            for position, statement in enumerate(statements)
        ]
        after.setdefault(index, []).extend(nodes)
    new_body: list[cst.BaseStatement] = list(after.get(-1, []))
    for index, statement in enumerate(body):
        new_body += [statement, *after.get(index, [])]
    return new_body


# --- revising: taking out, or replacing, what scaffold added --------------------------------


def revise_app_module(
    text: str, *, origin: str, app: str, package: str, revision: Revision
) -> RevisionResult:
    """Take out or replace the statements and keywords scaffold added, where still unchanged.

    A statement or keyword is only touched when it is, syntax-tree for syntax-tree, what
    scaffold inserted; one the owner changed stays, with a note. Imports scaffold added go when
    nothing in the module reads their name any more.
    """
    parsed = _Parsed.of(parse(text, origin))
    call = _the_app(parsed, origin, app)
    result = RevisionResult(code=text)
    body: list[cst.BaseStatement] = list(parsed.module.body)
    app_index = next(i for i, s in enumerate(body) if s is parsed.top_statement(call))
    new_call = _revise_keywords(parsed, call, origin, revision.keywords, result)
    body[app_index] = _replace_call(body[app_index], call, new_call)
    body, orphans = _revise_statements(parsed, body, origin, app, revision=revision, result=result)
    module = parsed.module.with_changes(body=body)
    if orphans:  # the owner's comments above a removed last statement stay, at the end
        module = module.with_changes(footer=[*orphans, *module.footer])
    if revision.imports:
        module = _drop_unused_imports(module, origin, package, revision.imports)
    if module.code != text:
        check_compiles(text, module.code, origin)
        result.code = module.code
    return result


def _revise_keywords(
    parsed: _Parsed,
    call: cst.Call,
    origin: str,
    changes: Sequence[tuple[AppKeyword, AppKeyword | None]],
    result: RevisionResult,
) -> cst.Call:
    new_call = call
    for old, new in changes:
        existing = _keyword(new_call, old.name)
        if existing is None:
            continue  # the owner took it out: nothing to take out or update
        code = parsed.module.code_for_node(existing.value)
        if new is not None and _same_code(code, new.value):
            continue
        if not _same_code(code, old.value):
            result.kept.add(f"keyword:{old.name}")
            what = "take it out" if new is None else f"change it to {old.name}={new.value}"
            result.notes.append(
                f"{origin} (line {parsed.line(call)}): kept your {old.name}={code.strip()}: "
                f"the '{old.blueprint}' blueprint set {old.name}={old.value}, so scaffold did "
                f"not {what}"
            )
            continue
        args = list(new_call.args)
        index = args.index(existing)
        if new is None:
            new_call = new_call.with_changes(args=_without_argument(args, index))
        else:
            args[index] = existing.with_changes(value=cst.parse_expression(new.value))
            new_call = new_call.with_changes(args=args)
    return new_call


def _without_argument(args: list[cst.Arg], index: int) -> list[cst.Arg]:
    """Drop an argument; the last one's comma and spacing go back to the one before it."""
    removed = args.pop(index)
    if index == len(args) and args:
        args[-1] = args[-1].with_changes(
            comma=removed.comma, whitespace_after_arg=removed.whitespace_after_arg
        )
    return args


def _revise_statements(
    parsed: _Parsed,
    body: list[cst.BaseStatement],
    origin: str,
    app: str,
    *,
    revision: Revision,
    result: RevisionResult,
) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """Revise scaffold's statements; return the body and owner comments left with no home."""
    module = parsed.module
    dumps = [_dump(module.code_for_node(statement)) for statement in body]
    removed: dict[int, NewStatement] = {}
    for old, new in revision.statements:
        if new is not None and _wanted_dump(new) in dumps:
            continue  # already as scaffold wants it now
        index = _index_of(dumps, _wanted_dump(old), removed)
        if index is None:
            _note_kept(parsed, body, origin=origin, app=app, change=(old, new), result=result)
        elif new is None:
            removed[index] = old
        else:
            body[index] = _replacement(module, body[index], old, new)
            dumps[index] = _wanted_dump(new)
    staying = {_wanted_dump(statement) for statement in revision.staying}
    return _without_statements(body, removed, [dump in staying for dump in dumps])


def _wanted_dump(wanted: NewStatement) -> str | None:
    return _dump(_statement_code(wanted, indent="    ", newline="\n"))


def _index_of(dumps: list[str | None], wanted: str | None, taken: Collection[int]) -> int | None:
    return next(
        (i for i, dump in enumerate(dumps) if wanted and dump == wanted and i not in taken), None
    )


def _note_kept(
    parsed: _Parsed,
    body: list[cst.BaseStatement],
    *,
    origin: str,
    app: str,
    change: tuple[NewStatement, NewStatement | None],
    result: RevisionResult,
) -> None:
    """Note the owner's changed version of a statement scaffold would take out or update."""
    old, new = change
    for statement in body:
        reason = _same_purpose(statement, app, old)
        if reason is None:
            continue
        result.kept.add(statement_identity(old))
        what = "take it out" if new is None else "update it to the blueprint's new version"
        result.notes.append(
            f"{origin} (line {parsed.line(statement)}): kept your statement that {reason}: you "
            f"changed it since the '{old.blueprint}' blueprint added it, so scaffold did not "
            f"{what}"
        )
        return


def _comment_line(comment: str) -> str:
    return f"# {' '.join(comment.split())}"


def _comment_run(lines: Sequence[cst.EmptyLine], comment: str) -> range:
    """Return where ``comment`` is among ``lines``: one line, or several it was wrapped into.

    A comment that outgrew the owner's width was wrapped (:mod:`scaffold.edit.layout`), so
    scaffold's comment is any run of comment lines whose words are the comment's words.
    """
    wanted = comment.split()
    for start in range(len(lines)):
        words: list[str] = []
        for end in range(start, len(lines)):
            text = lines[end].comment
            if text is None:
                break
            words += text.value.removeprefix("#").split()
            if words == wanted:
                return range(start, end + 1)
            if words != wanted[: len(words)]:
                break
    return range(0)


def _replacement(
    module: cst.Module, statement: cst.BaseStatement, old: NewStatement, new: NewStatement
) -> cst.BaseStatement:
    """Return ``new``'s statement with ``statement``'s blank lines and (updated) comment."""
    leading = list(leading_lines(statement))
    ours = _comment_run(leading, old.comment) if old.comment else range(0)
    if ours:
        updated = [
            leading[ours.start].with_changes(comment=cst.Comment(_comment_line(new.comment)))
        ]
        leading[ours.start : ours.stop] = updated if new.comment else []
    node = _statement_node(module, replace(new, comment=""), 0)
    return node.with_changes(leading_lines=leading)


def _without_statements(
    body: list[cst.BaseStatement], removed: dict[int, NewStatement], scaffolds: list[bool]
) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """Drop statements; the blank lines above a dropped one go to scaffold's next one.

    Comments above a dropped statement that are not scaffold's own are the owner's: they move
    to the next statement that stays (or, with none left, are returned to end the module).
    """
    kept: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []
    owners: list[cst.EmptyLine] = []
    for index, statement in enumerate(body):
        if index in removed:
            carried = carried or _blank_prefix(statement)
            owners += _owner_comments(statement, removed[index])
            continue
        if carried and scaffolds[index] and not _blank_prefix(statement):
            statement = statement.with_changes(  # noqa: PLW2901
                leading_lines=[*carried, *leading_lines(statement)]
            )
        if owners:
            statement = statement.with_changes(  # noqa: PLW2901
                leading_lines=[*owners, *leading_lines(statement)]
            )
        carried, owners = [], []
        kept.append(statement)
    return kept, owners


def _owner_comments(statement: cst.BaseStatement, inserted: NewStatement) -> list[cst.EmptyLine]:
    """Return the comment lines above ``statement`` that scaffold did not write."""
    lines = list(leading_lines(statement))
    ours = _comment_run(lines, inserted.comment) if inserted.comment else range(0)
    return [
        line for index, line in enumerate(lines) if line.comment is not None and index not in ours
    ]


def _blank_prefix(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    lines = list(leading_lines(statement))
    count = next((i for i, line in enumerate(lines) if line.comment is not None), len(lines))
    return lines[:count]


def _drop_unused_imports(
    module: cst.Module, origin: str, package: str, imports: Sequence[ImportName]
) -> cst.Module:
    parsed = _Parsed.of(parse(module.code, origin))

    def unused(name: str) -> bool:
        return not any(assignment.references for assignment in parsed.scope.assignments[name])

    body = remove_imports(list(parsed.module.body), imports, package=package, unused=unused)
    return parsed.module.with_changes(body=body)
