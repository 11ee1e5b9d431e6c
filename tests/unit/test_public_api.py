"""The public surface: ``scaffold.__all__`` is exactly what the package exports."""

from __future__ import annotations

import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import scaffold

REPO_ROOT = Path(scaffold.__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that imports this checkout of scaffold."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )


def test_all_is_the_documented_surface() -> None:
    assert scaffold.__all__ == ["ProjectSpec", "ScaffoldError", "__version__", "generate"]
    assert len(set(scaffold.__all__)) == len(scaffold.__all__)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from scaffold import *", namespace)

    assert set(namespace) - {"__builtins__"} == set(scaffold.__all__)


def test_every_exported_name_is_the_real_object() -> None:
    from scaffold.errors import ScaffoldError
    from scaffold.models import ProjectSpec
    from scaffold.pipeline import generate

    assert scaffold.generate is generate
    assert scaffold.ProjectSpec is ProjectSpec
    assert scaffold.ScaffoldError is ScaffoldError
    assert isinstance(scaffold.__version__, str)


def test_generate_stays_the_function_after_its_module_is_imported() -> None:
    module = importlib.import_module("scaffold.pipeline")

    from scaffold import generate

    assert inspect.isfunction(generate)
    assert generate is module.generate
    assert inspect.isfunction(scaffold.generate)


def test_generate_stays_the_function_in_a_fresh_interpreter() -> None:
    # The import system binds a loaded submodule onto its package: no submodule may be
    # named like the public function scaffold.generate.
    code = (
        "import scaffold, scaffold.cli, scaffold.pipeline\n"
        "from scaffold import generate\n"
        "assert callable(scaffold.generate) and callable(generate), scaffold.generate\n"
        "print(scaffold.generate.__module__)\n"
    )

    completed = _python(code)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "scaffold.pipeline"


@pytest.mark.parametrize("name", ["Renderer", "load_catalog", "resolve", "app", "errors_"])
def test_other_names_are_not_exported(name) -> None:
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'"):
        getattr(scaffold, name)


def test_importing_scaffold_is_cheap() -> None:
    heavy = ("pydantic", "jinja2", "rich", "typer", "yaml")
    code = f"import sys, scaffold; print(sorted(m for m in {heavy!r} if m in sys.modules))"

    completed = _python(code)

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_the_public_api_generates_a_project(tmp_path) -> None:
    spec = scaffold.ProjectSpec(name="api-demo", description="Programmatic", blueprints={})

    generated = scaffold.generate(spec, tmp_path / "api-demo")

    assert generated.written
    assert (tmp_path / "api-demo" / "api_demo" / "main.py").is_file()
    assert ".scaffold/project.toml" in generated.files
    with pytest.raises(scaffold.ScaffoldError, match="not empty"):
        scaffold.generate(spec, tmp_path / "api-demo")
