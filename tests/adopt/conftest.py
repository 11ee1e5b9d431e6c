"""Fixtures for ``scaffold adopt`` and for changing adopted projects.

The project under test is the FastAPI docs' "Bigger Applications" layout, written into
``tmp_path`` (see :data:`BIGGER_APPLICATION`). Helpers are fixtures, not an importable module, so
this folder never clashes with the other suites on module names.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from click.testing import Result

APP_TIMEOUT = 60  # seconds for a subprocess importing and exercising the adopted app

MAIN_PY = """\
from fastapi import Depends, FastAPI

from .dependencies import get_query_token, get_token_header
from .internal import admin
from .routers import items, users

# Every route needs ?token=jessica (see dependencies.py).
app = FastAPI(dependencies=[Depends(get_query_token)])


app.include_router(users.router)
app.include_router(items.router)
app.include_router(
    admin.router,
    prefix="/admin",
    tags=["admin"],
    dependencies=[Depends(get_token_header)],
    responses={418: {"description": "I'm a teapot"}},
)


@app.get("/")
async def root():
    return {"message": "Hello Bigger Applications!"}  # the docs' greeting
"""

BIGGER_APPLICATION: dict[str, str] = {
    "app/__init__.py": "",
    "app/main.py": MAIN_PY,
    "app/dependencies.py": """\
        from typing import Annotated

        from fastapi import Header, HTTPException


        async def get_token_header(x_token: Annotated[str, Header()]):
            if x_token != "fake-super-secret-token":
                raise HTTPException(status_code=400, detail="X-Token header invalid")


        async def get_query_token(token: str):
            if token != "jessica":
                raise HTTPException(status_code=400, detail="No Jessica token provided")
        """,
    "app/routers/__init__.py": "",
    "app/routers/items.py": """\
        from fastapi import APIRouter, Depends, HTTPException

        from ..dependencies import get_token_header

        router = APIRouter(
            prefix="/items",
            tags=["items"],
            dependencies=[Depends(get_token_header)],
            responses={404: {"description": "Not found"}},
        )


        fake_items_db = {"plumbus": {"name": "Plumbus"}, "gun": {"name": "Portal Gun"}}


        @router.get("/")
        async def read_items():
            return fake_items_db


        @router.get("/{item_id}")
        async def read_item(item_id: str):
            if item_id not in fake_items_db:
                raise HTTPException(status_code=404, detail="Item not found")
            return {"name": fake_items_db[item_id]["name"], "item_id": item_id}
        """,
    "app/routers/users.py": """\
        from fastapi import APIRouter

        router = APIRouter()


        @router.get("/users/", tags=["users"])
        async def read_users():
            return [{"username": "Rick"}, {"username": "Morty"}]


        @router.get("/users/me", tags=["users"])
        async def read_user_me():
            return {"username": "fakecurrentuser"}


        @router.get("/users/{username}", tags=["users"])
        async def read_user(username: str):
            return {"username": username}
        """,
    "app/internal/__init__.py": "",
    "app/internal/admin.py": """\
        from fastapi import APIRouter

        router = APIRouter()


        @router.post("/")
        async def update_admin():
            return {"message": "Admin getting schwifty"}
        """,
    "requirements.txt": "fastapi[standard]>=0.115\n",
}


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep scaffold's compiled-template cache out of the developer's home folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path_factory.mktemp("scaffold-cache")))
        yield


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix the terminal so that messages are one line and free of colour codes."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("_TYPER_FORCE_DISABLE_TERMINAL", "1")
    for variable in ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH"):
        monkeypatch.delenv(variable, raising=False)
    from scaffold import console

    console.err_console.cache_clear()
    console.out_console.cache_clear()


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` under ``root``: text is dedented, bytes are written as they are."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def files() -> Callable[[Path, Mapping[str, str | bytes]], Path]:
    """The :func:`write_tree` helper."""
    return write_tree


@pytest.fixture
def main_py() -> str:
    """The original ``app/main.py`` of the project."""
    return MAIN_PY


@pytest.fixture
def bigger_files() -> dict[str, str]:
    """The files of the "Bigger Applications" project."""
    return dict(BIGGER_APPLICATION)


@pytest.fixture
def bigger(tmp_path: Path) -> Path:
    """A fresh copy of the "Bigger Applications" project, not adopted yet."""
    return write_tree(tmp_path / "bigger", BIGGER_APPLICATION)


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke ``scaffold`` in-process; stdout and stderr are captured separately."""
    from scaffold.cli import app

    runner = CliRunner()

    def invoke(*args: object) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def adopted(bigger: Path, cli: Callable[..., Result]) -> Path:
    """The "Bigger Applications" project, adopted."""
    result = cli("adopt", "-C", bigger)
    assert result.exit_code == 0, result.output
    return bigger


def snapshot_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (caches aside)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes]]:
    """The :func:`snapshot_tree` helper."""
    return snapshot_tree


def only_error(result: Result) -> str:
    """Assert the CLI failed with exit 2 and one line on stderr; return the line after 'error: '."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0].removeprefix("error: ")


@pytest.fixture
def error_of() -> Callable[[Result], str]:
    """The :func:`only_error` helper."""
    return only_error


def run_python(project: Path, code: str) -> str:
    """Run ``code`` with this interpreter in ``project`` (imports its package); return stdout."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed.stdout


@pytest.fixture
def python_in() -> Callable[[Path, str], str]:
    """The :func:`run_python` helper."""
    return run_python
