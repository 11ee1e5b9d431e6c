"""Fixtures for the hostile-blueprint suite (issue #4).

Each test writes a real blueprint folder in ``tmp_path``, runs ``scaffold new x --source DIR -b
NAME --no-input`` in-process and expects a refusal: exit code 2, one line on stderr naming the
problem, and nothing written (not the project, not a staging folder next to it).

The CLI, the cache, ``source`` and ``snapshot`` come from tests/conftest.py. This suite wants a
terminal wide enough that an error stays on one line, no render timeout from the environment,
blueprints that always have a ``files`` folder, and an output folder that exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result


@pytest.fixture
def terminal_columns() -> int:
    """Wide, so that an error stays on one line."""
    return 400


@pytest.fixture(autouse=True)
def _no_render_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render with scaffold's own timeout, whatever the environment says."""
    monkeypatch.delenv("SCAFFOLD_RENDER_TIMEOUT", raising=False)


@pytest.fixture
def source(make_source: Callable[..., Any]) -> Any:
    """An empty folder of blueprints in ``tmp_path``; each blueprint gets a ``files`` folder."""
    return make_source(files_folder=True)


@pytest.fixture
def out(out: Path) -> Path:
    """The --output-dir for generated projects, created empty here: the project goes inside."""
    out.mkdir()
    return out


@dataclass
class Refusal:
    """What a refused run printed."""

    line: str
    result: Result


@pytest.fixture
def refused(
    cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    snapshot: Callable[..., dict[str, bytes | None]],
    source: Any,
    out: Path,
    tmp_path: Path,
) -> Callable[..., Refusal]:
    """Run ``scaffold new x`` with the hostile blueprint; assert a clean refusal that wrote nothing.

    ``refused("evil", "fragment", *extra_args)``: exit 2, exactly one stderr line starting
    ``error:`` and holding ``fragment`` (case-insensitive), and ``tmp_path`` unchanged.
    """

    def run(blueprint: str | None, fragment: str, *extra: object) -> Refusal:
        before = snapshot(tmp_path, read_links=False)
        selection: tuple[object, ...] = ("-b", blueprint) if blueprint else ()
        result = cli(
            "new", "x", "--source", source.root, *selection, "--no-input", "-o", out, *extra
        )
        assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
        line = error_line(result)
        assert fragment.lower() in line.lower(), line
        assert not (out / "x").exists()
        assert list(out.iterdir()) == [], "a staging folder was left next to the destination"
        assert snapshot(tmp_path, read_links=False) == before, "the disk changed"
        return Refusal(line=line, result=result)

    return run


# --------------------------------------------------------------------------------------------
# Hostile projects (issue #10): a generated project whose files and record an attacker wrote
# --------------------------------------------------------------------------------------------

PROJECT = "evil-app"  # the generated project's name
PACKAGE = "evil_app"  # ... and its package


@pytest.fixture(scope="session")
def _pristine_projects(
    tmp_path_factory: pytest.TempPathFactory, _private_cache: None, cli: Callable[..., Result]
) -> Callable[[tuple[str, ...]], Path]:
    """Generate a project per set of built-in blueprints once per session."""
    made: dict[tuple[str, ...], Path] = {}

    def get(blueprints: tuple[str, ...]) -> Path:
        if blueprints not in made:
            where = tmp_path_factory.mktemp("pristine")
            selection = [arg for name in blueprints for arg in ("-b", name)]
            result = cli("new", PROJECT, "--no-input", "-o", where, *selection)
            assert result.exit_code == 0, result.output
            made[blueprints] = where / PROJECT
        return made[blueprints]

    return get


@pytest.fixture
def project(tmp_path: Path, _pristine_projects: Callable[..., Path]) -> Callable[..., Path]:
    """``project(*blueprints)``: a fresh copy of a generated project in ``tmp_path``."""
    import shutil

    count = 0

    def make(*blueprints: str) -> Path:
        nonlocal count
        count += 1
        target = tmp_path / f"work{count}" / PROJECT
        shutil.copytree(_pristine_projects(tuple(blueprints or ("base",))), target, symlinks=True)
        return target

    return make
