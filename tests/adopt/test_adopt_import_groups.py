"""Imports scaffold adds go into the owner's isort groups, and come out again byte for byte."""

from __future__ import annotations

import subprocess
import textwrap
from typing import TYPE_CHECKING

import pytest

from scaffold.cst_edit import (
    AppEdits,
    NewStatement,
    Revision,
    edit_app_module,
    revise_app_module,
)
from scaffold.edit.names import ImportName

if TYPE_CHECKING:
    from pathlib import Path

MOUNT = NewStatement(
    "mount",
    "app.mount",
    ('"/static"', 'StaticFiles(directory=Path("static"))', 'name="static"'),
    key="/static",
    imports=(ImportName("pathlib", "Path"), ImportName("fastapi.staticfiles", "StaticFiles")),
)
ROUTER = NewStatement(
    "call", "app.include_router", ("websockets.router",), imports=(ImportName("app", "websockets"),)
)
SETTINGS = NewStatement(
    "assign",
    "app.state.settings",
    ("get_settings()",),
    imports=(ImportName("app.config", "get_settings"),),
)
CASES = {
    "sections": (
        '''\
        """The service."""

        from fastapi import FastAPI

        from .routers import items

        app = FastAPI()
        ''',
        '''\
        """The service."""

        from pathlib import Path

        from fastapi import FastAPI
        from fastapi.staticfiles import StaticFiles

        from app import websockets
        from app.config import get_settings

        from .routers import items

        app = FastAPI()
        ''',
    ),
    "merged into the owner's statements": (
        """\
        import os
        from pathlib import PurePath

        from fastapi import (
            Depends,
            FastAPI,
        )
        from fastapi.staticfiles import StaticFiles as Files

        from . import other
        from .config import Settings

        app = FastAPI()
        """,
        """\
        import os
        from pathlib import Path, PurePath

        from fastapi import (
            Depends,
            FastAPI,
        )
        from fastapi.staticfiles import StaticFiles
        from fastapi.staticfiles import StaticFiles as Files

        from . import other, websockets
        from .config import Settings, get_settings

        app = FastAPI()
        """,
    ),
    "sorted within a section": (
        """\
        import sys
        from collections import deque
        from typing import Any

        import fastapi
        from anyio import sleep
        from starlette.types import ASGIApp

        app = fastapi.FastAPI()
        """,
        """\
        import sys
        from collections import deque
        from pathlib import Path
        from typing import Any

        import fastapi
        from anyio import sleep
        from fastapi.staticfiles import StaticFiles
        from starlette.types import ASGIApp

        from app import websockets
        from app.config import get_settings

        app = fastapi.FastAPI()
        """,
    ),
}


def edit(source: str) -> str:
    edits = AppEdits(statements=(SETTINGS, MOUNT, ROUTER))
    return edit_app_module(source, origin="app/main.py", app="app", package="app", edits=edits).code


def imports_of(code: str) -> str:
    """The module up to the app: the import block."""
    return code[: code.index("app = ")]


@pytest.mark.parametrize("case", CASES)
def test_imports_go_into_their_groups(case: str) -> None:
    source, expected = (textwrap.dedent(text) for text in CASES[case])

    result = edit(source)

    assert imports_of(result) == imports_of(expected)
    assert result.startswith(expected)


@pytest.mark.parametrize("case", CASES)
def test_ruff_agrees_with_the_order(case: str, tmp_path: Path) -> None:
    from scaffold.format import ruff_binary

    source = textwrap.dedent(CASES[case][0])
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/main.py").write_text(imports_of(edit(source)))

    completed = subprocess.run(
        [ruff_binary(), "check", "--no-cache", "--isolated", "--select", "I", "app/main.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout


@pytest.mark.parametrize("case", CASES)
def test_taking_the_statements_out_gives_the_module_back(case: str) -> None:
    source = textwrap.dedent(CASES[case][0])
    edited = edit(source)
    wanted = (SETTINGS, MOUNT, ROUTER)
    imports = tuple(item for statement in wanted for item in statement.imports)
    revision = Revision(statements=tuple((s, None) for s in wanted), imports=imports)

    result = revise_app_module(
        edited, origin="app/main.py", app="app", package="app", revision=revision
    )

    assert result.code == source
    assert result.notes == []


def test_an_import_still_read_elsewhere_stays() -> None:
    source = "from fastapi import FastAPI\n\napp = FastAPI()\n"
    edited = edit(source) + "\nHERE = Path(__file__).parent\n"
    revision = Revision(statements=((MOUNT, None),), imports=MOUNT.imports)

    result = revise_app_module(
        edited, origin="app/main.py", app="app", package="app", revision=revision
    )

    assert "from pathlib import Path\n" in result.code
    assert "StaticFiles" not in result.code


def test_a_single_import_line_with_parentheses_takes_a_name() -> None:
    source = "from fastapi import (\n    FastAPI,\n)\n\napp = FastAPI()\n"
    statement = NewStatement(
        "call", "app.x", ("Depends",), imports=(ImportName("fastapi", "Depends"),)
    )
    edits = AppEdits(statements=(statement,))

    result = edit_app_module(source, origin="m.py", app="app", package="app", edits=edits)

    assert result.code.startswith("from fastapi import (\n    Depends,\n    FastAPI,\n)\n")
    revision = Revision(statements=((statement, None),), imports=statement.imports)
    back = revise_app_module(
        result.code, origin="m.py", app="app", package="app", revision=revision
    )
    assert back.code == source
