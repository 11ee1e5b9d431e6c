"""Fixtures for the evolve suite: ``add``, ``remove``, ``update``, ``status`` and ``check``.

Every test works on a project generated with ``scaffold new`` in a temporary folder and changed
through the CLI (``-C DIR``), in process with typer's CliRunner or, where a real process
matters, in a subprocess. Pristine projects are generated once per session (per xdist worker)
and copied per test, so a test pays for a copy, not for a generation.

The cache, the terminal, ``cli``, ``cli_json``, ``error_line``, ``snapshot`` and throwaway
blueprints (``source``, here rewritten from scratch on every ``add``) come from tests/conftest.py.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.testing import Result

NAME = "evo-app"  # the generated project's name
PACKAGE = "evo_app"  # ... and its import package
STAGING_PREFIX = ".scaffold-staging-"
TOOL_TIMEOUT = 180  # seconds for ruff and the generated project's pytest

# Environment variables that would leak this run (xdist, coverage, our pytest) into a child.
_LEAKY_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "FORCE_COLOR")
_LEAKY_PREFIXES = ("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "COV_CORE_", "EVO_APP_")


# --------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------


def generate(
    cli: Callable[..., Result],
    destination: Path,
    blueprints: tuple[str, ...],
    *,
    options: tuple[str, ...] = (),
    sources: tuple[Path, ...] = (),
    name: str = NAME,
) -> Path:
    """Generate a project with ``scaffold new`` into ``destination/name``; return its folder."""
    args: list[object] = ["new", name, "--no-input", "-o", destination]
    for blueprint in blueprints or ("base",):
        args += ["-b", blueprint]
    for option in options:
        args += ["-O", option]
    for folder in sources:
        args += ["--source", folder]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return destination / name


@pytest.fixture(scope="session")
def pristine(
    tmp_path_factory: pytest.TempPathFactory, _private_cache: None, cli: Callable[..., Result]
) -> Callable[[tuple[str, ...]], Path]:
    """Return the pristine project for a set of built-in blueprints, generated once."""
    made: dict[tuple[str, ...], Path] = {}

    def get(blueprints: tuple[str, ...]) -> Path:
        key = tuple(sorted(blueprints))
        if key not in made:
            made[key] = generate(cli, tmp_path_factory.mktemp("pristine"), key)
        return made[key]

    return get


@pytest.fixture
def make_project(
    tmp_path: Path, pristine: Callable[[tuple[str, ...]], Path]
) -> Callable[..., Path]:
    """Copy a pristine project with these built-in blueprints into ``tmp_path``; return it."""
    count = 0

    def make(*blueprints: str) -> Path:
        nonlocal count
        count += 1
        target = tmp_path / f"work{count}" / NAME
        shutil.copytree(pristine(tuple(blueprints)), target)
        return target

    return make


@pytest.fixture
def new_project(cli: Callable[..., Result]) -> Callable[..., Path]:
    """The :func:`generate` helper (for projects from throwaway blueprint sources)."""
    return functools.partial(generate, cli)


def staging_leftovers(root: Path) -> list[str]:
    """Staging folders scaffold left anywhere under or beside ``root``."""
    found = [p for p in root.rglob(f"{STAGING_PREFIX}*")]
    found += [p for p in root.parent.glob(f"{STAGING_PREFIX}*")]
    return [str(p) for p in found]


@pytest.fixture
def leftovers() -> Callable[[Path], list[str]]:
    """The :func:`staging_leftovers` helper."""
    return staging_leftovers


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must occur exactly once) by ``new`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def edit() -> Callable[[Path, str, str], None]:
    """The :func:`edit_file` helper."""
    return edit_file


# --------------------------------------------------------------------------------------------
# Throwaway blueprints
# --------------------------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path: Path, make_source: Callable[..., Any]) -> Any:
    """An empty folder of blueprints in ``tmp_path`` (an absolute path); ``add`` rewrites one."""
    return make_source(tmp_path.resolve() / "blueprints", rewrite=True)


# --------------------------------------------------------------------------------------------
# The generated project's own tools
# --------------------------------------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """The environment of child processes, without what would leak this test run into them."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _LEAKY_ENV and not key.startswith(_LEAKY_PREFIXES)
    }
    env.update({"NO_COLOR": "1", "TERM": "dumb", "PYTHONDONTWRITEBYTECODE": "1"})
    env.update(extra)
    return env


def _ruff() -> str:
    beside = Path(sys.executable).parent / ("ruff.exe" if os.name == "nt" else "ruff")
    if beside.is_file():
        return str(beside)
    found = shutil.which("ruff")
    if found is None:  # pragma: no cover - ruff is a dependency of scaffold
        pytest.fail("ruff is not installed beside this Python nor on PATH")
    return found


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )


def assert_ruff_clean(root: Path) -> None:
    """Assert that ``ruff check`` and ``ruff format --check`` pass on the project."""
    for arguments in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        done = _run([_ruff(), *arguments], root)
        assert done.returncode == 0, (
            f"ruff {' '.join(arguments)} failed in {root}:\n{done.stdout}\n{done.stderr}"
        )


@pytest.fixture
def ruff_clean() -> Callable[[Path], None]:
    """The :func:`assert_ruff_clean` helper."""
    return assert_ruff_clean


def assert_project_tests_pass(root: Path) -> None:
    """Run the generated project's own pytest suite with this interpreter; assert it passes."""
    done = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], root)
    assert done.returncode == 0, (
        f"the project's tests failed:\n{done.stdout[-6000:]}\n{done.stderr}"
    )


@pytest.fixture
def project_tests_pass() -> Callable[[Path], None]:
    """The :func:`assert_project_tests_pass` helper."""
    return assert_project_tests_pass


# --------------------------------------------------------------------------------------------
# The owner's first week: the structural edits every owner makes
# --------------------------------------------------------------------------------------------

FIRST_WEEK = ("router", "setting", "env", "fixture", "dependency", "array", "gitignore", "readme")


def first_week_edits(
    tree: dict[str, str], package: str, tag: str, kinds: tuple[str, ...] = FIRST_WEEK
) -> dict[str, list[str]]:
    """Make the owner's edits on ``tree`` (path -> text) in place; return path -> their lines.

    Each edit is what an owner writes in their first week, ruff-clean as they would keep it:
    their own router and ``include_router`` after the generated ones in ``create_app()``, a
    field at the end of ``Settings`` and its variable at the end of ``.env.example``, a
    fixture in ``tests/conftest.py`` with a test using both, a dependency with a comment, an
    item in another table's array, a ``.gitignore`` line and a README section. ``tag`` makes
    every line unique. Edits whose file the project lacks are skipped.
    """
    lines: dict[str, list[str]] = {}

    def add(path: str, *added: str) -> None:
        lines.setdefault(path, []).extend(added)

    main, config = f"{package}/main.py", f"{package}/config.py"
    if "router" in kinds and main in tree and "    return app\n" in tree[main]:
        _own_router(tree, package, tag, add)
    if "setting" in kinds and config in tree:
        _own_setting(tree, config, tag, add)
    if "env" in kinds and ".env.example" in tree:
        variable = f"{package.upper()}_{tag.upper()}_SIZE=20"
        tree[".env.example"] += f"\n# The owner's {tag}\n{variable}\n"
        add(".env.example", f"# The owner's {tag}", variable)
    if "fixture" in kinds and "tests/conftest.py" in tree:
        fixture = f"def {tag}_id() -> str:"
        tree["tests/conftest.py"] += (
            f'\n\n@pytest.fixture\n{fixture}\n    """The owner\'s fixture."""\n    return "{tag}"\n'
        )
        add("tests/conftest.py", fixture)
    if "pyproject.toml" in tree:
        _own_pyproject(tree, tag, kinds, add)
    if "gitignore" in kinds and ".gitignore" in tree:
        tree[".gitignore"] += f"/{tag}-data/\n"
        add(".gitignore", f"/{tag}-data/")
    if "readme" in kinds and "README.md" in tree:
        heading = f"## The owner's {tag}"
        tree["README.md"] += f"\n{heading}\n\nWritten by the owner.\n"
        add("README.md", heading, "Written by the owner.")
    return lines


def _own_setting(tree: dict[str, str], config: str, tag: str, add: Callable[..., None]) -> None:
    field = f'    {tag}_size: int = Field(default=20, description="The owner\'s {tag}")'
    text = tree[config]
    end = text.index("\n\n\n", text.index("class Settings"))
    body = ast.parse(text).body
    settings = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == "Settings")
    gap = "\n" if isinstance(settings.body[-1], ast.FunctionDef) else ""
    tree[config] = text[:end] + f"\n{gap}{field}" + text[end:]
    add(config, field)


def _own_pyproject(
    tree: dict[str, str], tag: str, kinds: tuple[str, ...], add: Callable[..., None]
) -> None:
    """A dependency with a comment, then an item in another table's array."""
    if "dependency" in kinds:
        dependency = f'    "orjson>=3.9",  # {tag}: the owner\'s'
        tree["pyproject.toml"] = tree["pyproject.toml"].replace(
            "dependencies = [\n", f"dependencies = [\n{dependency}\n", 1
        )
        add("pyproject.toml", dependency)
    old = '"tests/**" = ["S101"]'
    new = f'"tests/**" = ["S101", "PLR2004"]  # {tag}'
    if "array" in kinds and old in tree["pyproject.toml"]:
        tree["pyproject.toml"] = tree["pyproject.toml"].replace(old, new, 1)
        add("pyproject.toml", new)


def _own_router(tree: dict[str, str], package: str, tag: str, add: Callable[..., None]) -> None:
    main = f"{package}/main.py"
    module = f"{tag}_orders"
    tree[f"{package}/routes/{module}.py"] = (
        f'"""The owner\'s {tag} orders."""\n\nfrom fastapi import APIRouter\n\n'
        f'router = APIRouter(tags=["{tag}"])\n\n\n@router.get("/{tag}-orders")\n'
        f'def list_orders() -> list[str]:\n    """Every order."""\n    return ["{tag}"]\n'
    )
    text = tree[main]
    prefix = f"from {package}.routes import "
    start = text.index(prefix)
    end = text.index("\n", start)
    names = [*text[start + len(prefix) : end].split(", "), module]
    text = text[:start] + prefix + ", ".join(sorted(names)) + text[end:]
    include = f"    app.include_router({module}.router)  # {tag}: the owner's own"
    tree[main] = text.replace("    return app\n", f"{include}\n    return app\n", 1)
    add(main, include)
    test = f"tests/test_{module}.py"
    uses_fixture = "fixture" if "tests/conftest.py" in tree else ""
    argument = f", {tag}_id: str" if uses_fixture else ""
    expected = f"[{tag}_id]" if uses_fixture else f'["{tag}"]'
    tree[test] = (
        "from fastapi.testclient import TestClient\n\n\n"
        f"def test_{module}(client: TestClient{argument}) -> None:\n"
        f'    assert client.get("/{tag}-orders").json() == {expected}\n'
    )


def read_text_tree(root: Path) -> dict[str, str]:
    """Every text file of a project (the record aside), by relative path."""
    tree: dict[str, str] = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root).as_posix()
        if path.is_file() and not relative.startswith((".scaffold/", ".git/")):
            try:
                tree[relative] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return tree


@pytest.fixture
def first_week_tree() -> Callable[..., dict[str, list[str]]]:
    """The :func:`first_week_edits` helper, on a tree of texts in memory."""
    return first_week_edits


@pytest.fixture
def read_tree() -> Callable[[Path], dict[str, str]]:
    """The :func:`read_text_tree` helper."""
    return read_text_tree


@pytest.fixture
def first_week() -> Callable[[Path, str], dict[str, list[str]]]:
    """Make the owner's first-week edits in a project folder; return path -> their lines."""

    def edit(root: Path, tag: str = "owner") -> dict[str, list[str]]:
        tree = read_text_tree(root)
        before = dict(tree)
        lines = first_week_edits(tree, PACKAGE, tag)
        for path, text in tree.items():
            if before.get(path) != text:
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text, encoding="utf-8")
        return lines

    return edit


def assert_lines_present(root: Path, lines: dict[str, list[str]]) -> None:
    """Every owner line is still, whole, a line of its file."""
    for path, expected in lines.items():
        present = set((root / path).read_text(encoding="utf-8").splitlines())
        lost = [line for line in expected if line not in present]
        assert not lost, f"owner lines lost from {path}: {lost}"


@pytest.fixture
def lines_present() -> Callable[[Path, dict[str, list[str]]], None]:
    """The :func:`assert_lines_present` helper."""
    return assert_lines_present


# --------------------------------------------------------------------------------------------
# Where an owner's comment line can go in a module
# --------------------------------------------------------------------------------------------


def find_statement_starts(text: str) -> list[tuple[int, int]]:
    """(0-based line index, indentation) of each statement that begins its line.

    A comment placed right before such a statement, indented like it, is a leading comment
    that ruff's formatter leaves where it is. Imports are left out: a comment inside an import
    block is one that import sorting moves. A file without such statements offers its start.
    """
    lines = text.splitlines()
    starts: set[tuple[int, int]] = set()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.stmt) or isinstance(node, ast.Import | ast.ImportFrom):
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        line = lines[first - 1]
        indent = len(line) - len(line.lstrip())
        if first == node.lineno and indent != node.col_offset:
            continue  # not the first statement on its line
        starts.add((first - 1, indent))
    return sorted(starts) or [(0, 0)]


@pytest.fixture
def statement_starts() -> Callable[[str], list[tuple[int, int]]]:
    """The :func:`find_statement_starts` helper."""
    return find_statement_starts
