"""Fixtures for the authoring suite: ``scaffold blueprint new`` and ``scaffold blueprint check``.

The commands live in ``scaffold.cli_blueprint.blueprint_app``; these tests mount it on a root
Typer app of their own (``scaffold blueprint ...``), so they do not depend on how ``scaffold.cli``
registers it. ``check`` runs ruff and the generated projects' own pytest in subprocesses with the
interpreter running these tests, which has fastapi, httpx and pydantic-settings installed.

Helpers are fixtures, not an importable module: test folders are not packages, and module names
must stay unique across the whole tests/ tree.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer
from typer.testing import CliRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from click.testing import Result

REPO_ROOT = Path(__file__).resolve().parents[2]
ACME = REPO_ROOT / "tests" / "org" / "acme-service"


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep scaffold's compiled-template cache out of the developer's home folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path_factory.mktemp("scaffold-cache")))
        yield


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix rich's idea of the terminal: wide, no colour, not interactive (no live progress)."""
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    for variable in ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "CLICOLOR"):
        monkeypatch.delenv(variable, raising=False)
    from scaffold import console

    for factory in (console.err_console, console.out_console):
        factory.cache_clear()


def _root_app() -> typer.Typer:
    from scaffold.cli_blueprint import blueprint_app

    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Stand in for scaffold's root app, so 'blueprint' stays a sub-command."""

    root.add_typer(blueprint_app, name="blueprint")
    return root


@pytest.fixture
def bp_cli() -> Callable[..., Result]:
    """Invoke ``scaffold blueprint ARGS`` in process; stdout and stderr are captured apart.

    Exceptions are not caught: a traceback from the CLI fails the test with its own traceback.
    """
    app = _root_app()
    runner = CliRunner()

    def invoke(*args: object) -> Result:
        argv = ["blueprint", *(str(arg) for arg in args)]
        return runner.invoke(app, argv, catch_exceptions=False)

    return invoke


@pytest.fixture
def bp_json(bp_cli: Callable[..., Result]) -> Callable[..., tuple[int, dict[str, Any]]]:
    """Invoke ``scaffold blueprint ARGS --json``; return the exit code and the one document."""

    def invoke(*args: object) -> tuple[int, dict[str, Any]]:
        result = bp_cli(*args, "--json")
        try:
            document = json.loads(result.stdout)
        except json.JSONDecodeError:  # pragma: no cover - the message is the point
            pytest.fail(f"stdout is not one JSON document:\n{result.stdout}\n{result.stderr}")
        return result.exit_code, document

    return invoke


def one_line_error(result: Result) -> str:
    """Assert the CLI failed with one line on stderr starting 'error:'; return it."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture
def error_line() -> Callable[[Result], str]:
    """The :func:`one_line_error` helper."""
    return one_line_error


def table_row(output: str, combination: str) -> list[str]:
    """The cells of the results table's row for ``combination`` (rich's box drawing split off)."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃ ").split("│")]
        if cells and cells[0] == combination:
            return cells
    raise AssertionError(f"no row for {combination!r} in:\n{output}")


@pytest.fixture
def row() -> Callable[[str, str], list[str]]:
    """The :func:`table_row` helper: ``row(stdout, "name+tests")`` -> its cells."""
    return table_row


@dataclass
class BlueprintFolder:
    """A folder of throwaway blueprints; ``add`` writes one and returns its folder."""

    root: Path

    def add(
        self,
        name: str,
        manifest: str = "",
        files: Mapping[str, str] | None = None,
        *,
        version: str = "1.0.0",
    ) -> Path:
        """Create blueprint ``name``; ``manifest`` is TOML appended after name/summary/version."""
        folder = self.root / name
        folder.mkdir(parents=True)
        header = f'name = "{name}"\nsummary = "The {name} blueprint"\nversion = "{version}"\n'
        (folder / "blueprint.toml").write_text(header + textwrap.dedent(manifest), encoding="utf-8")
        for relative, text in (files or {}).items():
            path = folder / "files" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return folder


@pytest.fixture
def blueprints(tmp_path: Path) -> BlueprintFolder:
    """An empty folder of throwaway blueprints under ``tmp_path``."""
    return BlueprintFolder(tmp_path / "blueprints")


@pytest.fixture
def acme() -> Path:
    """The example org blueprint, tests/org/acme-service."""
    return ACME
