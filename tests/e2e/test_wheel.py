"""The built wheel works on its own: blueprints ship inside it and are found once installed.

The wheel is built from this checkout (located from this file, never from the cwd), installed
into a fresh virtual environment, and its ``scaffold`` command is run from a folder outside the
repository with no PYTHONPATH, so nothing can come from the checkout.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 300
CLI_TIMEOUT = 120
# The name on the package index: "scaffold" there is an unrelated project from 2013.
DISTRIBUTION = "scaffold-blueprints"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (except a virtual environment), by POSIX relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".venv" not in path.relative_to(root).parts
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Path:
    """The wheel of this checkout, built once for the module, under its distribution name."""
    dist = tmp_path_factory.mktemp("dist")
    tools.run(
        [*tools.uv(), "build", "--wheel", "--out-dir", dist, tools.repo_root],
        cwd=dist,
        timeout=BUILD_TIMEOUT,
    )
    wheels = sorted(dist.glob(f"{DISTRIBUTION.replace('-', '_')}-*.whl"))
    assert len(wheels) == 1, f"expected one {DISTRIBUTION} wheel in {dist}, found {wheels}"
    return wheels[0]


def test_installed_wheel_generates_every_blueprint(tmp_path: Path, tools: Any, wheel: Path) -> None:
    repo = tools.repo_root
    assert (repo / "pyproject.toml").is_file(), f"no pyproject.toml at {repo}"
    metadata = tomllib.loads((repo / "pyproject.toml").read_text())
    version = metadata["project"]["version"]
    shipped = sorted(p.parent.name for p in (repo / "blueprints").glob("*/blueprint.toml"))
    assert shipped, f"no blueprints found under {repo / 'blueprints'}"

    # Install the wheel into a fresh virtual environment.
    venv = tmp_path / "venv"
    tools.run([*tools.uv(), "venv", venv, "--python", sys.executable], cwd=tmp_path, timeout=60)
    tools.run(
        [*tools.uv(), "pip", "install", "--python", venv / "bin" / "python", wheel],
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


# --------------------------------------------------------------------------------------------
# uv tool install: the way the README installs scaffold
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolInstall:
    """scaffold installed by ``uv tool install`` into its own tool environment under tmp."""

    bin_dir: Path
    tool_dir: Path
    env: dict[str, str]

    @property
    def cli(self) -> Path:
        return self.bin_dir / "scaffold"


@pytest.fixture(scope="module")
def tool_install(tmp_path_factory: pytest.TempPathFactory, tools: Any, wheel: Path) -> ToolInstall:
    """``uv tool install WHEEL`` with UV_TOOL_DIR and UV_TOOL_BIN_DIR in a temporary folder.

    The environment the CLI then runs in has no virtual environment of this test run on PATH
    (only the system's folders), so nothing can come from the test's own packages.
    """
    root = tmp_path_factory.mktemp("tool")
    bin_dir, tool_dir = root / "bin", root / "tools"
    system_path = os.pathsep.join(
        folder
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and not Path(folder, "activate").exists()  # no virtual environment's bin
    )
    env = tools.clean_env(
        UV_TOOL_DIR=str(tool_dir),
        UV_TOOL_BIN_DIR=str(bin_dir),
        PATH=os.pathsep.join([str(bin_dir), system_path]),
        HOME=str(root / "home"),  # no user config of this machine reaches the tool
        XDG_CACHE_HOME=str(root / "cache"),
    )
    env["UV_CACHE_DIR"] = os.environ.get("UV_CACHE_DIR") or _uv_cache_dir(tools)
    tools.run(
        [*tools.uv(), "tool", "install", "--python", sys.executable, wheel],
        cwd=root,
        env=env,
        timeout=INSTALL_TIMEOUT,
    )
    return ToolInstall(bin_dir=bin_dir, tool_dir=tool_dir, env=env)


def _uv_cache_dir(tools: Any) -> str:
    """The machine's uv cache, so the tool install does not download everything again."""
    proc = tools.run([*tools.uv(), "cache", "dir"], cwd=tools.repo_root, timeout=CLI_TIMEOUT)
    return proc.stdout.strip()


def test_uv_tool_install_gives_a_working_scaffold_command(
    tmp_path: Path, tools: Any, tool_install: ToolInstall
) -> None:
    assert tool_install.cli.is_file(), f"uv tool install made no {tool_install.cli}"
    listed = tools.run(
        [*tools.uv(), "tool", "list"], cwd=tmp_path, env=tool_install.env, timeout=CLI_TIMEOUT
    )
    assert listed.stdout.startswith(DISTRIBUTION), listed.stdout
    environment = tool_install.tool_dir / DISTRIBUTION
    assert environment.is_dir(), sorted(p.name for p in tool_install.tool_dir.iterdir())

    where = tools.run(
        [environment / "bin" / "python", "-c", "import scaffold; print(scaffold.__file__)"],
        cwd=tmp_path,
        env=tool_install.env,
        timeout=CLI_TIMEOUT,
    ).stdout.strip()
    assert Path(where).is_relative_to(environment), f"scaffold came from {where}"

    proc = tools.run(
        [tool_install.cli, "new", "demo", "--all", "--no-input", "-o", tmp_path, "--json"],
        cwd=tmp_path,
        env=tool_install.env,
        timeout=CLI_TIMEOUT,
    )
    report = json.loads(proc.stdout)
    project = tmp_path / "demo"
    assert Path(report["path"]) == project.resolve(), report["path"]
    assert (project / "demo" / "main.py").is_file(), sorted(tree(project))
    assert "uv sync" in (project / "README.md").read_text()


def test_blueprint_check_from_a_tool_install_makes_its_own_environment(
    tmp_path: Path, tools: Any, tool_install: ToolInstall
) -> None:
    """The tool environment has scaffold's dependencies only: no fastapi, httpx or pytest."""
    environment = tool_install.tool_dir / DISTRIBUTION
    lacking = tools.run(
        [
            environment / "bin" / "python",
            "-c",
            "import importlib.util as u; print([m for m in ('fastapi', 'httpx', 'pytest') "
            "if u.find_spec(m)])",
        ],
        cwd=tmp_path,
        env=tool_install.env,
        timeout=CLI_TIMEOUT,
    )
    assert lacking.stdout.strip() == "[]", f"the tool environment has {lacking.stdout}"

    tools.run(
        [tool_install.cli, "blueprint", "new", "greeter", "-o", tmp_path],
        cwd=tmp_path,
        env=tool_install.env,
        timeout=CLI_TIMEOUT,
    )
    argv = [tool_install.cli, "blueprint", "check", tmp_path / "greeter"]
    argv += ["--with", "tests", "--with", "websockets"]
    first = tools.run(argv, cwd=tmp_path, env=tool_install.env, timeout=INSTALL_TIMEOUT)
    assert "ok: every combination passes" in first.stdout, first.stdout
    assert "test environment: installing" in first.stderr, first.stderr  # progress, no tty
    assert "FAIL" not in first.stdout, first.stdout

    again = tools.run(argv, cwd=tmp_path, env=tool_install.env, timeout=INSTALL_TIMEOUT)
    assert "ok: every combination passes" in again.stdout, again.stdout
    assert "test environment:" not in again.stderr, f"not reused:\n{again.stderr}"
