"""adopt + add on the layouts of public FastAPI apps tried for #9, each rebuilt small here.

* A repository that keeps its FastAPI project in ``backend/`` (its ``pyproject.toml``, its
  ``.venv``, settings that read the repository's ``../.env``) beside a frontend, under a root
  ``pyproject.toml`` that only holds a uv workspace: adopted from the root, the app is imported
  in ``backend/.venv`` from ``backend/``, and requirements go into ``backend/pyproject.toml``.
* A project with its own Compose file: the docker blueprint's ``compose.yaml`` would take its
  place (Compose reads ``compose.yaml`` first), so it is refused.
* A settings class that fails at import is named by its exception's line, not by the link
  pydantic prints last.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from scaffold.verify import exception_line

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

BACKEND_APP = """\
from pathlib import Path

from fastapi import FastAPI

# As pydantic-settings' env_file="../.env": the repository's .env, read from backend/.
SETTINGS = dict(line.split("=", 1) for line in Path("../.env").read_text().split())

app = FastAPI(title=SETTINGS["PROJECT_NAME"])


@app.get("/api/v1/items")
async def items():
    return []
"""

ROOT_PYPROJECT = '[tool.uv.workspace]\nmembers = ["backend"]\n'
BACKEND_PYPROJECT = """\
[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [
    "fastapi>=0.115",
]

[dependency-groups]
dev = [
    "pytest>=8",
]
"""


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".venv" not in path.parts and "__pycache__" not in path.parts
    }


@pytest.fixture
def monorepo(
    tmp_path: Path,
    shared_venv: Path,
    file_tree: Callable[[Path, Mapping[str, Any]], Path],
    cli: Callable[..., Any],
) -> Path:
    """A repository with its FastAPI project in ``backend/``, adopted from its root."""
    root = file_tree(
        tmp_path / "repo",
        {
            "pyproject.toml": ROOT_PYPROJECT,
            ".env": "PROJECT_NAME=Full-Stack\n",
            "frontend/package.json": "{}\n",
            "backend/pyproject.toml": BACKEND_PYPROJECT,
            "backend/app/__init__.py": "",
            "backend/app/main.py": BACKEND_APP,
            "backend/tests/__init__.py": "",
            "backend/tests/conftest.py": "import pytest\n",
        },
    )
    (root / "backend" / ".venv").symlink_to(shared_venv, target_is_directory=True)
    result = cli("adopt", "-C", root)
    assert result.exit_code == 0, result.output
    return root


def test_an_app_in_a_backend_folder_is_verified_and_given_requirements_there(
    monorepo: Path, cli: Callable[..., Any]
) -> None:
    before = _files(monorepo)

    result = cli("add", "websockets", "tests", "-C", monorepo)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    # imported in backend/.venv from backend/, where ../.env is the repository's .env
    assert "verified with backend/.venv/bin/python: the app imports" in said
    assert "requirements added to backend/pyproject.toml: websockets>=12" in said
    backend = (monorepo / "backend/pyproject.toml").read_text()
    assert '"websockets>=12"' in backend
    assert '"anyio>=4"' in backend  # in the backend's dev group, beside its pytest
    assert (monorepo / "pyproject.toml").read_text() == ROOT_PYPROJECT
    assert "anyio_backend" in (monorepo / "backend/tests/conftest.py").read_text()

    result = cli("remove", "websockets", "tests", "-C", monorepo)

    assert result.exit_code == 0, result.output
    after = {path: content for path, content in _files(monorepo).items()}
    assert {p: c for p, c in after.items() if not p.startswith(".scaffold/")} == {
        p: c for p, c in before.items() if not p.startswith(".scaffold/")
    }


def test_a_change_that_breaks_an_app_in_a_backend_folder_is_refused(
    monorepo: Path, cli: Callable[..., Any]
) -> None:
    assert cli("add", "lifespan", "-C", monorepo).exit_code == 0
    # A module of the owner's, which the app imports, uses the blueprint's module, which remove
    # deletes: only importing the app in backend/.venv from backend/ can tell.
    (monorepo / "backend/app/timing.py").write_text("from app.lifespan import wrap_lifespan\n")
    main = monorepo / "backend/app/main.py"
    main.write_text("import app.timing  # noqa: F401\n" + main.read_text())
    before = _files(monorepo)

    result = cli("remove", "lifespan", "-C", monorepo)

    assert result.exit_code == 1, result.output
    assert _files(monorepo) == before
    message = " ".join(result.stderr.split())
    assert "no longer imports with backend/.venv/bin/python" in message
    assert "ModuleNotFoundError: No module named 'app.lifespan'" in message


@pytest.mark.parametrize("compose", ["compose.yml", "docker-compose.yml", "docker-compose.yaml"])
def test_docker_is_refused_beside_the_owners_compose_file(
    adopted: Path, cli: Callable[..., Any], compose: str
) -> None:
    (adopted / compose).write_text("services:\n  api:\n    build: .\n")
    before = _files(adopted)

    result = cli("add", "docker", "-C", adopted)

    assert result.exit_code == 2, result.output
    assert _files(adopted) == before
    message = " ".join(result.stderr.split())
    assert (
        f"writes compose.yaml, which would take the place of your {compose}: Docker Compose "
        "reads compose.yaml first" in message
    )


PYDANTIC_TRACEBACK = """\
/app/core/config.py:75: UserWarning: The value of SECRET_KEY is "changethis"
  warnings.warn(message, stacklevel=1)
Traceback (most recent call last):
  File "<string>", line 1, in <module>
  File "/app/core/config.py", line 120, in <module>
    settings = Settings()
pydantic_core._pydantic_core.ValidationError: 2 validation errors for Settings
PROJECT_NAME
  Field required [type=missing, input_value={}, input_type=dict]
    For further information visit https://errors.pydantic.dev/2.14/v/missing
"""


@pytest.mark.parametrize(
    ("stderr", "line"),
    [
        (
            PYDANTIC_TRACEBACK,
            "pydantic_core._pydantic_core.ValidationError: 2 validation errors for Settings",
        ),
        (
            "Traceback (most recent call last):\n  File 'x', line 1\nKeyError: 'A'\n\nDuring "
            "handling of the above exception, another exception occurred:\n\nTraceback (most "
            "recent call last):\n  File 'x', line 3\nRuntimeError: no A\n",
            "RuntimeError: no A",
        ),
        ("Killed\n", "Killed"),
        ("", "no output"),
    ],
)
def test_an_import_error_is_named_by_its_exception_line(stderr: str, line: str) -> None:
    assert exception_line(stderr) == line
