"""Pytest fixtures for an adopted project: blueprints' ``fixtures`` contributions.

A generated project's ``tests/conftest.py`` is base's template around ``create_app()``; an
adopted project has the owner's app instead. So, when the selection contributes fixtures (the
``tests`` blueprint does):

* without a ``tests/conftest.py`` of the owner's, scaffold writes its own (and an empty
  ``tests/__init__.py`` when there is no ``tests`` folder yet): ``app`` (the owner's app
  object), ``client`` (a ``TestClient`` that runs its lifespan) and the contributed fixtures.
  It is a file scaffold owns: it is in ``base.zip`` and three-way merged like the others;
* in the owner's ``tests/conftest.py``, each contributed fixture missing at module level is
  appended as a function (``import pytest`` and its imports added in the owner's groups, see
  :mod:`scaffold.adopted_imports`); a fixture of the same name that the owner defines stays.
  A name the module binds to something else, a ``from x import *`` (which hides what is
  bound), or a file libcst cannot parse refuses the change, saying why.

What scaffold merged into the owner's file is remembered (:mod:`scaffold.adopted_memory`), so
that ``remove`` takes a fixture out again, and ``update`` replaces it, only while it is exactly
what scaffold wrote; the imports it added go once nothing reads them.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, NoReturn

import libcst as cst

from scaffold.adopted_imports import add_imports, binds, import_block, remove_imports
from scaffold.adopted_memory import Fixture
from scaffold.cst_edit import UnsafeAppError, parse
from scaffold.edit.names import ImportName

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from scaffold.adopted_memory import Memory
    from scaffold.project import Project
    from scaffold.record import Adopted

CONFTEST = "tests/conftest.py"
TESTS_INIT = "tests/__init__.py"
_PYTEST = ImportName("", "pytest")


@dataclass
class ConftestChange:
    """The conftest scaffold owns (``tree``) or its edit of the owner's, and what to remember."""

    tree: dict[str, bytes] = field(default_factory=dict)
    edited: bytes | None = None  # the owner's tests/conftest.py, edited
    notes: list[str] = field(default_factory=list)
    fixtures: tuple[Fixture, ...] = ()  # merged into the owner's conftest
    imports: tuple[ImportName, ...] = ()  # added to the owner's conftest


def fixture_code(fixture: Any) -> str:
    """Render a ``fixtures`` contribution as base's conftest template does."""
    scope = "" if fixture.scope == "function" else f'(scope="{fixture.scope}")'
    body = textwrap.indent(textwrap.dedent(fixture.body).strip("\n"), "    ")
    define = "async def" if fixture.asynchronous else "def"
    return (
        f"@pytest.fixture{scope}\n"
        f"{define} {fixture.name}({', '.join(fixture.args)}) -> {fixture.returns}:\n"
        f'    """{fixture.doc}"""\n{body}\n'
    )


def _imports(fixture: Any) -> list[ImportName]:
    return [ImportName(*ref.partition(":")[::2]) for ref in fixture.imports]


def plan_conftest(
    project: Project,
    adopted: Adopted,
    contributed: Sequence[Any],
    *,
    base: dict[str, bytes],
    previous: Memory,
) -> ConftestChange:
    """Decide what the selection's fixtures do to the tests folder; nothing is written."""
    owners = project.read(CONFTEST)
    if CONFTEST in base or owners is None:
        return ConftestChange(tree=_scaffolds_files(project, adopted, contributed, base))
    if not contributed and not previous.fixtures:
        return ConftestChange()  # the owner's conftest is none of scaffold's business
    wanted = tuple(
        Fixture(owner, fixture.name, fixture_code(fixture)) for owner, fixture in contributed
    )
    needed = [_PYTEST, *(i for _, f in contributed for i in _imports(f))] if wanted else []
    return _edit_owners(owners, wanted, needed, adopted.package, previous)


# --- scaffold's own conftest ----------------------------------------------------------------


def _scaffolds_files(
    project: Project, adopted: Adopted, contributed: Sequence[Any], base: dict[str, bytes]
) -> dict[str, bytes]:
    others = [
        path
        for path in (project.root / "tests").glob("*")
        if path.name not in {"conftest.py", "__init__.py", "__pycache__"}
    ]
    tree: dict[str, bytes] = {}
    if contributed:
        tree[CONFTEST] = render_conftest(adopted, [f for _, f in contributed]).encode("utf-8")
    # A package marker only where scaffold made the folder: in the owner's, it would change
    # how their tests import; and it stays while the owner keeps tests of their own there.
    folder_is_scaffolds = TESTS_INIT in base or not (project.root / "tests").exists()
    if folder_is_scaffolds and (tree or (TESTS_INIT in base and others)):
        tree[TESTS_INIT] = base.get(TESTS_INIT, b"")
    return tree


def _app_import(adopted: Adopted) -> ImportName:
    """``import <package>.<module> as app_module``: no clash with the fixtures' names."""
    stem = PurePosixPath(adopted.module).stem
    dotted = adopted.package if stem == "__init__" else f"{adopted.package}.{stem}"
    return ImportName("", f"{dotted} as app_module")


def render_conftest(adopted: Adopted, fixtures: Sequence[Any]) -> str:
    """Render scaffold's ``tests/conftest.py`` around the owner's app."""
    imports = [
        ImportName("collections.abc", "Iterator"),
        _PYTEST,
        ImportName("fastapi", "FastAPI"),
        ImportName("fastapi.testclient", "TestClient"),
        _app_import(adopted),
        *(item for fixture in fixtures for item in _imports(fixture)),
    ]
    frame = f'''\
@pytest.fixture
def app() -> FastAPI:
    """The application, as {adopted.module} builds it."""
    return app_module.{adopted.app}


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client; entering it runs the app's lifespan (startup and shutdown)."""
    with TestClient(app) as test_client:
        yield test_client
'''
    parts = [
        f'"""Fixtures shared by the test suite, around the app in {adopted.module}."""\n',
        import_block(imports, adopted.package),
        frame,
        *(fixture_code(fixture) for fixture in fixtures),
    ]
    return "\n\n".join(part.rstrip("\n") for part in parts[:2]) + "\n\n\n" + "\n\n".join(parts[2:])


# --- the owner's conftest -------------------------------------------------------------------


def _edit_owners(
    text: bytes,
    wanted: tuple[Fixture, ...],
    needed: list[ImportName],
    package: str,
    previous: Memory,
) -> ConftestChange:
    source = _decode(text)
    module = parse(source, CONFTEST)
    _refuse_star(module)
    change = ConftestChange()
    body = _retire(module, list(module.body), wanted, previous, change)
    body = _drop_unused(module.with_changes(body=body), previous, needed, package)
    bound = _bound_names(body)
    _refuse_clashes(body, bound, wanted, needed, package)
    missing = [f for f in wanted if f.name not in bound]
    new_imports = [item for item in dict.fromkeys(needed) if item.name not in bound]
    if missing:
        body = _append(module, body, missing)
        body = add_imports(module, body, new_imports, package=package, limit=_limit(body))
    else:
        new_imports = []
    code = module.with_changes(body=body).code
    change.edited = code.encode("utf-8") if code != source else text
    now = {fixture.name: fixture for fixture in wanted}
    stayed = (now[f.name] for f in previous.fixtures if f.name in now and f.name in bound)
    change.fixtures = (*stayed, *missing)
    change.imports = (*(i for i in previous.fixture_imports if i in needed), *new_imports)
    return change


def _refuse_clashes(
    body: list[cst.BaseStatement],
    bound: dict[str, str],
    wanted: Sequence[Fixture],
    needed: Sequence[ImportName],
    package: str,
) -> None:
    """Refuse a fixture or import whose name the module binds to something else."""
    for fixture in wanted:
        if bound.get(fixture.name, "function") != "function":
            _refuse(body, fixture.name, f"the fixture '{fixture.name}'")
    for item in needed:
        if item.name in bound and not any(binds(s, item, package) for s in body):
            _refuse(body, item.name, f"'{item}'")


def _refuse(body: list[cst.BaseStatement], name: str, what: str) -> NoReturn:
    statement = next(s for s in body if name in _top_names(s))
    line = cst.Module([]).code_for_node(statement).strip().splitlines()[-1].strip()
    kind = _top_names(statement)[name]
    msg = f"{CONFTEST} already binds '{name}' ({kind}: {line}), so scaffold cannot add {what} there"
    raise UnsafeAppError(msg, hint="rename yours, or leave the 'tests' blueprint out")


def _decode(text: bytes) -> str:
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        msg = f"{CONFTEST} is not UTF-8 text, so scaffold cannot add fixtures to it"
        raise UnsafeAppError(msg) from None


def _refuse_star(module: cst.Module) -> None:
    for statement in module.body:
        smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
        for small in smalls:
            if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
                name = cst.Module([]).code_for_node(small.module) if small.module else "."
                msg = (
                    f"{CONFTEST} imports * from {name}, so scaffold cannot tell which names "
                    "are taken and did not add fixtures to it"
                )
                raise UnsafeAppError(msg, hint="import the names you use by name, then run again")


def _top_names(statement: cst.BaseStatement) -> dict[str, str]:
    """Return the names a top-level statement binds, each with what binds it."""
    if isinstance(statement, cst.FunctionDef):
        return {statement.name.value: "function"}
    if isinstance(statement, cst.ClassDef):
        return {statement.name.value: "class"}
    names: dict[str, str] = {}
    code = cst.Module([]).code_for_node(statement)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.alias):
            bound = node.asname or node.name.partition(".")[0]
            names[bound] = "import"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names[node.id] = "assignment"
    return names


def _bound_names(body: Iterable[cst.BaseStatement]) -> dict[str, str]:
    bound: dict[str, str] = {}
    for statement in body:
        bound.update(_top_names(statement))
    return bound


def _dump(code: str) -> str | None:
    try:
        return ast.dump(ast.parse(code.strip()))
    except SyntaxError:
        return None


def _limit(body: Sequence[cst.BaseStatement]) -> int:
    """Return the index of the first definition: imports above it are the import block."""
    return next(
        (i for i, s in enumerate(body) if isinstance(s, cst.FunctionDef | cst.ClassDef)),
        len(body),
    )


def _append(
    module: cst.Module, body: list[cst.BaseStatement], fixtures: Sequence[Fixture]
) -> list[cst.BaseStatement]:
    nodes: list[cst.BaseStatement] = []
    for fixture in fixtures:
        node = cst.parse_statement(fixture.code, config=module.config_for_parsing)
        blank = [cst.EmptyLine(), cst.EmptyLine()] if body or nodes else []
        nodes.append(node.with_changes(leading_lines=blank))
    return [*body, *nodes]


def _retire(
    module: cst.Module,
    body: list[cst.BaseStatement],
    wanted: tuple[Fixture, ...],
    previous: Memory,
    change: ConftestChange,
) -> list[cst.BaseStatement]:
    """Take out (or update) the fixtures scaffold merged in that are still as it wrote them."""
    now = {fixture.name: fixture for fixture in wanted}
    for old in previous.fixtures:
        new = now.get(old.name)
        if new is not None and new.code == old.code:
            continue
        for index, statement in enumerate(body):
            if not isinstance(statement, cst.FunctionDef) or statement.name.value != old.name:
                continue
            if _dump(module.code_for_node(statement)) != _dump(old.code):
                what = "take it out" if new is None else "update it"
                change.notes.append(
                    f"{CONFTEST}: kept your fixture '{old.name}': you changed it since the "
                    f"'{old.blueprint}' blueprint added it, so scaffold did not {what}"
                )
            elif new is None:
                del body[index]
            else:
                node = cst.parse_statement(new.code, config=module.config_for_parsing)
                body[index] = node.with_changes(leading_lines=statement.leading_lines)
            break
    return body


def _drop_unused(
    module: cst.Module, previous: Memory, needed: list[ImportName], package: str
) -> list[cst.BaseStatement]:
    retired = [item for item in previous.fixture_imports if item not in needed]
    if not retired:
        return list(module.body)
    from libcst.metadata import MetadataWrapper, ScopeProvider

    wrapper = MetadataWrapper(module)
    scope = wrapper.resolve(ScopeProvider)[wrapper.module]
    assert scope is not None  # noqa: S101  # a module always has its global scope

    def unused(name: str) -> bool:
        return not any(assignment.references for assignment in scope.assignments[name])

    return remove_imports(list(wrapper.module.body), retired, package=package, unused=unused)
