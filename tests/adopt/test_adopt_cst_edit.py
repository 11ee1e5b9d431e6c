"""The libcst editor on its own: finding apps, and edits that keep every other byte."""

from __future__ import annotations

import difflib
import textwrap

import pytest

from scaffold.cst_edit import (
    AppEdits,
    AppKeyword,
    NewStatement,
    UnsafeAppError,
    edit_app_module,
    find_apps,
    parse,
)
from scaffold.edit.names import ImportName

LIFESPAN = AppKeyword("lifespan", "lifespan", (ImportName("app.lifespan", "lifespan"),), "lifespan")
ROUTER = NewStatement(
    "call", "app.include_router", ("websockets.router",), imports=(ImportName("app", "websockets"),)
)
CORS = NewStatement(
    "middleware",
    "app.add_middleware",
    ("CORSMiddleware", "allow_origins=get_settings().cors_origins"),
    key="CORSMiddleware",
    comment="Answer preflights.",
    imports=(
        ImportName("fastapi.middleware.cors", "CORSMiddleware"),
        ImportName("app.config", "get_settings"),
    ),
    blueprint="middleware",
)
MOUNT = NewStatement(
    "mount",
    "app.mount",
    ('"/static"', 'StaticFiles(directory="static")', 'name="static"'),
    key="/static",
    imports=(ImportName("fastapi.staticfiles", "StaticFiles"),),
    blueprint="static",
)


def edit(source: str, *statements: NewStatement, keywords: tuple[AppKeyword, ...] = ()) -> str:
    edits = AppEdits(statements=statements, keywords=keywords)
    result = edit_app_module(
        textwrap.dedent(source), origin="app/main.py", app="app", package="app", edits=edits
    )
    return result.code


def added_lines(before: str, after: str) -> list[str]:
    """Assert ``after`` only adds lines to ``before``; return the added lines."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    assert not [line for line in diff if line.startswith("- ")], "".join(diff)
    return [line[2:] for line in diff if line.startswith("+ ")]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("from fastapi import FastAPI\napp = FastAPI()\n", "app"),
        ("import fastapi\napi = fastapi.FastAPI(title='x')\n", "api"),
        ("import fastapi as fa\nserver = fa.FastAPI()\n", "server"),
        ("from fastapi import FastAPI as F\napp: F = F()\n", "app"),
        ("from fastapi.applications import FastAPI\napp = FastAPI()\n", "app"),
    ],
)
def test_finds_the_app_however_fastapi_is_imported(source: str, name: str) -> None:
    [found] = find_apps(parse(source, "m.py"))

    assert (found.name, found.problem) == (name, None)


def test_other_calls_named_fastapi_are_not_apps() -> None:
    source = "from mylib import FastAPI\napp = FastAPI()\n"

    assert find_apps(parse(source, "m.py")) == []


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("FastAPI()", "FastAPI(lifespan=lifespan)"),
        ('FastAPI(title="x")', 'FastAPI(title="x", lifespan=lifespan)'),
        ('FastAPI(title="x",)', 'FastAPI(title="x", lifespan=lifespan,)'),
        (
            'FastAPI(\n    title="x",  # the title\n    version="1",  # the version\n)',
            'FastAPI(\n    title="x",  # the title\n    version="1",  # the version\n'
            "    lifespan=lifespan,\n)",
        ),
        (
            'FastAPI(\n    title="x",  # the title\n    version="1"\n)',
            'FastAPI(\n    title="x",  # the title\n    version="1",\n    lifespan=lifespan\n)',
        ),
        ('FastAPI(\n    title="x",\n)', 'FastAPI(\n    title="x",\n    lifespan=lifespan,\n)'),
    ],
)
def test_a_keyword_is_added_in_the_layout_of_the_call(call: str, expected: str) -> None:
    source = f"from fastapi import FastAPI\n\napp = {call}\n"

    result = edit(source, keywords=(LIFESPAN,))

    assert result == (
        f"from fastapi import FastAPI\n\nfrom app.lifespan import lifespan\n\napp = {expected}\n"
    )
    assert edit(result, keywords=(LIFESPAN,)) == result


def test_statements_go_after_the_last_use_of_the_app_and_before_the_main_guard() -> None:
    source = '''\
        """The service."""

        import uvicorn
        from fastapi import FastAPI

        app = FastAPI()  # the app


        @app.get("/")
        def root():
            return {}


        def helper():
            return 1


        if __name__ == "__main__":
            uvicorn.run(app)
        '''

    result = edit(source, MOUNT, ROUTER)

    assert sorted(added_lines(textwrap.dedent(source), result)) == [
        "\n",
        "\n",
        "\n",
        "app.include_router(websockets.router)\n",
        'app.mount("/static", StaticFiles(directory="static"), name="static")\n',
        "from app import websockets\n",
        "from fastapi.staticfiles import StaticFiles\n",
    ]
    imports = (
        "import uvicorn\nfrom fastapi import FastAPI\nfrom fastapi.staticfiles import StaticFiles\n"
    )
    assert result.index(imports + "\nfrom app import websockets\n\napp = FastAPI()") > 0
    assert '    return {}\n\n\napp.mount("/static"' in result
    assert "app.include_router(websockets.router)\n\n\ndef helper():" in result


def test_windows_newlines_and_tabs_are_kept() -> None:
    source = "from fastapi import FastAPI\r\n\r\napp = FastAPI()\r\n\r\nif True:\r\n\tx = 1\r\n"
    guarded = NewStatement(
        "middleware",
        "app.add_middleware",
        ("GZipMiddleware",),
        key="GZipMiddleware",
        guard="get_settings().gzip",
    )

    result = edit(source, guarded)

    assert "\n" not in result.replace("\r\n", "")
    assert "if get_settings().gzip:\r\n\tapp.add_middleware(GZipMiddleware)\r\n" in result


def test_relative_imports_of_the_same_name_are_reused() -> None:
    source = """\
        from fastapi import FastAPI

        from .config import get_settings

        app = FastAPI()
        """
    cors = NewStatement(
        "call",
        "app.state.x",
        (),
        imports=(ImportName("app.config", "get_settings"),),
    )

    result = edit(source, cors)

    assert result.count("get_settings") == 1
    assert "app.state.x()" in result


def test_the_owners_middleware_of_the_same_class_is_kept() -> None:
    source = """\
        from fastapi import FastAPI
        from starlette.middleware.cors import CORSMiddleware

        app = FastAPI()
        app.add_middleware(CORSMiddleware, allow_origins=["*"])
        """
    edits = AppEdits(statements=(CORS,))

    result = edit_app_module(
        textwrap.dedent(source), origin="app/main.py", app="app", package="app", edits=edits
    )

    assert result.code == textwrap.dedent(source)
    assert result.notes == [
        "app/main.py already adds CORSMiddleware (line 5); kept yours, so the 'middleware' "
        "blueprint's own does not apply"
    ]


def test_on_startup_in_the_call_blocks_a_lifespan() -> None:
    source = "from fastapi import FastAPI\n\napp = FastAPI(on_startup=[print])\n"

    with pytest.raises(UnsafeAppError, match=r"FastAPI\(on_startup=...\) at line 3"):
        edit(source, keywords=(LIFESPAN,))


def test_a_different_keyword_value_is_refused() -> None:
    source = "from fastapi import FastAPI\n\napp = FastAPI(debug=True)\n"
    debug = AppKeyword("debug", "False", blueprint="quiet")

    with pytest.raises(UnsafeAppError) as raised:
        edit(source, keywords=(debug,))

    assert str(raised.value) == (
        "FastAPI(...) in app/main.py (line 3) already has debug=True; the 'quiet' blueprint "
        "needs debug=False"
    )


def test_nothing_wanted_changes_nothing() -> None:
    source = "from fastapi import FastAPI\n\napp = FastAPI()  # keep me\n"

    assert edit(source) == source
