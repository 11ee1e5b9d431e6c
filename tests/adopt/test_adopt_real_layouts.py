"""adopt + add on the layouts of public FastAPI apps tried for #9, each rebuilt small here.

* A repository that keeps its FastAPI project in ``backend/`` (its ``pyproject.toml``, its
  ``.venv``, settings that read the repository's ``../.env``) beside a frontend, under a root
  ``pyproject.toml`` that only holds a uv workspace: adopted from the root, the app is imported
  in ``backend/.venv`` from ``backend/``, and requirements go into ``backend/pyproject.toml``.
* A project with its own Compose file: the docker blueprint's ``compose.yaml`` would take its
  place (Compose reads ``compose.yaml`` first), so it is refused.
* A settings class that fails at import is named by its exception's line, not by the link
  pydantic prints last; a module a blueprint needs that the environment lacks is named with
  the requirements to install.
* fastapi-nano's: a factory including the owner's own ``auth`` router, a namespace package
  (``app/routes`` without ``__init__.py``), tests run from inside the package.
"""

from __future__ import annotations

import os
import subprocess
import sys
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

PLAIN_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"
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


# fastapi-nano's shape: a factory including the owner's ``auth`` router, from another module
# than the auth blueprint's ``auth``.
OWNERS_AUTH_FACTORY = """\
from fastapi import FastAPI

from app.core import auth
from app.routes import views


def create_app() -> FastAPI:
    app = FastAPI()
    app.include_router(auth.router)
    app.include_router(views.router)
    return app


app = create_app()
"""

ROUTER = "from fastapi import APIRouter\n\nrouter = APIRouter()\n"


def test_the_owners_router_under_a_blueprints_name_is_not_taken_for_the_blueprints(
    tmp_path: Path, file_tree: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    # No environment: before, add auth reported success with its router never included (it
    # took the owner's auth.router for its own). Now scaffold's router comes under an alias.
    project = file_tree(
        tmp_path / "svc",
        {
            "requirements.txt": "fastapi>=0.115\n",
            "app/__init__.py": "",
            "app/main.py": OWNERS_AUTH_FACTORY,
            "app/core/__init__.py": "",
            "app/core/auth.py": ROUTER,
            "app/routes/views.py": ROUTER,  # a namespace package: no __init__.py
        },
    )
    assert cli("adopt", "-C", project).exit_code == 0
    before = _files(project)

    result = cli("add", "auth", "-C", project)

    assert result.exit_code == 0, result.output
    main = (project / "app/main.py").read_text()
    assert "from app.core import auth\n" in main  # the owner's import and router stay
    assert "    app.include_router(auth.router)\n" in main
    assert "from app.routes import auth as scaffold_auth\n" in main
    assert "app.include_router(scaffold_auth.router)" in main
    removed = cli("remove", "auth", "settings", "-C", project)
    assert removed.exit_code == 0, removed.output
    assert _files(project) == before


def test_a_package_marker_scaffold_wrote_into_a_namespace_package_goes_with_it(
    tmp_path: Path, file_tree: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    main = OWNERS_AUTH_FACTORY.replace("from app.core import auth\n", "").replace(
        "    app.include_router(auth.router)\n", ""
    )
    project = file_tree(
        tmp_path / "svc",
        {
            "requirements.txt": "fastapi>=0.115\n",
            "app/__init__.py": "",
            "app/main.py": main,
            "app/routes/views.py": ROUTER,  # a namespace package: no __init__.py
        },
    )
    assert cli("adopt", "-C", project).exit_code == 0
    before = _files(project)
    assert cli("add", "auth", "-C", project).exit_code == 0
    assert (project / "app/routes/__init__.py").is_file()  # the blueprint's routes/auth.py

    result = cli("remove", "auth", "settings", "-C", project)

    # app/main.py still imports app.routes (views), which needs no __init__.py: it goes
    assert result.exit_code == 0, result.output
    assert "kept app/routes/__init__.py" not in " ".join(result.stdout.split())
    assert {p: c for p, c in _files(project).items() if not p.startswith(".scaffold/")} == {
        p: c for p, c in before.items() if not p.startswith(".scaffold/")
    }


def test_a_requirement_the_change_adds_that_the_environment_lacks_is_named(
    monorepo: Path, cli: Callable[..., Any], source: Any
) -> None:
    source.add(
        "absent",
        'dependencies = ["scaffold-test-absent>=1"]\n\n'
        '[[contribute.routers]]\nref = "{{ package }}.absent:router"\norder = 50\n',
        {"{{ package }}/absent.py": "import scaffold_test_absent  # noqa: F401\n" + ROUTER},
    )
    before = _files(monorepo)

    result = cli("add", "absent", "--source", source.root, "-C", monorepo)

    assert result.exit_code == 1, result.output
    assert _files(monorepo) == before
    message = " ".join(result.stderr.split())
    assert (
        "after this change the app in backend/app/main.py no longer imports with "
        "backend/.venv/bin/python (ModuleNotFoundError: No module named 'scaffold_test_absent'), "
        "which lacks requirements the change needs: scaffold-test-absent>=1; nothing was "
        "written" in message
    )
    assert "pip install 'scaffold-test-absent>=1'" in message


def test_the_database_fixtures_work_from_a_conftest_below_the_package(
    tmp_path: Path,
    shared_venv: Path,
    file_tree: Callable[..., Path],
    cli: Callable[..., Any],
) -> None:
    project = file_tree(
        tmp_path / "svc",
        {
            "requirements.txt": "fastapi>=0.115\n",
            "app/__init__.py": "",
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
            "app/tests/__init__.py": "",
            "app/tests/test_items.py": (
                "import pytest\n\npytestmark = pytest.mark.anyio\n\n\n"
                "async def test_items(db_client) -> None:\n"
                "    assert (await db_client.get('/items')).status_code == 200\n"
            ),
        },
    )
    (project / ".venv").symlink_to(shared_venv, target_is_directory=True)
    assert cli("adopt", "-C", project).exit_code == 0
    result = cli("add", "database", "tests", "-C", project)
    assert result.exit_code == 0, result.output
    conftest = project / "app/tests/conftest.py"
    assert "from app.config import Settings" in conftest.read_text()

    done = subprocess.run(
        [str(project / ".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project / "app",  # as fastapi-nano runs its tests, from its package
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_app_naming_a_module_whose_app_a_factory_elsewhere_builds_says_why_that_one_is_not(
    tmp_path: Path, file_tree: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    # FastAPI-boilerplate's shape: main.py calls a factory of core/setup.py with arguments.
    project = file_tree(
        tmp_path / "svc",
        {
            "requirements.txt": "fastapi>=0.115\n",
            "src/app/__init__.py": "",
            "src/app/main.py": (
                "from .api import router\nfrom .core.setup import create_application\n\n"
                "app = create_application(router=router)\n"
            ),
            "src/app/api.py": ROUTER,
            "src/app/core/__init__.py": "",
            "src/app/core/setup.py": (
                "from fastapi import APIRouter, FastAPI\n\n\n"
                "def create_application(router: APIRouter, **kwargs) -> FastAPI:\n"
                "    application = FastAPI(**kwargs)\n"
                "    application.include_router(router)\n"
                "    if kwargs.get('docs_url', '/docs') is not None:\n"
                "        return application\n"
                "    raise RuntimeError('no documentation')\n"
            ),
        },
    )
    before = _files(project)

    result = cli("adopt", "--app", "app.main:app", "-C", project)

    assert result.exit_code == 2, result.output
    assert _files(project) == before
    message = " ".join(result.stderr.split())
    assert "src/app/main.py has no FastAPI app named 'app'" in message
    assert (
        "the one in src/app/core/setup.py cannot be adopted: the app is built by "
        "create_application(), which does not end with return application at its own level "
        "(its last statement is 'raise RuntimeError('no documentation')')"
    ) in message


def test_the_pins_of_the_backend_folder_gate_what_is_added(
    tmp_path: Path,
    file_tree: Callable[[Path, Mapping[str, Any]], Path],
    cli: Callable[..., Any],
) -> None:
    """An old FastAPI pinned in backend/pyproject.toml refuses lifespan=, not only a root pin."""
    old = BACKEND_PYPROJECT.replace('"fastapi>=0.115"', '"fastapi==0.65.2"')
    root = file_tree(
        tmp_path / "repo",
        {
            "pyproject.toml": ROOT_PYPROJECT,
            "backend/pyproject.toml": old,
            "backend/app/__init__.py": "",
            "backend/app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        },
    )

    adopted = cli("adopt", "-C", root)

    assert adopted.exit_code == 0, adopted.output
    # adopt forecasts the refusal, from backend/'s pins
    assert "lifespan" in adopted.stderr.split("(raise them to add one):", 1)[1]
    before = _files(root)
    added = cli("add", "lifespan", "-C", root)
    assert added.exit_code == 2, added.output
    assert "backend/pyproject.toml" in " ".join(added.stderr.split())
    assert _files(root) == before


def test_workflows_below_the_repository_root_are_refused(
    tmp_path: Path,
    file_tree: Callable[[Path, Mapping[str, Any]], Path],
    cli: Callable[..., Any],
) -> None:
    """Adopted from backend/ of a repository, ci's workflow would sit where GitHub never looks."""
    root = file_tree(
        tmp_path / "repo",
        {
            "backend/pyproject.toml": BACKEND_PYPROJECT,
            "backend/app/__init__.py": "",
            "backend/app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        },
    )
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    backend = root / "backend"
    assert cli("adopt", "-C", backend, "--allow-dirty").exit_code == 0
    before = _files(root)

    added = cli("add", "ci", "-C", backend, "--allow-dirty")

    assert added.exit_code == 2, added.output
    said = " ".join(added.stderr.split())
    assert "GitHub runs only the workflows at the repository's root" in said
    assert f"scaffold adopt -C {root.resolve()}" in said
    assert _files(root) == before


def test_a_workspace_uv_lock_above_the_backend_folder_is_named_stale(
    monorepo: Path, cli: Callable[..., Any]
) -> None:
    (monorepo / "uv.lock").write_text("version = 1\n")  # uv's workspace lock, at the root

    result = cli("add", "websockets", "-C", monorepo)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "uv.lock is out of date: this changes the dependencies in backend/pyproject.toml" in said


@pytest.mark.timeout(120)
def test_verification_leaves_an_owners_named_pipe_alone(
    monorepo: Path, cli: Callable[..., Any]
) -> None:
    """Copying the project to import it must not open a FIFO: that would block for ever."""
    import os

    os.mkfifo(monorepo / "backend" / "events.pipe")

    result = cli("add", "websockets", "-C", monorepo)

    assert result.exit_code == 0, result.output
    assert "verified with backend/.venv/bin/python" in " ".join(result.stdout.split())
    assert (monorepo / "backend" / "events.pipe").is_fifo()


# --- quaternionmedia/moe: the package folder itself on sys.path -------------------------------

MOE_MAIN = """\
from config import WEB_DIST  # a bare sibling import: moe/ is on sys.path (WORKDIR /moe/moe)
from fastapi import FastAPI

app = FastAPI(title=WEB_DIST)
"""


def test_a_blueprint_module_never_hides_a_library_of_the_same_name(
    tmp_path: Path, file_tree: Callable[[Path, Mapping[str, Any]], Path], cli: Callable[..., Any]
) -> None:
    root = file_tree(
        tmp_path / "moe",
        {
            "moe/__init__.py": "",
            "moe/config.py": 'WEB_DIST = "dist"\n',
            "moe/main.py": MOE_MAIN,
            "requirements.txt": "fastapi>=0.115\nuvicorn[standard]\n",
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    assert not (root / "moe/websockets.py").exists()
    assert (root / "moe/scaffold_websockets.py").is_file()
    said = " ".join(result.stdout.split())
    assert "moe/scaffold_websockets.py" in said
    assert "would hide the websockets library" in said
    # as the Dockerfile runs it: from inside the package, the repository on PYTHONPATH
    code = "import moe.main, websockets; print(websockets.__version__)"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root / "moe",
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]


# --- pedronogs/timekeeper: requirements beside the app, in the app's own folder ---------------

TIMEKEEPER_MAIN = """\
from fastapi import FastAPI

from backend.routes import router

app = FastAPI()
app.include_router(router)
"""


def test_requirements_beside_the_app_module_in_its_own_folder_are_found(
    tmp_path: Path, file_tree: Callable[[Path, Mapping[str, Any]], Path], cli: Callable[..., Any]
) -> None:
    root = file_tree(
        tmp_path / "timekeeper",
        {
            "frontend/package.json": "{}\n",
            "backend/main.py": TIMEKEEPER_MAIN,
            "backend/routes.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
            "backend/requirements.txt": "fastapi\nuvicorn[standard]\n",
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "no requirements.txt" not in said
    assert "requirements added to backend/requirements.txt: websockets>=12" in said
    assert (root / "backend/requirements.txt").read_text().endswith("websockets>=12\n")
    assert not (root / "requirements.txt").exists()


# --- GuselnikovGeorgiy/fastapi_todo: Poetry's lock, also in backend/ ---------------------------

POETRY_PYPROJECT = """\
[tool.poetry]
name = "todo"
version = "0.1.0"
description = ""
authors = ["someone"]

[tool.poetry.dependencies]
python = "^3.11"
fastapi = ">=0.115"
"""


@pytest.mark.parametrize("folder", ["", "backend/"])
def test_a_stale_poetry_lock_is_named_with_the_command(
    tmp_path: Path,
    folder: str,
    file_tree: Callable[[Path, Mapping[str, Any]], Path],
    cli: Callable[..., Any],
) -> None:
    root = file_tree(
        tmp_path / "todo",
        {
            f"{folder}pyproject.toml": POETRY_PYPROJECT,
            f"{folder}poetry.lock": '# poetry\'s\n[metadata]\nlock-version = "2.0"\n',
            f"{folder}app/__init__.py": "",
            f"{folder}app/main.py": PLAIN_APP,
        },
    )
    lock = (root / f"{folder}poetry.lock").read_bytes()
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert (
        f"{folder}poetry.lock is out of date: this changes the dependencies in "
        f"{folder}pyproject.toml; run `poetry lock`"
    ) in said
    assert "uv.lock is out of date" not in said
    assert (root / f"{folder}poetry.lock").read_bytes() == lock  # said, not done


def test_a_stale_pdm_lock_is_named_with_the_command(
    tmp_path: Path, file_tree: Callable[[Path, Mapping[str, Any]], Path], cli: Callable[..., Any]
) -> None:
    pyproject = '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = ["fastapi>=0.115"]\n'
    root = file_tree(
        tmp_path / "svc",
        {
            "pyproject.toml": pyproject,
            "pdm.lock": '[metadata]\nlock_version = "4.4"\n',
            "app/__init__.py": "",
            "app/main.py": PLAIN_APP,
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "pdm.lock is out of date" in said
    assert "run `pdm lock`" in said
