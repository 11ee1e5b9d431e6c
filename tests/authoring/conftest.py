"""Fixtures for the authoring suite: ``scaffold blueprint new`` and ``scaffold blueprint check``.

The commands live in ``scaffold.cli_blueprint.blueprint_app``; these tests mount it on a root
Typer app of their own (``scaffold blueprint ...``), so they do not depend on how ``scaffold.cli``
registers it. ``check`` runs ruff and the generated projects' own pytest in subprocesses, the
tests in an environment it makes with uv under the private cache of tests/conftest.py (once per
set of requirements and test session; uv's own cache makes that quick).

The cache, the terminal, ``error_line`` and the throwaway blueprints come from tests/conftest.py;
this suite asks for its own terminal width, mounts the sub-app and names its fixtures for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.testing import Result

REPO_ROOT = Path(__file__).resolve().parents[2]
ACME = REPO_ROOT / "tests" / "org" / "acme-service"


@pytest.fixture
def terminal_columns() -> int:
    """The width these tests' output assertions were written against."""
    return 160


def _root_app() -> typer.Typer:
    from scaffold.cli_blueprint import blueprint_app

    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Stand in for scaffold's root app, so 'blueprint' stays a sub-command."""

    root.add_typer(blueprint_app, name="blueprint")
    return root


@pytest.fixture
def bp_cli(make_cli: Callable[..., Callable[..., Result]]) -> Callable[..., Result]:
    """Invoke ``scaffold blueprint ARGS`` in process; stdout and stderr are captured apart.

    Exceptions are not caught: a traceback from the CLI fails the test with its own traceback.
    """
    return make_cli(_root_app(), "blueprint")


@pytest.fixture
def bp_json(
    bp_cli: Callable[..., Result], make_cli_json: Callable[..., Callable[..., Any]]
) -> Callable[..., tuple[int, dict[str, Any]]]:
    """Invoke ``scaffold blueprint ARGS --json``; return the exit code and the one document."""
    return make_cli_json(bp_cli)


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


@pytest.fixture
def blueprints(source: Any) -> Any:
    """An empty folder of throwaway blueprints under ``tmp_path``: the shared ``source``."""
    return source


@pytest.fixture
def acme() -> Path:
    """The example org blueprint, tests/org/acme-service."""
    return ACME
