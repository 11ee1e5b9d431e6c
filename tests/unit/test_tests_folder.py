"""Where the owner's tests are: pytest's ``testpaths``, else where test files are found."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from scaffold import adopted_conftest

if TYPE_CHECKING:
    from pathlib import Path


def _project(root: Path, files: dict[str, str]) -> Any:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)

    def read(relative: str) -> bytes | None:
        path = root / relative
        return path.read_bytes() if path.is_file() else None

    return SimpleNamespace(root=root, read=read)


@pytest.mark.parametrize(
    ("files", "folder"),
    [
        ({}, "tests"),
        (
            {"pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["qa/unit", "qa"]\n'},
            "qa/unit",
        ),
        ({"pyproject.toml": '[tool.pytest]\ntestpaths = ["checks"]\n'}, "checks"),
        ({"pytest.ini": "[pytest]\ntestpaths =\n    it\n    other\n"}, "it"),
        (  # pytest.ini wins over pyproject.toml, as in pytest
            {
                "pytest.ini": "[pytest]\ntestpaths = a\n",
                "pyproject.toml": "[tool.pytest.ini_options]\ntestpaths = ['b']\n",
            },
            "a",
        ),
        ({"setup.cfg": "[tool:pytest]\ntestpaths = src/tests\n"}, "src/tests"),
        ({"tox.ini": "[pytest]\ntestpaths = t\n"}, "t"),
        ({"pytest.ini": "[pytest]\ntestpaths = ../elsewhere *_tests tests/test_x.py .\n"}, "tests"),
        ({"app/tests/test_items.py": ""}, "app/tests"),
        ({"backend/app/tests/conftest.py": ""}, "backend/app/tests"),
        ({"app/tests/test_a.py": "", "tests/readme.txt": ""}, "tests"),  # the root's comes first
        ({"a/tests/test_a.py": "", "b/tests/test_b.py": ""}, "tests"),  # two: neither is sure
        ({".venv/lib/tests/test_x.py": "", "node_modules/x/tests/test_y.py": ""}, "tests"),
    ],
)
def test_the_tests_folder(tmp_path: Path, files: dict[str, str], folder: str) -> None:
    assert adopted_conftest.tests_folder(_project(tmp_path, files)) == folder
