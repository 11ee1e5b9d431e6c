"""``scaffold new --from TEMPLATE``: a whole-project copier template is the project's foundation.

The template writes ``pyproject.toml``, README, ``.gitignore`` and a FastAPI app. It takes
base's place: the project holds the template's files as ``copier copy`` writes them, one app
(the template's), extended by the other blueprints through the adopted engine; then ``add``,
``check`` (outdated), ``update`` to the next tag (the template's change merged with the owner's
and scaffold's), ``check`` clean, and the app serves its own, the owner's and scaffold's routes
under uvicorn, over HTTP and a websocket.
"""

from __future__ import annotations

import contextlib
import shlex
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from click.testing import Result

pytestmark = pytest.mark.timeout(300)

COPIER_YML = """\
project_name:
  type: str
  help: The service's name
_answers_file: .copier-answers.yml
"""
ANSWERS = "{{ _copier_answers|to_nice_yaml }}\n"
PYPROJECT = """\
[project]
name = "{{ project_name }}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [{deps}]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
MAIN_V1 = """\
from fastapi import FastAPI

app = FastAPI(title="{{ project_name }}")


@app.get("/items")
def items() -> list[str]:
    return ["a"]
"""
MAIN_V2 = (
    MAIN_V1
    + '''

@app.get("/version")
def version() -> dict[str, str]:
    """Added by the template's release 1.1.0."""
    return {"version": "1.1.0"}
'''
)
OWNER_ROUTE = """

@app.get("/mine")
def mine() -> dict[str, str]:
    return {"owner": "yes"}
"""


def _release_template(repo: object) -> None:
    """Two tags of a template that writes a whole project with its own app."""
    write = repo.write  # type: ignore[attr-defined]
    write("copier.yml", COPIER_YML)
    write("{{ _copier_conf.answers_file }}.jinja", ANSWERS)
    write("pyproject.toml.jinja", PYPROJECT.replace("{deps}", '"fastapi>=0.115"'))
    write("README.md.jinja", "# {{ project_name }}\n\nThe team's service.\n")
    write(".gitignore", ".venv/\n__pycache__/\n.env\n")
    write(".env.jinja", "SECRET=changeme\n")  # the owner's once written: never merged again
    write("service/__init__.py", "")
    write("service/main.py.jinja", MAIN_V1)
    repo.release("v1.0.0")  # type: ignore[attr-defined]
    write("pyproject.toml.jinja", PYPROJECT.replace("{deps}", '"fastapi>=0.115", "httpx>=0.27"'))
    write("service/main.py.jinja", MAIN_V2)
    repo.release("v1.1.0")  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _served(project: Path) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "service.main:app", "--port", str(port)],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/items", timeout=1).close()
                break
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def _is_the_template_extended(project: Path, plain: Path) -> None:
    """copier's files as copier writes them, its app with scaffold's mount, no base app."""
    for name in ("README.md", ".gitignore", "service/__init__.py"):
        assert (project / name).read_bytes() == (plain / name).read_bytes(), name
    assert not (project / "svc").exists()  # no base app beside the template's
    main = (project / "service" / "main.py").read_text()
    assert set((plain / "service" / "main.py").read_text().splitlines()) <= set(main.splitlines())
    assert 'app.mount(\n    "/static"' in main or 'app.mount("/static"' in main
    record = tomllib.loads((project / ".scaffold" / "project.toml").read_text())
    assert record["adopted"]["foundation"] == "team-service"
    assert record["adopted"]["module"] == "service/main.py"
    assert record["blueprints"]["team-service"]["ref"] == "v1.0.0"


def test_a_template_with_an_app_is_the_foundation_through_new_add_update(
    cli: Callable[..., Result],
    make_repo: Callable[[str], object],
    commit: Callable[[Path, str], None],
    run_git: Callable[..., str],
    tmp_path: Path,
) -> None:
    repo = make_repo("team-service")
    _release_template(repo)
    source = f"git+{repo.path}"  # type: ignore[attr-defined]

    made = cli("new", "svc", "--from", f"{source}@v1.0.0", "-b", "static",
               "--no-input", "-o", tmp_path / "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    # the next steps serve the template's app, not a base app that is not there
    assert "uvicorn service.main:app --reload" in made.stdout
    assert "svc.main" not in made.stdout
    project = tmp_path / "out" / "svc"
    plain = tmp_path / "plain" / "svc"
    subprocess.run(
        [sys.executable, "-m", "copier", "copy", "-q", "--defaults", "--vcs-ref", "v1.0.0",
         "-d", "project_name=svc", str(repo.path), str(plain)],  # type: ignore[attr-defined]
        check=True, capture_output=True,
    )  # fmt: skip
    _is_the_template_extended(project, plain)
    run_git("init", "-q", "-b", "main", cwd=project)
    commit(project, "generated")
    with (project / "service" / "main.py").open("a") as owner:
        owner.write(OWNER_ROUTE)
    commit(project, "the owner's route")
    (project / ".env").write_text("SECRET=mine\n")

    added = cli("add", "websockets", "-C", project)

    assert added.exit_code == 0, added.output
    assert (project / ".env").read_text() == "SECRET=mine\n"
    commit(project, "websockets")
    outdated = cli("check", "-C", project)
    assert outdated.exit_code == 1, outdated.output
    assert "1.0.0 -> 1.1.0 available" in outdated.output

    updated = cli("update", "-C", project)

    assert updated.exit_code == 0, updated.output
    main = (project / "service" / "main.py").read_text()
    for line in ('@app.get("/version")', '@app.get("/mine")', "app.include_router(websockets"):
        assert line in main, main
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    assert "httpx>=0.27" in dependencies  # the template's new version
    assert any(d.startswith("websockets") for d in dependencies)  # scaffold's
    assert (project / ".env").read_text() == "SECRET=mine\n"
    commit(project, "updated")
    clean = cli("check", "-C", project)
    assert clean.exit_code == 0, clean.output
    kept = cli("remove", "team-service", "-C", project)
    assert kept.exit_code == 2
    assert "the template this project was made from" in kept.stderr
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "service"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout

    _serves_all_routes(project)


def _serves_all_routes(project: Path) -> None:
    """The template's, the owner's and scaffold's routes answer under uvicorn."""
    from websockets.sync.client import connect

    with _served(project) as url:
        assert _get(f"{url}/items") == (200, b'["a"]')
        assert _get(f"{url}/version")[0] == 200
        assert _get(f"{url}/mine") == (200, b'{"owner":"yes"}')
        assert _get(f"{url}/static/css/app.css")[0] == 200
        with connect(url.replace("http", "ws") + "/ws") as socket_:
            socket_.send("hi")
            assert "hi" in str(socket_.recv(timeout=5))


def test_a_template_without_an_app_gets_base_beside_it(
    cli: Callable[..., Result], make_repo: Callable[[str], object], tmp_path: Path
) -> None:
    repo = make_repo("library")
    repo.write("copier.yml", "")  # type: ignore[attr-defined]
    repo.write("NOTES.md", "# Notes\n")  # type: ignore[attr-defined]
    repo.release("v1.0.0")  # type: ignore[attr-defined]

    made = cli("new", "svc", "--from", f"git+{repo.path}@v1.0.0",  # type: ignore[attr-defined]
               "--no-input", "-o", tmp_path)  # fmt: skip

    assert made.exit_code == 0, made.output
    assert "writes no FastAPI app" in made.stderr
    assert (tmp_path / "svc" / "NOTES.md").read_text() == "# Notes\n"
    assert (tmp_path / "svc" / "svc" / "main.py").is_file()


def test_from_a_folder_that_is_no_template_is_refused_and_writes_nothing(
    cli: Callable[..., Result], error_line: Callable[[Result], str], tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()

    made = cli("new", "svc", "--from", tmp_path / "empty", "--no-input", "-o", tmp_path / "out")

    assert made.exit_code == 2
    assert "no copier template there" in error_line(made)
    assert not (tmp_path / "out").exists()


def test_its_task_files_stay_when_another_blueprint_arrives_and_migrations_run_on_update(
    cli: Callable[..., Result],
    make_repo: Callable[[str], object],
    commit: Callable[[Path, str], None],
    run_git: Callable[..., str],
    tmp_path: Path,
) -> None:
    repo = make_repo("tasked")
    write = repo.write  # type: ignore[attr-defined]
    write("copier.yml", '_tasks:\n  - "echo made by a task > TASKFILE.txt"\n  - "git init -q"\n')
    write("pyproject.toml", PYPROJECT.replace("{deps}", '"fastapi>=0.115"'))
    write("service/__init__.py", "")
    write("service/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n")
    repo.release("v1.0.0")  # type: ignore[attr-defined]
    write("README.md", "# Tasked\n")
    write(
        "copier.yml",
        '_tasks:\n  - "echo made by a task > TASKFILE.txt"\n  - "git init -q"\n'
        "_migrations:\n  - version: v1.1.0\n"
        '    command: "echo $VERSION_FROM $VERSION_TO $STAGE >> MIGRATED.txt"\n',
    )
    repo.release("v1.1.0")  # type: ignore[attr-defined]
    made = cli("new", "svc", "--from", f"git+{repo.path}@v1.0.0", "--trust",  # type: ignore[attr-defined]
               "--no-input", "-o", tmp_path)  # fmt: skip
    assert made.exit_code == 0, made.output
    project = tmp_path / "svc"
    assert (project / "TASKFILE.txt").read_text() == "made by a task\n"
    assert (project / ".git").is_dir()  # the repository its task made, as copier leaves it
    run_git("init", "-q", "-b", "main", cwd=project)
    commit(project, "generated")

    added = cli("add", "websockets", "-C", project)  # the template renders again, no task runs

    assert added.exit_code == 0, added.output
    assert (project / "TASKFILE.txt").read_text() == "made by a task\n"
    commit(project, "websockets")
    updated = cli("update", "--trust", "-C", project)  # now its tasks and migrations run
    assert updated.exit_code == 0, updated.output
    # copier's default stage for a migration is "after": it ran once, with the versions
    assert (project / "MIGRATED.txt").read_text() == "v1.0.0 v1.1.0 after\n"
    assert (project / "TASKFILE.txt").read_text() == "made by a task\n"
    assert (project / "README.md").read_text() == "# Tasked\n"
    assert "include_router(websockets.router)" in (project / "service/main.py").read_text()


APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.mark.parametrize(
    "files",
    [
        {  # the app in a sub-package, as a layered template keeps it
            "backend/app/__init__.py": "",
            "backend/app/presentation/__init__.py": "",
            "backend/app/presentation/main.py": APP,
        },
        {"main.py": APP},  # a flat module at the template's root
    ],
    ids=["sub-package", "flat-module"],
)
def test_an_app_scaffold_cannot_extend_is_refused_with_the_blueprint_command_that_works(
    cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    make_repo: Callable[[str], object],
    tmp_path: Path,
    files: dict[str, str],
) -> None:
    """The template's files are not the user's to move before generation: the message gives
    the command that composes the template beside base's app instead."""
    repo = make_repo("layered")
    repo.write("copier.yml", "")  # type: ignore[attr-defined]
    for path, text in files.items():
        repo.write(path, text)  # type: ignore[attr-defined]
    repo.release("v1.0.0")  # type: ignore[attr-defined]
    out = tmp_path / "out"

    refused = cli("new", "svc", "--from", f"{repo.path}@v1.0.0", "--no-input", "-o", out)  # type: ignore[attr-defined]

    assert refused.exit_code == 2, refused.output
    line = error_line(refused)
    assert "move it" not in line, line
    command = f"scaffold new svc -b layered --source git+{repo.path}@v1.0.0"  # type: ignore[attr-defined]
    assert line.endswith(f"use the template as a blueprint instead, beside base's app: {command})")
    assert not out.exists()

    made = cli(*shlex.split(command)[1:], "--no-input", "-o", out)

    assert made.exit_code == 0, made.output
    assert (out / "svc" / "svc" / "main.py").is_file()  # base's app
    for path, text in files.items():
        assert (out / "svc" / path).read_text() == text
