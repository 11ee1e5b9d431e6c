"""Fixtures for ``scaffold adopt`` and for changing adopted projects.

The project under test is the FastAPI docs' "Bigger Applications" layout, written into
``tmp_path`` (see :data:`BIGGER_APPLICATION`). The CLI, the cache, the terminal and the
helpers for files, errors and snapshots come from tests/conftest.py; this suite names some of
them its own way (``files``, ``error_of``) and snapshots files only.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import sysconfig
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
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


@pytest.fixture
def files(file_tree: Callable[[Path, Mapping[str, Any]], Path]) -> Callable[..., Path]:
    """Write files under a folder: ``files(root, {path: text or bytes})`` (text is dedented)."""
    return file_tree


@pytest.fixture
def main_py() -> str:
    """The original ``app/main.py`` of the project."""
    return MAIN_PY


@pytest.fixture
def bigger_files() -> dict[str, str]:
    """The files of the "Bigger Applications" project."""
    return dict(BIGGER_APPLICATION)


@pytest.fixture
def bigger(tmp_path: Path, file_tree: Callable[[Path, Mapping[str, Any]], Path]) -> Path:
    """A fresh copy of the "Bigger Applications" project, not adopted yet."""
    return file_tree(tmp_path / "bigger", BIGGER_APPLICATION)


@pytest.fixture
def adopted(bigger: Path, cli: Callable[..., Result]) -> Path:
    """The "Bigger Applications" project, adopted."""
    result = cli("adopt", "-C", bigger)
    assert result.exit_code == 0, result.output
    return bigger


@pytest.fixture
def snapshot(snapshot: Callable[..., dict[str, bytes | None]]) -> Callable[..., dict[str, Any]]:
    """Every file under a folder with its bytes: no folders, and no ``__pycache__``."""
    return functools.partial(snapshot, folders=False, ignore=("__pycache__",))


@pytest.fixture
def error_of(error_line: Callable[[Result], str]) -> Callable[[Result], str]:
    """Assert the CLI failed with exit 2 and one line on stderr; return the line after 'error: '."""

    def check(result: Result) -> str:
        assert result.exit_code == 2, (result.exit_code, result.output)
        return error_line(result).removeprefix("error: ")

    return check


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


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment (no pip) that sees this interpreter's packages through a .pth."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120
    )
    site = folder / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    (site / "scaffold-test-parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return folder


@pytest.fixture
def python_in() -> Callable[[Path, str], str]:
    """The :func:`run_python` helper."""
    return run_python


def _run_owners_pytest(project: Path) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    return completed.stdout


@pytest.fixture
def owners_pytest() -> Callable[[Path], str]:
    """Run the adopted project's own pytest in a subprocess; assert it passes; return stdout."""
    return _run_owners_pytest
