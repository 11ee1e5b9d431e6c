"""An app built in a factory function is adopted, extended inside the factory, and restored.

The owner's module builds its app as scaffold's own ``create_app()`` does, under another
name inside the function (``application``), and binds ``app = create_app()``. Blueprints go
into the factory's body before its ``return``, keywords into its ``FastAPI(...)``, imports
into the module's groups; the app then serves the owner's routes and the blueprints'; taking
the blueprints out again gives the owner's module back byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# The allowed hosts, which an adopted app must name (testserver: the host TestClient sends).
HOSTS = ("-O", 'middleware.allowed_hosts=["testserver"]')
FACTORY_MAIN = '''\
"""The owner's service, built in a factory."""

from fastapi import FastAPI

from app.routers import items


def create_app() -> FastAPI:
    """Build the app."""
    application = FastAPI(title="svc", docs_url="/docs")
    # the owner's routes first
    application.include_router(items.router)
    return application


app = create_app()
'''

FACTORY_PROJECT = {
    "app/__init__.py": "",
    "app/main.py": FACTORY_MAIN,
    "app/routers/__init__.py": "",
    "app/routers/items.py": """\
        from fastapi import APIRouter

        router = APIRouter(tags=["items"])


        @router.get("/items")
        def items() -> list[str]:
            return ["a"]
        """,
    "pyproject.toml": """\
        [project]
        name = "svc"
        version = "0.1.0"
        requires-python = ">=3.11"
        dependencies = [
            "fastapi>=0.115",  # the web framework
        ]

        [tool.ruff]
        line-length = 100
        """,
}
BLUEPRINTS = ("websockets", "middleware", "static", "lifespan")
EXERCISE = """
from fastapi.testclient import TestClient
from app.main import app

with TestClient(app) as client:
    items = client.get("/items")
    css = client.get("/static/css/app.css").status_code
    print(items.json(), "x-request-id" in items.headers, css)
    with client.websocket_connect("/ws") as socket:
        socket.send_text("hi")
        print(socket.receive_json()["text"])
"""


@pytest.fixture
def factory_project(tmp_path, files, cli):
    project = files(tmp_path / "svc", FACTORY_PROJECT)
    result = cli("adopt", "-C", project)
    assert result.exit_code == 0, result.output
    assert "Adopted app/main.py:app" in result.stdout
    return project


def test_a_factory_built_app_is_extended_inside_its_factory_and_serves(
    factory_project, cli_json, python_in
) -> None:
    for blueprint in BLUEPRINTS:
        hosts = HOSTS if blueprint == "middleware" else ()
        code, report = cli_json("add", blueprint, *hosts, "-C", factory_project)
        assert code == 0, report

    main = (factory_project / "app/main.py").read_text()
    body = main.split("def create_app() -> FastAPI:\n", 1)[1]
    body = body.split("\n\n\napp = create_app()", 1)[0]
    assert body.rstrip().endswith("    return application")
    assert "    application.include_router(scaffold_websockets.router)\n" in body
    assert "application.add_middleware(RequestContextMiddleware)" in body
    assert 'FastAPI(title="svc", docs_url="/docs")' in body
    wrapped = "application.router.lifespan_context"
    assert f"    {wrapped} = wrap_lifespan({wrapped})\n" in body
    assert "app.include_router" not in body  # the factory's own name for the app, not the module's
    owner = body.index("application.include_router(items.router)")
    assert owner < body.index("application.include_router(scaffold_websockets.router)")
    assert "    # the owner's routes first\n" in body
    assert python_in(factory_project, EXERCISE).splitlines() == ["['a'] True 200", "hi"]
    ruff = Path(sys.executable).parent / "ruff"
    for arguments in (["check", "--no-cache", "app"], ["format", "--check", "--no-cache", "app"]):
        done = subprocess.run(
            [ruff, *arguments], cwd=factory_project, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout


def test_removing_the_blueprints_gives_the_factory_module_back_byte_for_byte(
    factory_project, cli_json
) -> None:
    for blueprint in BLUEPRINTS:
        hosts = HOSTS if blueprint == "middleware" else ()
        assert cli_json("add", blueprint, *hosts, "-C", factory_project)[0] == 0
    for blueprint in reversed(BLUEPRINTS):
        code, report = cli_json("remove", blueprint, "-C", factory_project)
        assert code == 0, report

    assert (factory_project / "app/main.py").read_text() == FACTORY_MAIN


def test_a_note_about_the_factorys_body_names_the_owners_line(factory_project, cli_json) -> None:
    assert cli_json("add", "middleware", *HOSTS, "-C", factory_project)[0] == 0
    main = factory_project / "app/main.py"
    gzip = "minimum_size=get_settings().gzip_minimum_size"
    assert gzip in main.read_text()
    main.write_text(main.read_text().replace(gzip, "minimum_size=10"))
    lines = main.read_text().splitlines()
    line = next(  # where the statement starts (it may be wrapped after its parenthesis)
        number
        for number, text in enumerate(lines, start=1)
        if "add_middleware(" in text and "CompressMiddleware" in text + lines[number]
    )

    code, report = cli_json("remove", "middleware", "settings", "-C", factory_project)

    assert code == 0, report
    [note] = [n for n in report["notes"] if "CompressMiddleware" in n]
    assert note.startswith(f"app/main.py (line {line}): kept your statement"), note
