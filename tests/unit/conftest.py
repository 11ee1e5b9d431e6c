"""Shared fixtures for the unit and CLI tests of scaffold itself.

Helpers are fixtures, not an importable module, so the unit and e2e suites never clash on module
names (neither folder is a package). Throwaway blueprints are built in ``tmp_path`` with
:func:`build_file_tree` and passed to scaffold as a ``--source`` folder.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from click.testing import Result


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep scaffold's compiled-template cache out of the developer's home folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path_factory.mktemp("scaffold-cache")))
        yield


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix rich's and typer's idea of the terminal, so output assertions do not depend on it."""
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    for variable in ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "CLICOLOR"):
        monkeypatch.delenv(variable, raising=False)
    # scaffold caches its consoles; start each test with ones built under this environment.
    from scaffold import console

    for factory in (console.err_console, console.out_console):
        clear = getattr(factory, "cache_clear", None)
        if clear is not None:
            clear()


def build_file_tree(root: Path, tree: Mapping[str, Any]) -> Path:
    """Write ``tree`` under ``root``: str values as UTF-8 text (dedented), bytes as they are."""
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
    """A folder of throwaway blueprints, usable as ``--source`` or ``load_catalog((root,))``."""

    root: Path

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
        header = (
            f'name = "{name}"\n'
            f'summary = "{summary if summary is not None else f"The {name} blueprint"}"\n'
            f'version = "{version}"\n'
        )
        folder = build_file_tree(
            self.root / name, {"blueprint.toml": header + textwrap.dedent(manifest)}
        )
        if files:
            build_file_tree(folder / "files", files)
        return folder


@pytest.fixture
def source(tmp_path: Path) -> BlueprintSource:
    """An empty folder of blueprints in ``tmp_path``."""
    return BlueprintSource(tmp_path / "blueprints")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The --output-dir for generated projects (not created in advance)."""
    return tmp_path / "out"


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke ``scaffold`` in-process; stdout and stderr are captured separately.

    Exceptions are not caught: a traceback from the CLI fails the test with its own traceback.
    """
    from scaffold.cli import app

    runner = CliRunner()

    def invoke(*args: object, input: str | None = None) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], input=input, catch_exceptions=False)

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
