"""The root of scaffold's test suite: what the in-process suites share.

tests/unit, tests/hostile, tests/authoring, tests/adopt, tests/evolve and tests/sources all run
scaffold's CLI in this process with typer's CliRunner, and they all need the same things. They
used to carry near-copies of them; now they get them from here, and each suite's conftest.py
keeps only what is particular to it (its own fixtures, and overrides where it differs):

- ``_private_cache`` (autouse, session): SCAFFOLD_CACHE_DIR in a temporary folder, so the
  compiled-template cache stays out of the developer's home folder. tests/sources overrides it
  with a cache per test.
- ``_stable_terminal`` (autouse): a fixed, plain, non-interactive terminal (``terminal_columns``
  wide; a suite overrides that fixture to change the width), and scaffold's cached consoles
  rebuilt under it (``clear_consoles`` does that again after a test changes the environment).
- ``cli`` and ``cli_json``: ``scaffold ARGS`` in process; a traceback fails the test with its
  own traceback. ``make_cli`` and ``make_cli_json`` build the same for another Typer app.
- ``error_line``: assert that a run failed with exactly one ``error:`` line on stderr.
- ``file_tree``, ``source`` (and ``make_source``), ``out``: files, throwaway blueprints and an
  output folder in ``tmp_path``.
- ``snapshot``: every path under a folder with its bytes, to show that nothing changed.

tests/e2e and tests/integration run scaffold in subprocesses with the environment as it is, so
their conftest.py files opt out of the two autouse fixtures by overriding them with no-ops.

Helpers are fixtures, never imported: test folders are not packages, so ``conftest`` is not an
importable module name, and every test module needs a unique file name across the whole tree.

- tests/unit, tests/integration: scaffold itself, in process or in a terminal; fast.
- tests/e2e: generate projects, install them with uv, lint, test and boot them (marked ``e2e``;
  the Chromium test is also ``browser``). Deselect with ``-m "not e2e and not browser"``.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    import typer
    from click.testing import Result

# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Compile scaffold's modules once, so that its child processes need not.

    An editable install has no bytecode, and where PYTHONDONTWRITEBYTECODE is set (CI's
    machine) every ``scaffold`` child process would compile all of it from source again.
    """
    import compileall
    from pathlib import Path

    compileall.compile_dir(Path(__file__).parent.parent / "scaffold", quiet=2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the slow tests first: pytest-xdist hands tests out in this order.

    At the end of the order, a test of two minutes (the container build) ran alone on one
    core while the other had nothing left to do.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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


@pytest.fixture
def clear_consoles() -> Callable[[], None]:
    """Forget scaffold's cached consoles (after changing the terminal's environment)."""
    return _clear_consoles


@pytest.fixture
def terminal_columns() -> int:
    """How wide ``_stable_terminal`` makes the terminal; a suite may override it."""
    return 200


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch, terminal_columns: int) -> None:
    """Fix rich's and typer's idea of the terminal, so output assertions do not depend on it.

    Wide, no colour, not interactive (no live progress); scaffold caches its consoles, so each
    test starts with ones built under this environment.
    """
    monkeypatch.setenv("COLUMNS", str(terminal_columns))
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    for variable in ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "CLICOLOR"):
        monkeypatch.delenv(variable, raising=False)
    _clear_consoles()


# --------------------------------------------------------------------------------------------
# The CLI, in process
# --------------------------------------------------------------------------------------------


def _cli_for(app: typer.Typer | None = None, *prefix: str) -> Callable[..., Result]:
    """Invoke ``app`` (scaffold's own if None) with ``prefix`` and the arguments, as strings.

    stdout and stderr are captured separately. Exceptions are not caught: a traceback from the
    CLI fails the test with its own traceback.
    """

    def invoke(*args: object, input: str | None = None) -> Result:
        if app is None:
            from scaffold.cli import app as target
        else:
            target = app
        argv = [*prefix, *(str(arg) for arg in args)]
        return CliRunner().invoke(target, argv, input=input, catch_exceptions=False)

    return invoke


def _json_cli(invoke: Callable[..., Result]) -> Callable[..., tuple[int, dict[str, Any]]]:
    """Wrap ``invoke`` to add ``--json`` and return the exit code and the one JSON document."""

    def run(*args: object) -> tuple[int, dict[str, Any]]:
        result = invoke(*args, "--json")
        try:
            document = json.loads(result.stdout)
        except json.JSONDecodeError:  # pragma: no cover - the message is the point
            pytest.fail(f"stdout is not one JSON document:\n{result.stdout}\n{result.stderr}")
        return result.exit_code, document

    return run


@pytest.fixture(scope="session")
def make_cli() -> Callable[..., Callable[..., Result]]:
    """``make_cli(app, *prefix)``: an in-process ``cli`` for another Typer app."""
    return _cli_for


@pytest.fixture(scope="session")
def make_cli_json() -> Callable[..., Callable[..., tuple[int, dict[str, Any]]]]:
    """``make_cli_json(invoke)``: ``invoke(*args, "--json")`` -> (exit code, document)."""
    return _json_cli


@pytest.fixture(scope="session")
def cli() -> Callable[..., Result]:
    """Invoke ``scaffold`` in process: ``cli(*args, input=None)`` -> click's Result.

    Session-scoped (it holds no state) so that session fixtures can generate projects with it.
    """
    return _cli_for()


@pytest.fixture(scope="session")
def cli_json(cli: Callable[..., Result]) -> Callable[..., tuple[int, dict[str, Any]]]:
    """Invoke ``scaffold ... --json``; return the exit code and the one JSON document."""
    return _json_cli(cli)


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
# Files and throwaway blueprints
# --------------------------------------------------------------------------------------------


def build_file_tree(root: Path, tree: Mapping[str, Any]) -> Path:
    """Write ``tree`` under ``root``: str values as UTF-8 text (dedented), bytes as they are.

    A dict value is a folder, written the same way.
    """
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in tree.items():
        path = root / relative
        if isinstance(content, dict):
            build_file_tree(path, content)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def file_tree() -> Callable[[Path, Mapping[str, Any]], Path]:
    """The :func:`build_file_tree` helper."""
    return build_file_tree


@dataclass
class BlueprintSource:
    """A folder of throwaway blueprints, usable as ``--source`` or ``load_catalog((root,))``.

    ``rewrite``: ``add`` replaces a blueprint that exists (else it writes over it in place).
    ``files_folder``: every blueprint gets a ``files`` folder, even an empty one.
    """

    root: Path
    rewrite: bool = False
    files_folder: bool = False

    def add(
        self,
        name: str,
        manifest: str = "",
        files: Mapping[str, Any] | None = None,
        *,
        version: str = "1.0.0",
        summary: str | None = None,
    ) -> Path:
        """Create blueprint ``name``: ``manifest`` is TOML appended after name/summary/version."""
        folder = self.root / name
        if self.rewrite and folder.exists():
            shutil.rmtree(folder)
        header = (
            f'name = "{name}"\n'
            f'summary = "{summary if summary is not None else f"The {name} blueprint"}"\n'
            f'version = "{version}"\n'
        )
        build_file_tree(folder, {"blueprint.toml": header + textwrap.dedent(manifest)})
        if self.files_folder:
            (folder / "files").mkdir(exist_ok=True)
        if files:
            build_file_tree(folder / "files", files)
        return folder


@pytest.fixture
def make_source(tmp_path: Path) -> Callable[..., BlueprintSource]:
    """``make_source(root=tmp_path/"blueprints", *, rewrite=False, files_folder=False)``."""

    def make(
        root: Path | None = None, *, rewrite: bool = False, files_folder: bool = False
    ) -> BlueprintSource:
        folder = tmp_path / "blueprints" if root is None else root
        return BlueprintSource(folder, rewrite=rewrite, files_folder=files_folder)

    return make


@pytest.fixture
def source(make_source: Callable[..., BlueprintSource]) -> BlueprintSource:
    """An empty folder of blueprints in ``tmp_path`` (not created until a blueprint is added)."""
    return make_source()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The --output-dir for generated projects (not created in advance)."""
    return tmp_path / "out"


# --------------------------------------------------------------------------------------------
# Snapshots
# --------------------------------------------------------------------------------------------


def snapshot_tree(
    root: Path, *, folders: bool = True, read_links: bool = True, ignore: tuple[str, ...] = ()
) -> dict[str, bytes | None]:
    """Every path under ``root``: a file's bytes; None for folders and anything else.

    ``folders=False`` leaves out everything but files; ``read_links=False`` maps a symbolic link
    to None instead of reading through it; a path with a part in ``ignore`` is left out.
    """
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if ignore and any(part in ignore for part in relative.parts):
            continue
        if path.is_file() and (read_links or not path.is_symlink()):
            found[relative.as_posix()] = path.read_bytes()
        elif folders:
            found[relative.as_posix()] = None
    return found


@pytest.fixture
def snapshot() -> Callable[..., dict[str, bytes | None]]:
    """The :func:`snapshot_tree` helper: ``snapshot(root)`` -> {path: bytes, or None}."""
    return snapshot_tree
