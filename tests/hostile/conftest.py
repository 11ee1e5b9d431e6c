"""Fixtures for the hostile-blueprint suite (issue #4).

Each test writes a real blueprint folder in ``tmp_path``, runs ``scaffold new x --source DIR -b
NAME --no-input`` in-process and expects a refusal: exit code 2, one line on stderr naming the
problem, and nothing written (not the project, not a staging folder next to it).

These fixtures are copied from tests/unit/conftest.py rather than imported: test folders are not
packages, so a shared helper module would clash on its name between suites.
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
    """Fix rich's and typer's idea of the terminal, so that an error stays on one line."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("LINES", "50")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    for variable in ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "CLICOLOR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("SCAFFOLD_RENDER_TIMEOUT", raising=False)
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


@dataclass
class BlueprintSource:
    """A folder of throwaway blueprints, usable as ``--source``."""

    root: Path

    def add(self, name: str, manifest: str = "", files: Mapping[str, Any] | None = None) -> Path:
        """Create blueprint ``name``: ``manifest`` is TOML appended after name/summary/version."""
        header = f'name = "{name}"\nsummary = "The {name} blueprint"\nversion = "1.0.0"\n'
        folder = build_file_tree(
            self.root / name, {"blueprint.toml": header + textwrap.dedent(manifest)}
        )
        (folder / "files").mkdir(exist_ok=True)
        if files:
            build_file_tree(folder / "files", files)
        return folder


@pytest.fixture
def source(tmp_path: Path) -> BlueprintSource:
    """An empty folder of blueprints in ``tmp_path``."""
    return BlueprintSource(tmp_path / "blueprints")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The --output-dir for generated projects (created, empty: the project goes inside)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke ``scaffold`` in-process; stdout and stderr are captured separately."""
    from scaffold.cli import app

    runner = CliRunner()

    def invoke(*args: object, input: str | None = None) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], input=input, catch_exceptions=False)

    return invoke


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for folders and links)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        found[relative] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return found


@dataclass
class Refusal:
    """What a refused run printed."""

    line: str
    result: Result


@pytest.fixture
def refused(
    cli: Callable[..., Result], source: BlueprintSource, out: Path, tmp_path: Path
) -> Callable[..., Refusal]:
    """Run ``scaffold new x`` with the hostile blueprint; assert a clean refusal that wrote nothing.

    ``refused("evil", "fragment", *extra_args)``: exit 2, exactly one stderr line starting
    ``error:`` and holding ``fragment`` (case-insensitive), and ``tmp_path`` unchanged.
    """

    def run(blueprint: str | None, fragment: str, *extra: object) -> Refusal:
        before = snapshot(tmp_path)
        selection: tuple[object, ...] = ("-b", blueprint) if blueprint else ()
        result = cli(
            "new", "x", "--source", source.root, *selection, "--no-input", "-o", out, *extra
        )
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("error: "), lines[0]
        assert fragment.lower() in lines[0].lower(), lines[0]
        assert not (out / "x").exists()
        assert list(out.iterdir()) == [], "a staging folder was left next to the destination"
        assert snapshot(tmp_path) == before, "the disk changed"
        return Refusal(line=lines[0], result=result)

    return run
