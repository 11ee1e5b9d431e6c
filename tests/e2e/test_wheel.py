"""The built wheel works on its own: blueprints ship inside it and are found once installed.

The wheel is built from this checkout (located from this file, never from the cwd), installed
into a fresh virtual environment, and its ``scaffold`` command is run from a folder outside the
repository with no PYTHONPATH, so nothing can come from the checkout.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 300
CLI_TIMEOUT = 120


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (except a virtual environment), by POSIX relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".venv" not in path.relative_to(root).parts
    }


def test_installed_wheel_generates_every_blueprint(tmp_path: Path, tools: Any) -> None:
    repo = tools.repo_root
    assert (repo / "pyproject.toml").is_file(), f"no pyproject.toml at {repo}"
    metadata = tomllib.loads((repo / "pyproject.toml").read_text())
    version = metadata["project"]["version"]
    shipped = sorted(p.parent.name for p in (repo / "blueprints").glob("*/blueprint.toml"))
    assert shipped, f"no blueprints found under {repo / 'blueprints'}"

    # Build, and install into a fresh virtual environment.
    dist = tmp_path / "dist"
    tools.run(
        [*tools.uv(), "build", "--wheel", "--out-dir", dist, repo],
        cwd=tmp_path,
        timeout=BUILD_TIMEOUT,
    )
    wheels = sorted(dist.glob("scaffold-*.whl"))
    assert len(wheels) == 1, f"expected one wheel in {dist}, found {wheels}"
    venv = tmp_path / "venv"
    tools.run([*tools.uv(), "venv", venv, "--python", sys.executable], cwd=tmp_path, timeout=60)
    tools.run(
        [*tools.uv(), "pip", "install", "--python", venv / "bin" / "python", wheels[0]],
        cwd=tmp_path,
        timeout=INSTALL_TIMEOUT,
    )
    work = tmp_path / "work"  # outside the repository
    work.mkdir()
    cli = venv / "bin" / "scaffold"

    # The package imported is the installed one, not this checkout.
    where = tools.run(
        [venv / "bin" / "python", "-c", "import scaffold; print(scaffold.__file__)"],
        cwd=work,
        timeout=CLI_TIMEOUT,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), f"scaffold was imported from {where}, not {venv}"

    # --version
    proc = tools.run([cli, "--version"], cwd=work, timeout=CLI_TIMEOUT)
    assert proc.stdout.strip() == f"scaffold {version}", proc.stdout

    # blueprints --json lists every blueprint of the checkout, all built in.
    proc = tools.run([cli, "blueprints", "--json"], cwd=work, timeout=CLI_TIMEOUT)
    listing = json.loads(proc.stdout)
    assert sorted(bp["name"] for bp in listing) == shipped, proc.stdout
    assert {bp["source"] for bp in listing} == {"built-in"}, proc.stdout

    # new --all from the installed wheel.
    out = work / "out"
    proc = tools.run(
        [cli, "new", "demo", "--all", "--no-input", "-o", out, "--json"],
        cwd=work,
        timeout=CLI_TIMEOUT,
    )
    report = json.loads(proc.stdout)
    assert sorted(bp["name"] for bp in report["blueprints"]) == shipped, proc.stdout
    project = out / "demo"
    assert Path(report["path"]) == project.resolve(), report["path"]
    assert (project / "demo" / "websockets.py").is_file(), sorted(tree(project))
    assert (project / "demo" / "static" / "css" / "app.css").is_file(), sorted(tree(project))
    assert (project / "demo" / "templates" / "index.html").is_file(), sorted(tree(project))

    # The installed wheel generates exactly what this checkout generates.
    reference = tmp_path / "reference"
    reference.mkdir()
    tools.scaffold("new", "demo", "--all", "--no-input", "-o", reference, cwd=reference)
    expected, got = tree(reference / "demo"), tree(project)
    assert sorted(got) == sorted(expected), (
        f"files only from the wheel: {sorted(set(got) - set(expected))}\n"
        f"files only from the checkout: {sorted(set(expected) - set(got))}"
    )
    differing = sorted(name for name in expected if expected[name] != got[name])
    assert not differing, f"files that differ between the wheel and the checkout: {differing}"

    # The generated project is lint-clean with the ruff that scaffold installs.
    tools.run([venv / "bin" / "ruff", "check", "--no-cache", "."], cwd=project, timeout=CLI_TIMEOUT)
    tools.run(
        [venv / "bin" / "ruff", "format", "--check", "--no-cache", "."],
        cwd=project,
        timeout=CLI_TIMEOUT,
    )
