"""Fixtures for the evolve suite: ``add``, ``remove``, ``update``, ``status`` and ``check``.

Every test works on a project generated with ``scaffold new`` in a temporary folder and changed
through the CLI (``-C DIR``), in process with typer's CliRunner or, where a real process
matters, in a subprocess. Pristine projects are generated once per session (per xdist worker)
and copied per test, so a test pays for a copy, not for a generation.

The cache, the terminal, ``cli``, ``cli_json``, ``error_line``, ``snapshot`` and throwaway
blueprints (``source``, here rewritten from scratch on every ``add``) come from tests/conftest.py.
"""

from __future__ import annotations

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
