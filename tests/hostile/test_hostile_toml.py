"""The owner's ``pyproject.toml`` written the ways TOML allows: a change keeps every byte of it.

``add websockets`` puts one requirement into ``[project] dependencies``; the owner's array may
hold two requirements on a line, comments naming a dependency, single-quoted and literal
strings (with ``]`` inside), a URL with ``#sha256=``, and arrays in other tables. The result is
valid TOML, holds every owner line, and gains the requirement exactly once.
"""

from __future__ import annotations

import tomllib

import pytest

pytestmark = pytest.mark.timeout(120)

OWNER_ARRAYS = {
    "two on a line": '    "orjson>=3.9", "ujson>=5",\n',
    "a comment naming a dependency": '    "orjson>=3.9",  # not websockets: we pin it elsewhere\n',
    "single quotes": "    'orjson>=3.9',\n",
    "a literal string with ]": "    'weird[extra]>=1; python_version > \"3.8\"',\n",
    "a URL with #sha256": (
        '    "pkg @ https://example.com/pkg-1.0.tar.gz#sha256=' + "0" * 64 + '",\n'
    ),
}


@pytest.mark.parametrize("owner", list(OWNER_ARRAYS))
def test_the_owners_dependency_array_survives_add(project, cli, owner) -> None:
    root = project()
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text().replace(
        "dependencies = [\n", "dependencies = [\n" + OWNER_ARRAYS[owner], 1
    )
    pyproject.write_text(text)

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    after = pyproject.read_text()
    data = tomllib.loads(after)  # still valid TOML
    for line in OWNER_ARRAYS[owner].splitlines():
        assert line.strip().rstrip(",") in after, (line, after)
    requirements = data["project"]["dependencies"]
    assert sum(r.startswith("websockets") for r in requirements) == 1, requirements


def test_arrays_in_other_tables_are_left_alone(project, cli) -> None:
    root = project()
    pyproject = root / "pyproject.toml"
    # The owner's own group goes into the generated [dependency-groups] table (uv's dev group).
    lint = "lint = ['ruff>=0.6', \"mypy>=1\"]  # the owner's\n"
    owner = '\n[tool.hatch.envs.default]\ndependencies = ["coverage[toml]>=7"]\n'
    text = pyproject.read_text()
    assert "[dependency-groups]\n" in text
    text = text.replace("[dependency-groups]\n", "[dependency-groups]\n" + lint, 1)
    pyproject.write_text(text + owner)

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    after = pyproject.read_text()
    assert after.endswith(owner)
    assert lint in after
    data = tomllib.loads(after)
    assert data["dependency-groups"]["lint"] == ["ruff>=0.6", "mypy>=1"]
    assert data["tool"]["hatch"]["envs"]["default"]["dependencies"] == ["coverage[toml]>=7"]
    assert any(r.startswith("websockets") for r in data["project"]["dependencies"])
