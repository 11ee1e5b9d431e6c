"""Names the owner already has: scaffold's modules and imports go under other names.

A module a blueprint writes whole (``app/config.py``) goes to ``app/scaffold_config.py`` when
the owner has their own, and everything that imports it follows; a name the owner's app module
binds (their ``get_settings``, ``StaticFiles``) is imported under an alias. ``remove`` takes
both out again, byte for byte. Also here: every blocker of a command in one message, the
owner's import lines given back byte for byte, and the note about a stale ``uv.lock``.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

HOSTS = ("-O", 'middleware.allowed_hosts=["testserver"]')

OWNERS_CONFIG = """\
TITLE = "Owner's app"


def get_settings() -> dict[str, str]:
    return {"title": TITLE}
"""

OWNERS_MAIN = """\
from fastapi import FastAPI

from app.config import TITLE, get_settings

app = FastAPI(title=TITLE)


@app.get("/owner")
def owner() -> dict[str, str]:
    return get_settings()
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _commit(root: Path) -> None:
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "step")


@pytest.fixture
def owns_config(tmp_path: Path, files, cli) -> Path:
    """An adopted app with its own ``app/config.py`` and ``get_settings``, in git."""
    root = files(
        tmp_path / "owner",
        {
            "app/__init__.py": "",
            "app/config.py": OWNERS_CONFIG,
            "app/main.py": OWNERS_MAIN,
            "requirements.txt": "fastapi>=0.115\n",
        },
    )
    _git(root, "init", "-q")
    _commit(root)
    assert cli("adopt", "-C", root).exit_code == 0
    _commit(root)
    return root


def test_a_taken_module_name_goes_under_scaffold_prefix(
    owns_config: Path, cli, snapshot, python_in
) -> None:
    before = snapshot(owns_config, ignore=("__pycache__", ".git"))

    result = cli("add", "middleware", "websockets", *HOSTS, "-C", owns_config)

    assert result.exit_code == 0, result.output
    assert (owns_config / "app/config.py").read_text() == OWNERS_CONFIG
    assert "class Settings(BaseSettings)" in (owns_config / "app/scaffold_config.py").read_text()
    websockets = (owns_config / "app/scaffold_websockets.py").read_text()
    assert "from app.scaffold_config import Settings, get_settings\n" in websockets
    main = (owns_config / "app/main.py").read_text()
    # their get_settings stays theirs; scaffold's is imported under an alias and used so
    assert "from app.config import TITLE, get_settings\n" in main
    assert "from app.scaffold_config import get_settings as scaffold_get_settings\n" in main
    assert "app.state.settings = scaffold_get_settings()\n" in main
    assert "minimum_size=scaffold_get_settings().gzip_minimum_size" in main
    memory = json.loads((owns_config / ".scaffold/adopted.json").read_text())
    assert memory["modules"] == {
        "app.config": "app.scaffold_config",
        "app.websockets": "app.scaffold_websockets",  # the library's name: never scaffold's
    }
    assert "app.scaffold_config:get_settings as scaffold_get_settings" in memory["imports"]
    python_in(
        owns_config,
        """
        from fastapi.testclient import TestClient

        from app.main import app

        with TestClient(app) as client:
            response = client.get("/owner")
            assert response.json() == {"title": "Owner's app"}, response.text
            assert response.headers["x-request-id"]
            assert client.get("/owner", headers={"host": "evil.example"}).status_code == 400
            with client.websocket_connect("/ws") as socket:
                socket.send_text("x")
                assert "x" in socket.receive_text()
        """,
    )
    _commit(owns_config)

    result = cli("remove", "middleware", "websockets", "settings", "-C", owns_config)

    assert result.exit_code == 0, result.output
    assert snapshot(owns_config, ignore=("__pycache__", ".git")) == before


def test_the_chosen_name_stays_when_the_owner_drops_theirs(owns_config: Path, cli) -> None:
    assert cli("add", "settings", "-C", owns_config).exit_code == 0
    _commit(owns_config)
    (owns_config / "app/config.py").unlink()
    main = owns_config / "app/main.py"
    main.write_text(
        main.read_text()
        .replace("from app.config import TITLE, get_settings\n", 'TITLE = "t"\n')
        .replace("    return get_settings()", '    return {"title": TITLE}')
    )
    _commit(owns_config)
    memory = (owns_config / ".scaffold/adopted.json").read_bytes()

    update = cli("update", "-C", owns_config)
    add = cli("add", "websockets", "-C", owns_config)

    assert update.exit_code == 0, update.output
    assert add.exit_code == 0, add.output
    assert not (owns_config / "app/config.py").exists()
    websockets = owns_config / "app/scaffold_websockets.py"
    assert "app.scaffold_config import" in websockets.read_text()
    after = json.loads((owns_config / ".scaffold/adopted.json").read_text())
    assert json.loads(memory)["modules"] == {"app.config": "app.scaffold_config"}
    assert after["modules"] == {
        "app.config": "app.scaffold_config",
        "app.websockets": "app.scaffold_websockets",
    }
    # the alias stays too, though nothing of the owner's is called get_settings any more
    assert "get_settings as scaffold_get_settings" in main.read_text()


def test_an_owners_module_where_scaffold_writes_a_package(
    tmp_path: Path, files, cli, python_in
) -> None:
    root = files(
        tmp_path / "routes",
        {
            "app/__init__.py": "",
            "app/routes.py": """\
                from fastapi import APIRouter

                router = APIRouter()


                @router.get("/mine")
                def mine() -> str:
                    return "mine"
                """,
            "app/main.py": """\
                from fastapi import FastAPI

                from app import routes

                app = FastAPI()
                app.include_router(routes.router)
                """,
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "settings", "-O", "settings.info_route=true", "-C", root)

    # app/routes/info.py would make a package app/routes that hides the owner's app/routes.py
    assert result.exit_code == 0, result.output
    assert (root / "app/scaffold_routes/info.py").is_file()
    assert (root / "app/scaffold_routes/__init__.py").is_file()
    assert not (root / "app/routes").exists()
    main = (root / "app/main.py").read_text()
    assert "from app.scaffold_routes import info\n" in main
    python_in(
        root,
        """
        from fastapi.testclient import TestClient

        from app.main import app

        client = TestClient(app)
        assert client.get("/mine").json() == "mine"
        assert client.get("/info").json()["app_name"] == "routes"
        """,
    )


def test_an_owners_class_of_the_same_name_is_aliased(
    tmp_path: Path, files, cli, snapshot, python_in
) -> None:
    root = files(
        tmp_path / "static",
        {
            "app/__init__.py": "",
            "app/main.py": """\
                from fastapi import FastAPI


                class StaticFiles:
                    \"\"\"The owner's own, nothing to do with Starlette's.\"\"\"


                app = FastAPI()


                def build():
                    return StaticFiles()
                """,
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0
    before = snapshot(root)

    result = cli("add", "static", "-C", root)

    assert result.exit_code == 0, result.output
    main = (root / "app/main.py").read_text()
    assert "from fastapi.staticfiles import StaticFiles as ScaffoldStaticFiles\n" in main
    assert "    ScaffoldStaticFiles(directory=Path(__file__).parent / " in main
    python_in(
        root,
        """
        from fastapi.testclient import TestClient

        from app import main

        assert main.build().__doc__.startswith("The owner's own")
        assert TestClient(main.app).get("/static/css/app.css").status_code == 200
        """,
    )

    assert cli("remove", "static", "-C", root).exit_code == 0
    assert snapshot(root) == before


def test_a_factory_local_name_is_aliased(tmp_path: Path, files, cli, python_in) -> None:
    root = files(
        tmp_path / "factory",
        {
            "app/__init__.py": "",
            "app/main.py": """\
                from fastapi import FastAPI


                def create_app() -> FastAPI:
                    get_settings = {"debug": True}.get
                    application = FastAPI(debug=get_settings("debug"))
                    return application


                app = create_app()
                """,
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "settings", "-C", root)

    assert result.exit_code == 0, result.output
    main = (root / "app/main.py").read_text()
    assert "from app.config import get_settings as scaffold_get_settings\n" in main
    assert "    application.state.settings = scaffold_get_settings()\n" in main
    python_in(root, "from app.main import app\nassert app.state.settings.app_name\n")


def test_every_blocker_of_a_command_in_one_message(
    tmp_path: Path, files, cli, snapshot, error_of
) -> None:
    root = files(
        tmp_path / "blocked",
        {
            "app/__init__.py": "",
            "app/main.py": "from fastapi import FastAPI\n\nkw = {}\napp = FastAPI(**kw)\n",
            "compose.yaml": "services: {}\n",
            "tests/conftest.py": "from os.path import *\n",
            "tests/test_x.py": "def test_x():\n    pass\n",
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0
    before = snapshot(root)

    message = error_of(cli("add", "docker", "tests", "middleware", "sdk", "-C", root))

    assert snapshot(root) == before
    blockers = message.split("; ")
    assert len(blockers) == 4, message
    assert blockers[0].startswith("the middleware blueprint's HostCheckMiddleware answers 400")
    assert blockers[1].startswith("compose.yaml already exists and is not scaffold's")
    assert blockers[2].startswith("tests/conftest.py imports * from os.path")
    assert blockers[3].startswith("app/main.py: FastAPI(...) at line 4 passes **kw,")


IMPORT_SHAPES = {
    "one per line": "from app import (\n    other,\n    zeta,\n)",
    "one per line, no trailing comma": "from app import (\n    other\n)",
    "parenthesized": "from app import (other, zeta)",
    "commented": "from app import (  # mine\n    other,  # first\n    zeta,  # last\n)",
    "commented, appended": "from app import (  # mine\n    other,  # first\n    vv,  # last\n)",
    "relative": "from . import (\n    other,\n)",
    "trailing comma": "from app import (other,)",
}


@pytest.mark.parametrize("shape", IMPORT_SHAPES.values(), ids=IMPORT_SHAPES.keys())
def test_an_extended_import_line_comes_back_byte_for_byte(
    tmp_path: Path, files, cli, shape: str
) -> None:
    original = f"from fastapi import FastAPI\n\n{shape}\n\napp = FastAPI(title=str(other.X))\n"
    modules = {f"app/{name}.py": "X = 1\n" for name in ("other", "vv", "zeta")}
    root = files(tmp_path / "imports", {"app/__init__.py": "", **modules})
    (root / "app/main.py").write_text(original)
    assert cli("adopt", "-C", root).exit_code == 0

    assert cli("add", "websockets", "-C", root).exit_code == 0
    added = (root / "app/main.py").read_text()
    assert cli("remove", "websockets", "-C", root).exit_code == 0

    assert (root / "app/main.py").read_text() == original
    assert "websockets" in added.partition("app = ")[0]
    # the owner's comment after a name stays with that name only
    for comment in ("# first", "# last"):
        assert added.count(comment) == original.count(comment)
    assert ",websockets" not in added


PYPROJECT = """\
[project]
name = "locked"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.115"]
"""


@pytest.fixture
def locked(tmp_path: Path, files, cli) -> Path:
    root = files(
        tmp_path / "locked",
        {
            "app/__init__.py": "",
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
            "pyproject.toml": PYPROJECT,
            "uv.lock": 'version = 1\nrequires-python = ">=3.11"\n',
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0
    return root


STALE = "uv.lock is out of date"


def test_a_stale_uv_lock_is_named_with_the_command(locked: Path, cli_json) -> None:
    lock = (locked / "uv.lock").read_bytes()

    code, report = cli_json("add", "websockets", "-C", locked)

    assert code == 0, report
    notes = [note for note in report["notes"] if note.startswith(STALE)]
    assert notes == [
        "uv.lock is out of date: this changes the dependencies in pyproject.toml; run "
        "`uv lock` (or `uv sync`) and commit uv.lock"
    ]
    assert (locked / "uv.lock").read_bytes() == lock  # said, not done: uv lock needs the index


def test_no_uv_lock_note_when_the_dependencies_stay(locked: Path, cli_json, files) -> None:
    files(locked, {"requirements.txt": "fastapi>=0.115\n"})  # where requirements go instead
    (locked / "pyproject.toml").write_text(PYPROJECT.replace("dependencies", "# dependencies"))

    code, report = cli_json("add", "websockets", "-C", locked)

    assert code == 0, report
    assert "websockets>=12" in (locked / "requirements.txt").read_text()
    assert not [note for note in report["notes"] if note.startswith(STALE)]


def test_a_generated_projects_stale_uv_lock_is_named(tmp_path: Path, cli, cli_json) -> None:
    assert cli("new", "svc", "--no-input", "-b", "settings", "-o", tmp_path).exit_code == 0
    root = tmp_path / "svc"
    (root / "uv.lock").write_text("version = 1\n")

    code, report = cli_json("add", "websockets", "-C", root)
    _, nothing = cli_json("update", "-C", root)

    assert code == 0, report
    assert any(note.startswith(STALE) for note in report["notes"]), report["notes"]
    assert not any(note.startswith(STALE) for note in nothing["notes"]), nothing["notes"]


def test_a_module_scaffold_left_the_owner_is_taken_back(owns_config: Path, cli) -> None:
    """Not renamed when the owner's file is what scaffold writes: no copy beside it."""
    main = owns_config / "app/main.py"
    assert cli("add", "middleware", *HOSTS, "-C", owns_config).exit_code == 0
    main.write_text(main.read_text() + "\nfrom app import middleware  # noqa: E402\n")
    _commit(owns_config)
    assert cli("remove", "middleware", "-C", owns_config).exit_code == 0
    kept = (owns_config / "app/middleware.py").read_bytes()  # the owner's now: main imports it
    _commit(owns_config)

    result = cli("add", "middleware", *HOSTS, "-C", owns_config)

    assert result.exit_code == 0, result.output
    assert not (owns_config / "app/scaffold_middleware.py").exists()
    assert (owns_config / "app/middleware.py").read_bytes() == kept
    memory = json.loads((owns_config / ".scaffold/adopted.json").read_text())
    assert memory["modules"] == {"app.config": "app.scaffold_config"}


def test_a_recorded_module_name_outside_the_convention_is_refused(
    owns_config: Path, cli, error_of
) -> None:
    assert cli("add", "settings", "-C", owns_config).exit_code == 0
    memory = owns_config / ".scaffold/adopted.json"
    data = json.loads(memory.read_text())
    data["modules"] = {"app.config": "app.__init__"}  # would write config.py over the marker
    memory.write_text(json.dumps(data))

    message = error_of(cli("update", "-C", owns_config, "--allow-dirty"))

    assert message.startswith(".scaffold/adopted.json is damaged (ValueError: bad module name")


@pytest.mark.parametrize(
    "installed",
    [
        {".venv/pyvenv.cfg": "home = /usr\n", ".venv/lib/python3.12/site-packages/lifespan/x": ""},
        {"uv.lock": 'version = 1\n\n[[package]]\nname = "lifespan"\nversion = "1.0"\n'},
        {"requirements.txt": "fastapi>=0.115\nLifeSpan==1.0\n"},
    ],
    ids=["venv", "lock", "requirement"],
)
def test_a_library_the_project_has_is_never_a_blueprint_modules_name(
    tmp_path: Path, files, cli, installed: dict[str, str]
) -> None:
    root = files(
        tmp_path / "svc",
        {
            "app/__init__.py": "",
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
            "requirements.txt": "fastapi>=0.115\n",
            **installed,
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "lifespan", "-C", root)

    assert result.exit_code == 0, result.output
    assert not (root / "app/lifespan.py").exists()
    assert "from app.scaffold_lifespan import wrap_lifespan" in (root / "app/main.py").read_text()
    assert "would hide the lifespan library" in " ".join(result.stdout.split())


def test_a_blueprint_module_written_before_keeps_its_name(owns_config: Path, cli) -> None:
    """A module scaffold wrote under a name that is now a library's stays where it is."""
    assert cli("add", "lifespan", "-C", owns_config).exit_code == 0
    _commit(owns_config)
    (owns_config / "requirements.txt").write_text("fastapi>=0.115\nlifespan\n")
    _commit(owns_config)

    result = cli("update", "-C", owns_config)

    assert result.exit_code == 0, result.output
    assert (owns_config / "app/lifespan.py").is_file()
    assert not (owns_config / "app/scaffold_lifespan.py").exists()
