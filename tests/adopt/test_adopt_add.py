"""``scaffold add`` in an adopted project: the owner's app module is edited, never regenerated."""

from __future__ import annotations

import re
import subprocess
import tomllib
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

# The allowed hosts, which an adopted app must name (testserver: the host TestClient sends).
HOSTS = ("-O", 'middleware.allowed_hosts=["testserver"]')
# Not templates: its GET / would never answer behind the docs' own @app.get("/"), so add refuses
# it here (tests/adopt/test_adopt_refusals.py adds and removes it in an app without one).
EVERYTHING = ("static", "websockets", "middleware", "lifespan")


def lines_in_order(original: str, edited: str) -> None:
    """Assert every line of ``original`` is in ``edited``, in the same order."""
    remaining = iter(edited.splitlines())
    for line in original.splitlines():
        assert any(candidate == line for candidate in remaining), f"lost or moved: {line!r}"


def ruff_parses(project: Path) -> None:
    from scaffold.format import ruff_binary

    completed = subprocess.run(
        [ruff_binary(), "check", "--no-cache", "--select", "E9,F63,F7,F82", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture
def everything(adopted: Path, cli) -> Path:
    """The adopted project with every blueprint an adopted project can take."""
    result = cli("add", *EVERYTHING, *HOSTS, "-C", adopted)
    assert result.exit_code == 0, result.output
    return adopted


def test_add_keeps_every_line_and_comment_of_main(everything: Path, main_py: str) -> None:
    main = (everything / "app/main.py").read_text()

    # Not even the app's line changes: the lifespan wraps the app's own one.
    lines_in_order(main_py, main)
    assert "app = FastAPI(dependencies=[Depends(get_query_token)])" in main
    assert "app.router.lifespan_context = wrap_lifespan(app.router.lifespan_context)" in main
    assert "# Every route needs ?token=jessica (see dependencies.py)." in main
    assert '    return {"message": "Hello Bigger Applications!"}  # the docs\' greeting' in main
    assert "from app.lifespan import wrap_lifespan" in main
    assert "app.include_router(scaffold_websockets.router)" in main
    assert 'app.mount(\n    "/static",' in main
    ruff_parses(everything)


MIDDLEWARE_INNERMOST_FIRST = (
    "Compress",
    "CORS",
    "HTTPSRedirect",
    "HostCheck",
    "RequestContext",
)


def middleware_positions(main: str) -> list[int]:
    """Where each middleware is added, innermost (added first) to outermost."""
    return [
        re.search(rf"app\.add_middleware\(\s*{name}Middleware\b", main).start()  # type: ignore[union-attr]
        for name in MIDDLEWARE_INNERMOST_FIRST
    ]


def test_middleware_is_added_innermost_first(everything: Path) -> None:
    main = (everything / "app/main.py").read_text()

    positions = middleware_positions(main)

    assert positions == sorted(positions)
    assert (
        "if get_settings().https_redirect:\n    app.add_middleware(HTTPSRedirectMiddleware)" in main
    )
    # Outermost, so every response carries the request ID: the contribution's own comment.
    assert "# Outermost, so every response (even a refused one) carries X-Request-ID" in main


def test_the_adopted_app_works(everything: Path, python_in) -> None:
    output = python_in(
        everything,
        """
        from fastapi.testclient import TestClient

        from app.main import app

        with TestClient(app) as client:
            users = client.get("/users/", params={"token": "jessica"})
            assert users.status_code == 200, users.text
            assert users.json() == [{"username": "Rick"}, {"username": "Morty"}]
            assert users.headers["x-request-id"]
            root = client.get("/", params={"token": "jessica"})
            assert root.json() == {"message": "Hello Bigger Applications!"}, "owner's / first"
            css = client.get("/static/css/app.css")
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            assert client.get("/users/", headers={"host": "evil.example"}).status_code == 400
            with client.websocket_connect("/ws?token=jessica") as socket:
                socket.send_text("hello")
                assert socket.receive_json() == {"type": "echo", "text": "hello"}
            assert app.state.http_client is not None
        print("ok")
        """,
    )

    assert output.strip() == "ok"


def test_adding_again_changes_nothing(everything: Path, cli, snapshot) -> None:
    before = snapshot(everything)

    result = cli("add", *EVERYTHING, *HOSTS, "-C", everything)

    assert result.exit_code == 0, result.output
    assert "Nothing to change" in result.stdout
    assert snapshot(everything) == before
    assert cli("update", "-C", everything).exit_code == 0
    assert snapshot(everything) == before


def test_new_files_requirements_and_record(everything: Path) -> None:
    for path in (
        "app/scaffold_websockets.py",  # not websockets: the library's name
        "app/middleware.py",
        "app/config.py",
        "app/lifespan.py",
        "app/static/css/app.css",
        ".env.example",
    ):
        assert (everything / path).is_file(), path
    assert not (everything / "pyproject.toml").exists()
    assert not (everything / "tests").exists()
    # settings' public GET /info would change the owner's OpenAPI: off unless asked for
    assert not (everything / "app/routes").exists()
    requirements = (everything / "requirements.txt").read_text().splitlines()
    assert requirements[0] == "fastapi[standard]>=0.115"
    assert set(requirements[1:]) == {
        "httpx>=0.27",
        "pydantic-settings>=2.3",
        "websockets>=12",
    }
    record = tomllib.loads((everything / ".scaffold/project.toml").read_text())
    assert record["adopted"]["module"] == "app/main.py"
    assert record["blueprints"]["settings"]["automatic"] is True
    assert record["blueprints"]["settings"]["options"]["info_route"] is False


def test_one_at_a_time_gives_the_same_main(adopted: Path, everything_copy: Path, cli) -> None:
    for name in ("websockets", "static", "lifespan", "middleware"):
        result = cli("add", name, *(HOSTS if name == "middleware" else ()), "-C", adopted)
        assert result.exit_code == 0, result.output

    main = (adopted / "app/main.py").read_text()
    together = (everything_copy / "app/main.py").read_text()
    assert statements(main) == statements(together)
    positions = middleware_positions(main)
    assert positions == sorted(positions)
    ruff_parses(adopted)


def statements(main: str) -> set[str]:
    """The lines of a module, blank lines and imports aside (their grouping may differ)."""
    return {line for line in main.splitlines() if line.strip() and not line.startswith("from ")}


@pytest.fixture
def everything_copy(tmp_path: Path, files, cli, bigger_files) -> Path:
    root = files(tmp_path / "copy", bigger_files)
    assert cli("adopt", "-C", root).exit_code == 0
    assert cli("add", *EVERYTHING, *HOSTS, "-C", root).exit_code == 0
    return root


def test_dry_run_shows_the_edit_and_writes_nothing(adopted: Path, cli, snapshot) -> None:
    before = snapshot(adopted)

    result = cli("add", "static", "--dry-run", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert "+app.mount(" in result.stdout
    assert snapshot(adopted) == before


def test_requirements_go_into_pyproject(adopted: Path, cli, files) -> None:
    (adopted / "requirements.txt").unlink()
    head = '[project]\nname = "bigger"\ndependencies = [\n    "fastapi",  # web\n'
    files(adopted, {"pyproject.toml": head + "]\n"})

    assert cli("add", "websockets", "-C", adopted).exit_code == 0

    assert (adopted / "pyproject.toml").read_text() == head + '    "websockets>=12",\n]\n'


def test_without_a_requirements_file_the_owner_is_told(adopted: Path, cli) -> None:
    (adopted / "requirements.txt").unlink()

    result = cli("add", "websockets", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert "add these requirements yourself: websockets>=12" in " ".join(result.stdout.split())
    assert not (adopted / "requirements.txt").exists()


# --- refusals at add time: exit 2, one line saying why, nothing written -----------------------


def _refused(project: Path, cli, snapshot, error_of, *blueprints: str) -> str:
    before = snapshot(project)
    message = error_of(cli("add", *blueprints, "-C", project))
    assert snapshot(project) == before
    return message


def test_a_name_the_owner_uses_is_not_shadowed(adopted: Path, cli, python_in) -> None:
    main = adopted / "app/main.py"
    main.write_text(
        main.read_text().replace(
            "from .routers import items, users",
            "from .routers import items, users\nfrom .routers import users as websockets",
        )
    )

    result = cli("add", "websockets", "-C", adopted)

    # scaffold's module is scaffold_websockets (the library's name is never taken); the
    # owner's websockets is still their users
    assert result.exit_code == 0, result.output
    edited = main.read_text()
    assert "from app import scaffold_websockets\n" in edited
    assert "app.include_router(scaffold_websockets.router)\n" in edited
    python_in(
        adopted,
        """
        from fastapi.testclient import TestClient

        from app import main

        assert main.websockets.__name__ == "app.routers.users"
        with TestClient(main.app) as client:
            assert client.get("/users/me", params={"token": "jessica"}).status_code == 200
            with client.websocket_connect("/ws?token=jessica") as socket:
                socket.send_text("x")
                assert "x" in socket.receive_text()
        """,
    )


def test_a_file_of_the_owner_is_not_overwritten(
    adopted: Path, cli, snapshot, error_of, files
) -> None:
    files(adopted, {"compose.yaml": "services: {}\n"})

    message = _refused(adopted, cli, snapshot, error_of, "middleware", "docker")

    # every blocker at once: the hosts scaffold cannot guess, and the file it cannot write
    # (a module of the package would go under another name: tests/adopt/test_adopt_names.py)
    hosts, _, message = message.partition("; ")
    assert hosts.startswith("the middleware blueprint's HostCheckMiddleware answers 400")
    assert message == (
        "compose.yaml already exists and is not scaffold's, but a blueprint you chose writes its "
        "own compose.yaml (move or rename yours, or leave that blueprint out)"
    )


def test_an_app_changed_since_adoption_is_refused(adopted: Path, cli, snapshot, error_of) -> None:
    main = adopted / "app/main.py"
    main.write_text(main.read_text() + "\napp = CustomWrapper(app)\n")

    message = _refused(adopted, cli, snapshot, error_of, "static")

    assert message == (
        "cannot edit the app in app/main.py: 'app' is bound again at line 26 after FastAPI(...) "
        "at line 8, so scaffold cannot tell which object serves"
    )


def test_src_layout_files_land_in_the_package(tmp_path: Path, cli, files, python_in) -> None:
    root = files(
        tmp_path / "svc",
        {
            "src/svc/__init__.py": "",
            "src/svc/api.py": "from fastapi import FastAPI\n\napi = FastAPI(title='svc')\n",
        },
    )
    assert cli("adopt", "-C", root).exit_code == 0

    result = cli("add", "static", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    assert (root / "src/svc/static/css/app.css").is_file()
    assert (root / "src/svc/scaffold_websockets.py").is_file()
    assert not (root / "svc").exists()
    output = python_in(
        root / "src",
        """
        from fastapi.testclient import TestClient

        from svc.api import api

        with TestClient(api) as client:
            assert client.get("/static/css/app.css").status_code == 200
            with client.websocket_connect("/ws") as socket:
                socket.send_text("x")
                print(socket.receive_json()["text"])
        """,
    )
    assert output.strip() == "x"


def test_status_and_check_work_in_an_adopted_project(everything: Path, cli) -> None:
    status = cli("status", "-C", everything, "--json")
    check = cli("check", "-C", everything)

    assert status.exit_code == 0, status.output
    assert "Every generated file is as scaffold wrote it" in cli("status", "-C", everything).stdout
    assert check.exit_code == 0, check.output

    (everything / "app/scaffold_websockets.py").write_text("# mine now\n")
    edited = cli("status", "-C", everything).stdout
    assert "app/scaffold_websockets.py" in edited
