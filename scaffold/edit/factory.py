"""Edit apps built in a factory function, as scaffold builds its own.

A module-level ``app = create_app()``, where::

    def create_app() -> FastAPI:
        app = FastAPI(...)
        ...
        return app

is how scaffold builds its apps and how many owners build theirs. The module-level edits of
:mod:`scaffold.cst_edit` (keywords of ``FastAPI(...)``, statements on the app after the last one
that uses it, imports in the owner's groups) apply to the factory's body as they apply to a
module: the body is lifted out, below the module's import block and a sentinel line, edited as a
module (statements land before ``return app``), and put back into the function; the import
block goes back to the top of the module. Nothing else of the module is touched.

Followed: a module-level ``NAME = FACTORY(...)`` where ``FACTORY`` is a function of the same
module whose body binds ``INNER = FastAPI(...)`` as one of its own statements and ends with
``return INNER``. Anything else keeps the reason :func:`scaffold.cst_edit.find_apps` gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from scaffold.cst_edit import (
    FACTORY_SENTINEL,
    EditResult,
    FoundApp,
    RevisionResult,
    UnsafeAppError,
    check_compiles,
    edit_app_module,
    find_apps,
    parse,
    revise_app_module,
)
from scaffold.edit.python_nodes import imports_end, leading_lines

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from scaffold.cst_edit import AppEdits, AppKeyword, NewStatement, Revision

_SENTINEL = FACTORY_SENTINEL
_Result = TypeVar("_Result", EditResult, RevisionResult)


@dataclass(frozen=True)
class Factory:
    """The function that builds the app, and the name its body gives the app."""

    index: int  # in the module's body
    function: cst.FunctionDef
    inner: str
    imports_end: int  # the module's leading docstring and imports end here


def _fastapi_name(statement: cst.BaseStatement) -> str | None:
    """``INNER`` when the statement is ``INNER = FastAPI(...)`` (or ``fastapi.FastAPI``)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target, value = small.targets[0].target, small.value
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        target, value = small.target, small.value
    else:
        return None
    if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
        return None
    func = value.func
    called = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
    return target.value if called == "FastAPI" else None


def _returns(statement: cst.BaseStatement, name: str) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Return)
        and isinstance(statement.body[0].value, cst.Name)
        and statement.body[0].value.value == name
    )


def _module_calls(module: cst.Module) -> dict[str, str]:
    """Return ``NAME -> FUNC`` for each module-level ``NAME = FUNC(...)``."""
    calls: dict[str, str] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        small = statement.body[0]
        if (
            isinstance(small, cst.Assign)
            and len(small.targets) == 1
            and isinstance(small.targets[0].target, cst.Name)
            and isinstance(small.value, cst.Call)
            and isinstance(small.value.func, cst.Name)
        ):
            calls[small.targets[0].target.value] = small.value.func.value
    return calls


def find_factory(module: cst.Module, app: str) -> Factory | None:
    """Return the factory building the module-level ``app``, when scaffold can follow it.

    ``app`` may name the factory itself, ``create_app()``: one another module calls.
    """
    name = app.removesuffix("()") if app.endswith("()") else _module_calls(module).get(app)
    if name is None:
        return None
    found = _factory_or_problem(module, name)
    return found if isinstance(found, Factory) else None


def _factory_or_problem(module: cst.Module, name: str) -> Factory | str | None:
    """Return the function ``name`` as a factory scaffold follows, else why not ("is async").

    None: the module defines no such function.
    """
    for index, statement in enumerate(module.body):
        if not isinstance(statement, cst.FunctionDef) or statement.name.value != name:
            continue
        if statement.asynchronous is not None:
            return "is async, and scaffold follows a plain def that returns the app"
        if not isinstance(statement.body, cst.IndentedBlock) or not statement.body.body:
            return "has no body of its own lines"
        body = statement.body.body
        inner = next((n for s in body if (n := _fastapi_name(s)) is not None), None)
        if inner is None:
            return (
                "does not create the app as NAME = FastAPI(...) among its own "
                "statements (it does so inside a block, or not on its own)"
            )
        if not _returns(body[-1], inner):
            return (
                f"does not end with return {inner} at its own level (its last "
                f"statement is {_described(body[-1])}); scaffold adds its lines just before "
                f"that final return, so end the function with return {inner}"
            )
        end = imports_end(module.body)
        if end > index:
            return "is defined above the module's last import"
        return Factory(index, statement, inner, end)
    return None


def _described(statement: cst.BaseStatement) -> str:
    kinds = {
        cst.If: "an if block",
        cst.Try: "a try block",
        cst.With: "a with block",
        cst.For: "a for loop",
        cst.While: "a while loop",
    }
    if type(statement) in kinds:
        return kinds[type(statement)]
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        code = cst.Module(body=[statement]).code.strip().splitlines()[0]
        return f"'{code[:60]}'"
    return "a compound statement"


def find_apps_followed(
    module: cst.Module, called_elsewhere: Collection[str] = ()
) -> list[FoundApp]:
    """:func:`~scaffold.cst_edit.find_apps`, with apps built by a factory it can follow.

    ``called_elsewhere``: functions another module of the project imports and calls as
    ``app = create_app()``; such a factory here is the app, named ``create_app()``.
    """
    followed = [name for name in _module_calls(module) if find_factory(module, name) is not None]
    followed += [
        f"{name}()"
        for name in called_elsewhere
        if name not in _module_calls(module).values() and find_factory(module, f"{name}()")
    ]
    found = find_apps(module)
    if followed:
        return [
            replace(app, name=followed[0], problem=None)
            if app.name is None and app.problem and "inside the function" in app.problem
            else app
            for app in found
        ]
    # A factory the project calls but scaffold cannot follow: say what stops it, precisely.
    called = {*_module_calls(module).values(), *called_elsewhere}
    problems = [
        f"the app is built by {name}(), which {problem}"
        for name in sorted(called)
        if isinstance(problem := _factory_or_problem(module, name), str)
    ]
    return [
        replace(app, problem=problems[0])
        if problems and app.name is None and app.problem and "inside the function" in app.problem
        else app
        for app in found
    ]


def _lifted(module: cst.Module, factory: Factory) -> str:
    """Return the module's imports, the sentinel and the factory's body as one module's code."""
    sentinel = cst.parse_statement(_SENTINEL + module.default_newline)
    body = [*module.body[: factory.imports_end], sentinel, *factory.function.body.body]
    return module.with_changes(body=body, footer=[]).code


def _blank_unindented(statement: cst.BaseStatement) -> cst.BaseStatement:
    """Keep blank lines empty inside the function.

    A blank line parsed at module level is "indented" by nothing; put back inside the function
    it would take the body's indentation (trailing whitespace).
    """
    lines = [
        line.with_changes(indent=False)
        if line.comment is None and not line.whitespace.value
        else line
        for line in leading_lines(statement)
    ]
    return statement.with_changes(leading_lines=lines)


def _put_back(module: cst.Module, factory: Factory, code: str, origin: str) -> str:
    lifted = cst.parse_module(code)
    split = next(
        i for i, s in enumerate(lifted.body) if module.code_for_node(s).strip() == _SENTINEL
    )
    block = factory.function.body
    assert isinstance(block, cst.IndentedBlock)  # noqa: S101  # find_factory checked it
    function = factory.function.with_changes(
        body=block.with_changes(body=[_blank_unindented(s) for s in lifted.body[split + 1 :]])
    )
    body = [
        *lifted.body[:split],
        *module.body[factory.imports_end : factory.index],
        function,
        *module.body[factory.index + 1 :],
    ]
    result = module.with_changes(body=body).code
    check_compiles(module.code, result, origin)
    return result


def _renamed(statement: NewStatement, app: str, inner: str) -> NewStatement:
    """Return the statement on the factory's own name for the app (``application.mount``).

    An argument naming the app, ``wrap_lifespan(app.router.lifespan_context)``, follows it.
    """
    if inner == app or not statement.func.startswith(f"{app}."):
        return statement
    prefix = f"{app}."
    args = tuple(
        inner + arg[len(app) :]
        if arg.startswith(prefix)
        else arg.replace(f"({prefix}", f"({inner}.")
        for arg in statement.args
    )
    return replace(statement, func=inner + statement.func[len(app) :], args=args)


def _renamed_edits(edits: AppEdits, app: str, inner: str) -> AppEdits:
    return replace(edits, statements=tuple(_renamed(s, app, inner) for s in edits.statements))


_LINE = re.compile(r"\bline (\d+)\b")


def _line_mapper(module: cst.Module, factory: Factory, lifted: str) -> Callable[[str], str]:
    """Return what rewrites 'line N' of the lifted module as the owner's module's line.

    The import block has the same lines in both; the factory's body, below the sentinel, is
    the same lines shifted (and indented), so one offset maps them.
    """
    head = module.with_changes(body=list(module.body[: factory.imports_end]), footer=[]).code
    sentinel_line = head.count("\n") + 1
    first = factory.function.body.body[0]
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    lifted_module = cst.parse_module(lifted)
    lifted_positions = MetadataWrapper(lifted_module, unsafe_skip_copy=True).resolve(
        PositionProvider
    )
    lifted_first = lifted_module.body[factory.imports_end + 1]
    offset = positions[first].start.line - lifted_positions[lifted_first].start.line

    def mapped(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f"line {number + offset if number > sentinel_line else number}"

    return lambda message: _LINE.sub(mapped, message)


def _in_owners_lines(mapper: Callable[[str], str], run: Callable[[], _Result]) -> _Result:
    """Run an edit of the lifted module; say its lines as the owner's module has them."""
    try:
        result = run()
    except UnsafeAppError as error:
        hint = mapper(error.hint) if error.hint else None
        raise UnsafeAppError(mapper(error.message), hint=hint) from None
    result.notes = [mapper(note) for note in result.notes]
    return result


def edit_app(
    text: str,
    *,
    origin: str,
    app: str,
    package: str,
    edits: AppEdits,
    before_keyword: Callable[[AppKeyword], None] | None = None,
) -> EditResult:
    """:func:`~scaffold.cst_edit.edit_app_module`, inside the factory when there is one."""
    module = parse(text, origin)
    factory = find_factory(module, app)
    if factory is None:
        return edit_app_module(
            text,
            origin=origin,
            app=app,
            package=package,
            edits=edits,
            before_keyword=before_keyword,
        )
    lifted = _lifted(module, factory)
    result = _in_owners_lines(
        _line_mapper(module, factory, lifted),
        lambda: edit_app_module(
            lifted,
            origin=origin,
            app=factory.inner,
            package=package,
            edits=_renamed_edits(edits, app, factory.inner),
            before_keyword=before_keyword,
        ),
    )
    result.code = _put_back(module, factory, result.code, origin) if result.code != lifted else text
    return result


def revise_app(
    text: str, *, origin: str, app: str, package: str, revision: Revision
) -> RevisionResult:
    """:func:`~scaffold.cst_edit.revise_app_module`, inside the factory when there is one."""
    module = parse(text, origin)
    factory = find_factory(module, app)
    if factory is None:
        return revise_app_module(text, origin=origin, app=app, package=package, revision=revision)
    lifted = _lifted(module, factory)
    revision = replace(
        revision,
        statements=tuple(
            (
                _renamed(old, app, factory.inner),
                None if new is None else _renamed(new, app, factory.inner),
            )
            for old, new in revision.statements
        ),
        staying=tuple(_renamed(s, app, factory.inner) for s in revision.staying),
    )
    result = _in_owners_lines(
        _line_mapper(module, factory, lifted),
        lambda: revise_app_module(
            lifted, origin=origin, app=factory.inner, package=package, revision=revision
        ),
    )
    if result.code != lifted:
        result.code = _put_back(module, factory, result.code, origin)
    else:
        result.code = text
    return result
