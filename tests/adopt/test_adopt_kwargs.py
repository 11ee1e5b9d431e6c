"""An app built as ``FastAPI(**settings.kwargs)`` in a factory, as real apps build theirs.

The shape of nsidnev/fastapi-realworld-example-app's ``get_application()``: the arguments come
from settings as a mapping. scaffold cannot see what the mapping holds, so it refuses only a
keyword it would add to that call (the sdk blueprint's ``generate_unique_id_function``), and
everything that goes through statements (routers, middleware, mounts, the lifespan) works.
"""

from __future__ import annotations

import pytest

from tests.adopt.test_adopt_factory import FACTORY_PROJECT

MAIN = """\
from fastapi import FastAPI

from app.routers import items


class Settings:
    title = "svc"

    @property
    def fastapi_kwargs(self) -> dict[str, object]:
        return {"title": self.title, "docs_url": "/docs"}


def get_application() -> FastAPI:
    settings = Settings()
    application = FastAPI(**settings.fastapi_kwargs)
    application.include_router(items.router)
    return application


app = get_application()
"""
# The owner's router, as in the factory tests; only the module building the app differs.
FILES = FACTORY_PROJECT | {"app/main.py": MAIN}
EXERCISE = """
from fastapi.testclient import TestClient
from app.main import app

with TestClient(app) as client:
    print(app.title, client.get("/items").json(), client.get("/static/css/app.css").status_code)
    with client.websocket_connect("/ws") as socket:
        socket.send_text("hi")
        print(socket.receive_json()["text"])
"""


@pytest.fixture
def project(tmp_path, files, cli):
    folder = files(tmp_path / "svc", FILES)
    result = cli("adopt", "-C", folder)
    assert result.exit_code == 0, result.output
    return folder


def test_statements_go_into_a_factory_whose_app_takes_kwargs(project, cli_json, python_in) -> None:
    for blueprint in ("websockets", "static", "lifespan"):
        code, report = cli_json("add", blueprint, "-C", project)
        assert code == 0, report

    main = (project / "app/main.py").read_text()
    assert "    application = FastAPI(**settings.fastapi_kwargs)\n" in main
    assert python_in(project, EXERCISE).splitlines() == ["svc ['a'] 200", "hi"]

    for blueprint in ("lifespan", "static", "websockets"):
        assert cli_json("remove", blueprint, "-C", project)[0] == 0
    assert (project / "app/main.py").read_text() == MAIN


def test_a_keyword_the_kwargs_may_hold_is_refused_and_nothing_is_written(
    project, cli, snapshot, error_of
) -> None:
    before = snapshot(project)

    result = cli("add", "sdk", "-C", project)

    assert error_of(result) == (
        "app/main.py: FastAPI(...) at line 16 passes **settings.fastapi_kwargs, which may already "
        "hold 'generate_unique_id_function', so scaffold cannot add generate_unique_id_function= "
        "for the 'sdk' blueprint (pass generate_unique_id_function=operation_id yourself, or "
        "leave that blueprint out)"
    )
    assert snapshot(project) == before
