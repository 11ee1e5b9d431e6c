"""Fixtures for the evolve suite: ``add``, ``remove``, ``update``, ``status`` and ``check``.

Every test works on a project generated with ``scaffold new`` in a temporary folder and changed
through the CLI (``-C DIR``), in process with typer's CliRunner or, where a real process
matters, in a subprocess. Pristine projects are generated once per session (per xdist worker)
and copied per test, so a test pays for a copy, not for a generation.

Helpers are fixtures, not an importable module: the test folders are not packages, and module
names must stay unique across the whole tests/ tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from click.testing import Result

NAME = "evo-app"  # the generated project's name
PACKAGE = "evo_app"  # ... and its import package
STAGING_PREFIX = ".scaffold-staging-"
TOOL_TIMEOUT = 180  # seconds for ruff and the generated project's pytest

# Environment variables that would leak this run (xdist, coverage, our pytest) into a child.
_LEAKY_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "FORCE_COLOR")
_LEAKY_PREFIXES = ("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "COV_CORE_", "EVO_APP_")


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep scaffold's compiled-template cache out of the developer's home folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path_factory.mktemp("scaffold-cache")))
        yield


def _clear_consoles() -> None:
    from scaffold import console

    for factory in (console.err_console, console.out_console):
        clear = getattr(factory, "cache_clear", None)
        if clear is not None:
            clear()


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix rich's and typer's idea of the terminal, so output assertions do not depend on it."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    for variable in ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "CLICOLOR"):
        monkeypatch.delenv(variable, raising=False)
    _clear_consoles()


@pytest.fixture
def clear_consoles() -> Callable[[], None]:
    """Forget scaffold's cached consoles (after changing the terminal's environment)."""
    return _clear_consoles


# --------------------------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------------------------


def _invoke(*args: object, input: str | None = None) -> Result:
    from scaffold.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke ``scaffold`` in process; stdout and stderr are captured separately.

    Exceptions are not caught: a traceback from the CLI fails the test with its own traceback.
    """
    return _invoke


@pytest.fixture
def cli_json() -> Callable[..., tuple[int, dict[str, Any]]]:
    """Invoke ``scaffold ... --json``; return the exit code and the one JSON document."""

    def invoke(*args: object) -> tuple[int, dict[str, Any]]:
        result = _invoke(*args, "--json")
        try:
            document = json.loads(result.stdout)
        except json.JSONDecodeError:  # pragma: no cover - the message is the point
            pytest.fail(f"stdout is not one JSON document:\n{result.stdout}\n{result.stderr}")
        return result.exit_code, document

    return invoke


def one_line_error(result: Result) -> str:
    """Assert the CLI failed with exactly one line on stderr starting 'error:'; return it."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture
def error_line() -> Callable[[Result], str]:
    """The :func:`one_line_error` helper."""
    return one_line_error


# --------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------


def generate(
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
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    return destination / name


@pytest.fixture(scope="session")
def pristine(
    tmp_path_factory: pytest.TempPathFactory, _private_cache: None
) -> Callable[[tuple[str, ...]], Path]:
    """Return the pristine project for a set of built-in blueprints, generated once."""
    made: dict[tuple[str, ...], Path] = {}

    def get(blueprints: tuple[str, ...]) -> Path:
        key = tuple(sorted(blueprints))
        if key not in made:
            made[key] = generate(tmp_path_factory.mktemp("pristine"), key)
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
def new_project() -> Callable[..., Path]:
    """The :func:`generate` helper (for projects from throwaway blueprint sources)."""
    return generate


def snapshot_tree(root: Path) -> dict[str, bytes | None]:
    """Every file (path -> bytes) and folder (path -> None) under ``root``."""
    return {
        path.relative_to(root).as_posix(): (None if path.is_dir() else path.read_bytes())
        for path in sorted(root.rglob("*"))
    }


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes | None]]:
    """The :func:`snapshot_tree` helper."""
    return snapshot_tree


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


def build_file_tree(root: Path, tree: Mapping[str, Any]) -> Path:
    """Write ``tree`` under ``root``: str values as UTF-8 text (dedented), bytes as they are."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in tree.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@dataclass
class BlueprintSource:
    """A folder of throwaway blueprints, usable as ``--source``."""

    root: Path

    def add(
        self,
        name: str,
        manifest: str = "",
        files: Mapping[str, Any] | None = None,
        *,
        version: str = "1.0.0",
    ) -> Path:
        """(Re)write blueprint ``name`` from scratch: its manifest and its files."""
        folder = self.root / name
        if folder.exists():
            shutil.rmtree(folder)
        header = f'name = "{name}"\nsummary = "The {name} blueprint"\nversion = "{version}"\n'
        build_file_tree(folder, {"blueprint.toml": header + textwrap.dedent(manifest)})
        if files:
            build_file_tree(folder / "files", files)
        return folder


@pytest.fixture
def source(tmp_path: Path) -> BlueprintSource:
    """An empty folder of blueprints in ``tmp_path`` (an absolute path)."""
    return BlueprintSource(tmp_path.resolve() / "blueprints")


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
