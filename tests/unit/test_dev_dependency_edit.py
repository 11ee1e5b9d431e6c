"""Development requirements go where the owner keeps theirs, and come out again byte for byte."""

from __future__ import annotations

import tomllib

import pytest

from scaffold.dev_dependency_edit import add_dev_requirements, remove_dev_requirements

WANTED = ["anyio>=4", "httpx>=0.27", "pytest>=8"]
HEAD = '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = ["fastapi>=0.115"]\n'


def _reader(files: dict[str, str]):
    def read(path: str) -> bytes | None:
        return files[path].encode() if path in files else None

    return read


def _round_trip(files: dict[str, str]) -> tuple[str, str]:
    """Add, then take out again; return the file written and its content after adding."""
    addition = add_dev_requirements(_reader(files), WANTED)
    assert addition.path is not None
    assert addition.content is not None
    assert addition.added == WANTED
    added = addition.content.decode()
    removal = remove_dev_requirements(_reader(files | {addition.path: added}), addition.added)
    assert removal.path == addition.path
    assert removal.content is not None
    assert removal.content.decode() == files[addition.path]  # byte for byte
    return addition.path, added


PEP_735 = (
    HEAD + '\n[dependency-groups]\nlint = ["ruff"]  # the linter\ntest = [\n    "coverage",\n]\n'
)
POETRY = (
    '[tool.poetry]\nname = "svc"\n\n[tool.poetry.dependencies]\npython = "^3.11"\n\n'
    '[tool.poetry.group.dev.dependencies]\nmypy = "^1"\n'
)
PDM = HEAD + '\n[tool.pdm.dev-dependencies]\ntest = ["coverage"]\n'
EXTRA = HEAD.replace("\n", "\n\n[project.optional-dependencies]\ndev = ['coverage']\n", 1)


@pytest.mark.parametrize(
    ("files", "path", "where"),
    [
        ({"pyproject.toml": PEP_735}, "pyproject.toml", ("dependency-groups", "test")),
        (
            {"pyproject.toml": HEAD + "\n[dependency-groups]\nlint = []\n"},
            "pyproject.toml",
            ("dependency-groups", "dev"),
        ),
        (
            {"pyproject.toml": POETRY},
            "pyproject.toml",
            ("tool", "poetry", "group", "dev", "dependencies"),
        ),
        ({"pyproject.toml": PDM}, "pyproject.toml", ("tool", "pdm", "dev-dependencies", "test")),
        ({"pyproject.toml": EXTRA}, "pyproject.toml", ("project", "optional-dependencies", "dev")),
        (
            {"pyproject.toml": HEAD, "uv.lock": "version = 1\n"},
            "pyproject.toml",
            ("dependency-groups", "dev"),
        ),
        (
            {"pyproject.toml": HEAD, "requirements-dev.txt": "-r requirements.txt\nmypy\n"},
            "requirements-dev.txt",
            None,
        ),
        ({"requirements/test.txt": "coverage\n"}, "requirements/test.txt", None),
    ],
)
def test_development_requirements_go_where_the_owner_keeps_theirs(
    files: dict[str, str], path: str, where: tuple[str, ...] | None
) -> None:
    written, added = _round_trip(files)

    assert written == path
    if where is None:
        assert added.splitlines()[-3:] == WANTED
        return
    data = tomllib.loads(added)
    for key in where:
        data = data[key]
    names = list(data) if isinstance(data, dict) else [item.split(">")[0] for item in data]
    assert {"anyio", "httpx", "pytest"} <= set(names)
    assert "# the linter" in added or "# the linter" not in files[path]  # comments stay


def test_a_requirement_the_project_names_anywhere_is_not_added_again() -> None:
    files = {
        "pyproject.toml": HEAD.replace('"fastapi>=0.115"', '"fastapi>=0.115", "httpx==0.28.1"')
        + '\n[dependency-groups]\ndev = ["pytest==8.3"]\n'
    }

    addition = add_dev_requirements(_reader(files), WANTED)

    assert addition.added == ["anyio>=4"]


def test_without_a_place_the_owner_is_told_what_to_install() -> None:
    addition = add_dev_requirements(_reader({"pyproject.toml": HEAD}), WANTED)

    assert addition.path is None
    assert addition.notes == [
        "no place for development requirements (a [dependency-groups] table, a Poetry or PDM "
        "dev group, a test extra or requirements-dev.txt): install these yourself: "
        "anyio>=4, httpx>=0.27, pytest>=8"
    ]


def test_an_item_the_owner_changed_stays() -> None:
    files = {"pyproject.toml": HEAD + '\n[dependency-groups]\ndev = ["pytest>=8.3", "anyio>=4"]\n'}

    removal = remove_dev_requirements(_reader(files), ["pytest>=8", "anyio>=4"])

    assert removal.content is not None
    assert tomllib.loads(removal.content.decode())["dependency-groups"]["dev"] == ["pytest>=8.3"]
