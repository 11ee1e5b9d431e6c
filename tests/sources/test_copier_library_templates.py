"""``scaffold new NAME --from TEMPLATE`` with a library template: base's app beside its files.

A library template (no FastAPI app; ss-python, lincc-frameworks' python-project-template) gets
base's app beside it. The project must still be the template's: its package importable as its
tests import it, its ``pyproject.toml`` valid for its own build backend and naming its own
project, and its answers file what ``copier copy`` writes, so that copier can update it too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result


pytestmark = pytest.mark.timeout(180)

COPIER_YML = "_subdirectory: t\n_answers_file: .copier-answers.yml\n"
ANSWERS = "{{ _copier_answers|to_nice_yaml }}\n"
SRC_LAYOUT_PYPROJECT = """
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
SETUPTOOLS_PYPROJECT = """
[build-system]
requires = ["setuptools>=64", "setuptools-scm>=8"]
build-backend = "setuptools.build_meta"

[project]
name = "libname"
dynamic = ["version"]
requires-python = ">=3.11"
dependencies = []

[project.optional-dependencies]
dev = ["pytest"]
"""
TEST_LIB = """
from demo import hello


def test_hello() -> None:
    assert hello() == "hi"
"""


def _library(repo: Any, pyproject: str, package: str) -> Any:
    """Release v1 of a library template with a src/ layout, under ``_subdirectory: t``."""
    repo.write("copier.yml", COPIER_YML)
    repo.write("t/{{ _copier_conf.answers_file }}.jinja", ANSWERS)
    repo.write("t/pyproject.toml", pyproject)
    repo.write(f"t/src/{package}/__init__.py", 'def hello() -> str:\n    return "hi"\n')
    repo.write("t/tests/test_lib.py", TEST_LIB)
    repo.release("v1")
    return repo


def test_base_never_shadows_the_package_of_a_src_layout_template(
    cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    make_repo: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    """Base's app named ``demo/`` at the root would hide the template's ``src/demo``."""
    repo = _library(make_repo("min3"), SRC_LAYOUT_PYPROJECT, "demo")
    source = f"{repo.path}@v1"

    shadowed = cli("new", "demo", "--from", source, "--no-input", "-o", tmp_path / "out")
    beside = cli("new", "demo", "-b", "min3", "--source", source, "--no-input",
                 "-o", tmp_path / "out")  # fmt: skip

    for refused in (shadowed, beside):
        assert refused.exit_code == 2, refused.output
        line = error_line(refused)
        assert "demo/ and src/demo/: 'import demo' finds only one of them" in line, line
        assert "demo-api gives the package demo_api" in line, line
    assert not (tmp_path / "out").exists()

    made = cli("new", "demo-api", "--from", source, "--no-input", "-o", tmp_path / "out")

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "demo-api"
    assert (project / "demo_api" / "main.py").is_file()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": "src"},
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr  # the template's and base's tests


def _pyproject_problems(data: dict[str, Any]) -> list[str]:
    """What makes a pyproject.toml invalid for its build (PEP 621) or not the project's own."""
    project = data["project"]
    problems = [
        f"{key} is static and dynamic" for key in project.get("dynamic", ()) if key in project
    ]
    backend = data["build-system"]["build-backend"]
    if "hatch" in data.get("tool", {}) and not backend.startswith("hatchling"):
        problems.append(f"[tool.hatch] under {backend}")
    groups = [
        *data.get("dependency-groups", {}).values(),
        *project["optional-dependencies"].values(),
    ]
    foreign = [r for group in groups for r in group if r.startswith("demo")]
    problems += [f"{r} names scaffold's NAME, not {project['name']}" for r in foreign]
    try:  # the schema setuptools and pip use, when it is installed
        from validate_pyproject import api
    except ImportError:
        return problems
    try:
        api.Validator()(data)
    except Exception as error:  # its errors share no public base class
        problems.append(str(error))
    return problems


def test_a_library_templates_pyproject_stays_valid_and_its_own(
    cli: Callable[..., Result], make_repo: Callable[[str], Any], tmp_path: Path
) -> None:
    repo = _library(make_repo("min2"), SETUPTOOLS_PYPROJECT, "libname")

    made = cli("new", "demo", "--from", f"{repo.path}@v1", "--no-input", "-o", tmp_path)

    assert made.exit_code == 0, made.output
    data = tomllib.loads((tmp_path / "demo" / "pyproject.toml").read_text())
    assert _pyproject_problems(data) == []
    project = data["project"]
    assert project["name"] == "libname"  # the template's value wins
    assert data["dependency-groups"]["dev"] == ["libname[dev]"]
    assert data["build-system"]["build-backend"] == "setuptools.build_meta"
    assert "fastapi[standard]>=0.115,<1" in project["dependencies"]  # base's app runs
    assert project["optional-dependencies"]["dev"].count("pytest") == 1  # not also pytest>=8
    assert not any(r.startswith("pytest>") for r in project["optional-dependencies"]["dev"])


def _copier_copy(template: str, destination: Path, *, ref: str | None) -> str:
    """Return the answers file ``copier copy`` writes for ``template`` as a user types it."""
    subprocess.run(
        [sys.executable, "-m", "copier", "copy", "-q", "--defaults",
         *(["--vcs-ref", ref] if ref else []), template, str(destination)],
        check=True, capture_output=True,
    )  # fmt: skip
    return (destination / ".copier-answers.yml").read_text()


@pytest.mark.parametrize("typed", ["repository@v1", "git+repository@v1", "folder"])
def test_the_answers_file_names_the_template_as_copier_copy_writes_it(
    cli: Callable[..., Result], make_repo: Callable[[str], Any], tmp_path: Path, typed: str
) -> None:
    """copier records the template as it was given; scaffold spells a local repository
    ``git+PATH``, which copier never writes for one given by its path."""
    repo = make_repo("lib")
    repo.write("copier.yml", "_answers_file: .copier-answers.yml\n")
    repo.write("{{ _copier_conf.answers_file }}.jinja", ANSWERS)
    repo.write("NOTES.md", "# Notes\n")
    repo.release("v1")
    folder = tmp_path / "folder"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(folder)], check=True)
    (folder / ".git").rename(tmp_path / "not-a-repository")  # a plain folder now
    path, _, ref = typed.partition("@")
    template = str(folder if path == "folder" else repo.path)
    given = template if path != "git+repository" else f"git+{template}"

    made = cli("new", "svc", "--from", f"{given}@{ref}" if ref else given,
               "--no-input", "-o", tmp_path / "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    written = (tmp_path / "out" / "svc" / ".copier-answers.yml").read_text()
    assert written == _copier_copy(template, tmp_path / "copied", ref=ref or None)


@pytest.mark.parametrize(
    "source",
    [
        "gh:acme/template",
        "gl:acme/template",
        "https://git.acme.test/template.git",
        "git+https://git.acme.test/t",
    ],
)
def test_a_remote_templates_src_path_is_spelt_as_it_was_given(source: str) -> None:
    """copier writes a URL or a gh:/gl: shortcut as given (``Template.url``); so does scaffold."""
    from scaffold.copier_render import copier_src_path

    assert copier_src_path(source) == source
