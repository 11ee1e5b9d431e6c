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
import configparser
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, NoReturn

import libcst as cst

from scaffold.adopted_imports import add_imports, binds, import_block, remove_imports
from scaffold.adopted_memory import Fixture
from scaffold.cst_edit import UnsafeAppError, parse
from scaffold.edit.names import ImportName

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from scaffold.adopted_memory import Memory
    from scaffold.project import Project
    from scaffold.record import Adopted

TESTS = "tests"  # the tests folder when the project names none (see tests_folder)
CONFTEST = f"{TESTS}/conftest.py"
_PYTEST = ImportName("", "pytest")


@dataclass
class ConftestChange:
    """The conftest scaffold owns (``tree``) or its edit of the owner's, and what to remember."""

    path: str = CONFTEST  # the conftest's path in the project
    tree: dict[str, bytes] = field(default_factory=dict)
    edited: bytes | None = None  # the owner's conftest, edited
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
    folder: str = TESTS,
) -> ConftestChange:
    """Decide what the selection's fixtures do to the tests folder; nothing is written.

    ``folder``: the project's tests folder (:func:`tests_folder`).
    """
    path = f"{folder}/conftest.py"
    owners = project.read(path)
    if path in base or owners is None:
        tree = _scaffolds_files(project, adopted, contributed, base, folder)
        return ConftestChange(path=path, tree=tree)
    if not contributed and not previous.fixtures:
        return ConftestChange(path=path)  # the owner's conftest is none of scaffold's business
    wanted = tuple(
        Fixture(owner, fixture.name, fixture_code(fixture)) for owner, fixture in contributed
    )
    needed = [_PYTEST, *(i for _, f in contributed for i in _imports(f))] if wanted else []
    return _edit_owners(owners, wanted, needed, adopted.package, path=path, previous=previous)


# --- scaffold's own conftest ----------------------------------------------------------------


def _scaffolds_files(
    project: Project,
    adopted: Adopted,
    contributed: Sequence[Any],
    base: dict[str, bytes],
    folder: str,
) -> dict[str, bytes]:
    others = [
        path
        for path in (project.root / folder).glob("*")
        if path.name not in {"conftest.py", "__init__.py", "__pycache__"}
    ]
    tree: dict[str, bytes] = {}
    if contributed:
        content = render_conftest(adopted, [f for _, f in contributed]).encode("utf-8")
        tree[f"{folder}/conftest.py"] = content
    # A package marker only where scaffold made the folder: in the owner's, it would change
    # how their tests import; and it stays while the owner keeps tests of their own there.
    init = f"{folder}/__init__.py"
    folder_is_scaffolds = init in base or not (project.root / folder).exists()
    if folder_is_scaffolds and (tree or (init in base and others)):
        tree[init] = base.get(init, b"")
    return tree


_APP_UNDER_TEST = "app_under_test"  # no clash with the fixtures' names (app, client)


def _app_import(adopted: Adopted) -> ImportName:
    """``from <package>.<module> import <app> as app_under_test``.

    Not ``import <package>.<module> as app_module``: Python binds that to the package's
    attribute ``<module>``, which a package re-exporting its app (``from pkg.app import app``
    in ``pkg/__init__.py``) has rebound to the FastAPI object itself.
    """
    stem = PurePosixPath(adopted.module).stem
    dotted = adopted.package if stem == "__init__" else f"{adopted.package}.{stem}"
    return ImportName(dotted, f"{adopted.app.removesuffix('()')} as {_APP_UNDER_TEST}")


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
    return {_APP_UNDER_TEST}{"()" if adopted.app.endswith("()") else ""}


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
    *,
    path: str,
    previous: Memory,
) -> ConftestChange:
    source = _decode(path, text)
    module = parse(source, path)
    _refuse_star(path, module)
    change = ConftestChange(path=path)
    body = _retire(module, list(module.body), wanted, previous, change)
    body = _drop_unused(module.with_changes(body=body), previous, needed, package)
    bound = _bound_names(body)
    _refuse_clashes(body, bound, wanted, needed, package, path=path)
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
    *,
    path: str,
) -> None:
    """Refuse a fixture or import whose name the module binds to something else."""
    for fixture in wanted:
        if bound.get(fixture.name, "function") != "function":
            _refuse(path, body, fixture.name, f"the fixture '{fixture.name}'")
    for item in needed:
        if item.name in bound and not any(binds(s, item, package) for s in body):
            _refuse(path, body, item.name, f"'{item}'")


def _refuse(path: str, body: list[cst.BaseStatement], name: str, what: str) -> NoReturn:
    statement = next(s for s in body if name in _top_names(s))
    line = cst.Module([]).code_for_node(statement).strip().splitlines()[-1].strip()
    kind = _top_names(statement)[name]
    msg = f"{path} already binds '{name}' ({kind}: {line}), so scaffold cannot add {what} there"
    raise UnsafeAppError(msg, hint="rename yours, or leave the 'tests' blueprint out")


def _decode(path: str, text: bytes) -> str:
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        msg = f"{path} is not UTF-8 text, so scaffold cannot add fixtures to it"
        raise UnsafeAppError(msg) from None


def _refuse_star(path: str, module: cst.Module) -> None:
    for statement in module.body:
        smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
        for small in smalls:
            if isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar):
                name = cst.Module([]).code_for_node(small.module) if small.module else "."
                msg = (
                    f"{path} imports * from {name}, so scaffold cannot tell which names "
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
                    f"{change.path}: kept your fixture '{old.name}': you changed it since the "
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


# --- where the owner's tests are ------------------------------------------------------------

_SKIPPED_FOLDERS = {"node_modules", "site-packages", "__pycache__", "build", "dist", "venv"}


def tests_folder(project: Project) -> str:
    """Return the folder whose conftest the owner's tests see, relative to the project root.

    pytest's ``testpaths`` names it (``pytest.ini``, ``pyproject.toml``, ``tox.ini``,
    ``setup.cfg``, in pytest's order; the first entry that is a plain folder). Without it, a
    ``tests`` folder at the root; else the one ``tests`` folder with tests in it a level or two
    down (``app/tests``: a conftest at the root's ``tests/`` would not reach those tests);
    else ``tests``.
    """
    for entry in _testpaths(project.read):
        folder = _plain_folder(entry)
        if folder is not None:
            return folder
    if (project.root / TESTS).is_dir():
        return TESTS
    found = [
        folder
        for pattern in (f"*/{TESTS}", f"*/*/{TESTS}")
        for folder in sorted(project.root.glob(pattern))
        if folder.is_dir() and not folder.is_symlink() and _is_test_folder(project, folder)
    ]
    return found[0].relative_to(project.root).as_posix() if len(found) == 1 else TESTS


def _is_test_folder(project: Project, folder: Path) -> bool:
    parts = folder.relative_to(project.root).parts[:-1]
    if any(part.startswith(".") or part in _SKIPPED_FOLDERS for part in parts):
        return False
    return (folder / "conftest.py").is_file() or any(folder.glob("test_*.py"))


def _plain_folder(entry: str) -> str | None:
    """Return a ``testpaths`` entry as a folder path, or None (a glob, a file, outside, ``.``)."""
    path = PurePosixPath(entry.strip().replace("\\", "/"))
    if (
        not path.parts
        or path.is_absolute()
        or ".." in path.parts
        or any(char in entry for char in "*?[")
        or path.suffix == ".py"
    ):
        return None
    folder = path.as_posix()
    return None if folder == "." else folder


def _testpaths(read: Callable[[str], bytes | None]) -> list[str]:
    """Return pytest's ``testpaths`` from the first configuration file pytest would use."""
    ini = _ini_testpaths(read("pytest.ini"), "pytest")
    if ini is not None:
        return ini
    pyproject = read("pyproject.toml")
    if pyproject is not None:
        try:
            tool = tomllib.loads(pyproject.decode("utf-8")).get("tool", {})
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            tool = {}
        for table in (tool.get("pytest", {}).get("ini_options"), tool.get("pytest")):
            if isinstance(table, dict) and "testpaths" in table:
                value = table["testpaths"]
                items = value.split() if isinstance(value, str) else value
                return [item for item in items if isinstance(item, str)]
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        found = _ini_testpaths(read(name), section)
        if found is not None:
            return found
    return []


def _ini_testpaths(content: bytes | None, section: str) -> list[str] | None:
    """Return ``testpaths`` of ``[section]``; None when the file has no such section."""
    if content is None:
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(content.decode("utf-8"))
    except (UnicodeDecodeError, configparser.Error):
        return None
    if not parser.has_section(section):
        return None
    return parser.get(section, "testpaths", fallback="").split()
