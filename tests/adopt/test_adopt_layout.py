"""What scaffold writes into an owner's module passes the owner's ruff, at the owner's width.

The lines scaffold inserts are rendered in ruff's default style, but a merged
``from x import A, B, C`` can outgrow the line, a factory's body indents them one level
further, and owners configure ruff (or only black) their own way. Whatever the configuration,
after adding every blueprint the module passes ``ruff check`` (isort and line length included)
and ``ruff format --check`` under it, the app still serves, and removing the blueprints again
gives the owner's module back byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.adopt.test_adopt_factory import EXERCISE, FACTORY_PROJECT, HOSTS

BLUEPRINTS = ("websockets", "middleware", "static", "lifespan")
PYPROJECT_HEAD = FACTORY_PROJECT["pyproject.toml"].split("[tool.ruff]")[0]

# (case, the owner's tool configuration, the width it means, ruff options for the checks)
CONFIGURATIONS = [
    pytest.param("", 88, [], id="no-configuration"),
    pytest.param("[tool.ruff]\nline-length = 72\n", 72, [], id="ruff-72"),
    pytest.param(
        '[tool.ruff]\nline-length = 80\n\n[tool.ruff.format]\nquote-style = "single"\n',
        80,
        [],
        id="ruff-80-single-quotes",
    ),
    pytest.param(  # every line of every file scaffold writes, prose included, fits 79
        '[tool.ruff]\nline-length = 79\n\n[tool.ruff.lint]\nextend-select = ["E501", "I"]\n',
        79,
        [],
        id="ruff-79-selects-E501",
    ),
    pytest.param(
        "[tool.black]\nline-length = 79\n",
        79,
        ["--line-length", "79"],
        id="black-79",
    ),
]


def _owner_files(tools: str) -> dict[str, str]:
    files = FACTORY_PROJECT | {"pyproject.toml": PYPROJECT_HEAD + tools}
    if 'quote-style = "single"' in tools:  # the owner's own lines follow their style too
        main = files["app/main.py"].replace('"svc"', "'svc'").replace('"/docs"', "'/docs'")
        items = files["app/routers/items.py"].replace('"', "'")
        files |= {"app/main.py": main, "app/routers/items.py": items}
    return files


def _ruff(project: Path, *arguments: str, path: str = "app") -> subprocess.CompletedProcess[str]:
    ruff = Path(sys.executable).parent / "ruff"
    return subprocess.run(
        [ruff, *arguments, "--no-cache", path],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(("tools", "width", "options"), CONFIGURATIONS)
def test_added_blueprints_pass_the_owners_ruff_and_come_out_again(
    tmp_path, files, cli, cli_json, python_in, tools: str, width: int, options: list[str]
) -> None:
    tree = _owner_files(tools)
    main_py = tree["app/main.py"]
    project = files(tmp_path / "svc", tree)
    assert _ruff(project, "format", "--check", *options).returncode == 0  # the owner's is clean
    assert cli("adopt", "-C", project).exit_code == 0

    for blueprint in BLUEPRINTS:
        hosts = HOSTS if blueprint == "middleware" else ()
        code, report = cli_json("add", blueprint, *hosts, "-C", project)
        assert code == 0, report

    main = (project / "app/main.py").read_text()
    assert max(len(line) for line in main.splitlines()) <= width, main
    lint = _ruff(project, "check", *options)  # the owner's rules, over every file
    assert lint.returncode == 0, lint.stdout
    # Line length and import order too, in the module scaffold edited, whatever the owner
    # selects (the new modules are held to E501 where the owner's lint selects it).
    lint = _ruff(project, "check", "--extend-select", "E501,I", *options, path="app/main.py")
    assert lint.returncode == 0, lint.stdout
    layout = _ruff(project, "format", "--check", "--diff", *options)
    assert layout.returncode == 0, layout.stdout
    assert python_in(project, EXERCISE).splitlines() == ["['a'] True 200", "hi"]

    for blueprint in reversed(BLUEPRINTS):
        code, report = cli_json("remove", blueprint, "-C", project)
        assert code == 0, report
    assert (project / "app/main.py").read_text() == main_py
