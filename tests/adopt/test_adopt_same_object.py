"""An owner's import of the object a blueprint needs, from Starlette's module, is reused."""

from __future__ import annotations

MAIN = """\
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

app = FastAPI()
app.mount("/assets", StaticFiles(directory="app"), name="assets")
"""
EXERCISE = """
from fastapi.testclient import TestClient
from app.main import app

client = TestClient(app)
print(client.get("/static/css/app.css").status_code, client.get("/assets/main.py").status_code)
"""


def test_starlettes_staticfiles_is_reused_and_left_alone_on_remove(
    tmp_path, files, cli, python_in
) -> None:
    project = files(tmp_path / "svc", {"app/__init__.py": "", "app/main.py": MAIN})
    assert cli("adopt", "-C", project).exit_code == 0

    result = cli("add", "static", "-C", project)

    assert result.exit_code == 0, result.output
    main = (project / "app/main.py").read_text()
    assert main.count("import StaticFiles") == 1
    assert "fastapi.staticfiles" not in main
    assert python_in(project, EXERCISE).split() == ["200", "200"]

    assert cli("remove", "static", "-C", project).exit_code == 0
    assert (project / "app/main.py").read_text() == MAIN
