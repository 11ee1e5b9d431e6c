"""``scaffold remove`` in an adopted project: what a blueprint put in goes, the owner's stays."""

from __future__ import annotations

import ast
import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

# The allowed hosts, which an adopted app must name (testserver: the host TestClient sends).
HOSTS = ("-O", 'middleware.allowed_hosts=["testserver"]')
# Not templates: its GET / would never answer behind the docs' own @app.get("/"), so add refuses
# it here (tests/adopt/test_adopt_refusals.py adds and removes it in an app without one).
EVERYTHING = ("static", "websockets", "middleware", "lifespan")
OWNER_TEST = """\
from fastapi.testclient import TestClient

from app.main import app


def test_the_owners_root_answers() -> None:
    with TestClient(app) as client:
        response = client.get("/", params={"token": "jessica"})

    assert response.json() == {"message": "Hello Bigger Applications!"}
"""


def only_scaffold(snapshot: dict[str, bytes]) -> dict[str, bytes]:
    """The files that are not scaffold's record."""
    return {path: data for path, data in snapshot.items() if not path.startswith(".scaffold/")}


def test_remove_after_add_gives_the_owners_files_back(
    adopted: Path, cli, snapshot, main_py: str
) -> None:
    before = only_scaffold(snapshot(adopted))
    assert cli("add", *EVERYTHING, *HOSTS, "-C", adopted).exit_code == 0

    result = cli("remove", *EVERYTHING, "settings", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert (adopted / "app/main.py").read_text() == main_py
    assert only_scaffold(snapshot(adopted)) == before
    record = (adopted / ".scaffold/project.toml").read_text()
    assert "[blueprints.static]" not in record
    assert "[blueprints.base]" in record
    memory = json.loads((adopted / ".scaffold/adopted.json").read_text())
    assert memory["statements"] == memory["keywords"] == memory["requirements"] == []


def test_removing_one_blueprint_leaves_the_others(adopted: Path, cli, main_py: str) -> None:
    assert cli("add", "static", "websockets", "-C", adopted).exit_code == 0
    with_both = (adopted / "app/main.py").read_text()

    result = cli("remove", "static", "-C", adopted)

    assert result.exit_code == 0, result.output
    main = (adopted / "app/main.py").read_text()
    assert "app.mount(" not in main
    assert "StaticFiles" not in main
    assert "from pathlib import Path" not in main
    assert "app.include_router(scaffold_websockets.router)" in main
    assert not (adopted / "app/static").exists()
    assert (adopted / "app/scaffold_websockets.py").is_file()
    # Adding it back gives the same module as adding both at once.
    assert cli("add", "static", "-C", adopted).exit_code == 0
    assert (adopted / "app/main.py").read_text() == with_both
    assert cli("remove", "static", "websockets", "-C", adopted).exit_code == 0
    assert (adopted / "app/main.py").read_text() == main_py


def test_removing_twice_changes_nothing_the_second_time(adopted: Path, cli, snapshot) -> None:
    assert cli("add", "static", "-C", adopted).exit_code == 0
    assert cli("remove", "static", "-C", adopted).exit_code == 0
    before = snapshot(adopted)

    result = cli("remove", "static", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert "not part of the project: static" in result.stdout
    assert snapshot(adopted) == before


def test_the_owners_comments_and_layout_around_the_lines_survive(adopted: Path, cli) -> None:
    main = adopted / "app/main.py"
    assert cli("add", "static", "lifespan", "-C", adopted).exit_code == 0
    edited = main.read_text().replace(
        "app.include_router(users.router)\n",
        "app.include_router(users.router)  # users first\n\n# Owner's note.\nVERSION = 2\n",
    )
    main.write_text(edited)

    result = cli("remove", "static", "lifespan", "-C", adopted)

    assert result.exit_code == 0, result.output
    text = main.read_text()
    assert "app.include_router(users.router)  # users first\n\n# Owner's note.\nVERSION = 2\n" in (
        text
    )
    assert "app = FastAPI(dependencies=[Depends(get_query_token)])\n" in text
    assert "lifespan" not in text
    assert "mount" not in text


def test_an_edited_statement_is_kept_and_said_so(adopted: Path, cli) -> None:
    main = adopted / "app/main.py"
    assert cli("add", "middleware", *HOSTS, "-C", adopted).exit_code == 0
    gzip = "app.add_middleware(CompressMiddleware, minimum_size=get_settings().gzip_minimum_size)"
    main.write_text(
        main.read_text().replace(gzip, "app.add_middleware(CompressMiddleware, minimum_size=10)")
    )

    result = cli("remove", "middleware", "settings", "--json", "-C", adopted)

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    [note] = [n for n in document["notes"] if "CompressMiddleware" in n]
    assert note == (
        "app/main.py (line 39): kept your statement that adds CompressMiddleware: you changed "
        "it since the 'middleware' blueprint added it, so scaffold did not take it out"
    )
    text = main.read_text()
    assert "app.add_middleware(CompressMiddleware, minimum_size=10)" in text
    # Still read, so still imported; in the wrapped layout the three names were given, which
    # ruff keeps for its trailing comma.
    assert "from app.middleware import (\n    CompressMiddleware,\n)\n" in text
    assert "CORSMiddleware" not in text
    assert "get_settings" not in text
    compile(text, "main.py", "exec")


def test_an_edited_lifespan_wrap_is_kept_and_said_so(adopted: Path, cli) -> None:
    main = adopted / "app/main.py"
    assert cli("add", "lifespan", "-C", adopted).exit_code == 0
    mine = "app.router.lifespan_context = wrap_lifespan(app.router.lifespan_context, 1)"
    main.write_text(
        main.read_text().replace(
            "wrap_lifespan(app.router.lifespan_context)", mine.partition(" = ")[2]
        )
    )

    result = cli("remove", "lifespan", "-C", adopted)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "kept your statement that sets app.router.lifespan_context" in said
    assert mine in main.read_text()


def test_a_blueprint_file_the_owner_edited_is_not_deleted_blind(adopted: Path, cli) -> None:
    assert cli("add", "websockets", "-C", adopted).exit_code == 0
    websockets = adopted / "app/scaffold_websockets.py"
    websockets.write_text(websockets.read_text() + "\nMINE = True\n")

    result = cli("remove", "websockets", "-C", adopted)

    # the owner's edited file stays whole (their code may import it), and the note says so
    assert result.exit_code == 0, result.output
    assert websockets.read_text().endswith("\nMINE = True\n")
    assert "class ConnectionManager" in websockets.read_text()
    assert "app/scaffold_websockets.py: kept: you edited it" in result.stdout
    assert "websockets" not in (adopted / "app/main.py").read_text()


def test_a_required_blueprint_is_not_removed(adopted: Path, cli, snapshot, error_of) -> None:
    assert cli("add", "middleware", *HOSTS, "-C", adopted).exit_code == 0
    before = snapshot(adopted)

    message = error_of(cli("remove", "settings", "-C", adopted))

    assert message == (
        "cannot remove 'settings': middleware requires it (remove middleware too, or keep it)"
    )
    assert snapshot(adopted) == before


def test_dry_run_shows_the_removal_and_writes_nothing(adopted: Path, cli, snapshot) -> None:
    assert cli("add", "static", "-C", adopted).exit_code == 0
    before = snapshot(adopted)

    result = cli("remove", "static", "--dry-run", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert "-app.mount(" in result.stdout
    assert snapshot(adopted) == before


@pytest.mark.parametrize(
    "dependencies",
    [
        '[\n    "fastapi",  # web\n]',
        '["fastapi"]',
        "[\n    # the framework\n    'fastapi',\n]",
    ],
)
def test_pyproject_requirements_go_again(adopted: Path, cli, files, dependencies: str) -> None:
    (adopted / "requirements.txt").unlink()
    pyproject = f'[project]\nname = "bigger"\ndependencies = {dependencies}\n\n[tool.x]\ny = 1\n'
    files(adopted, {"pyproject.toml": pyproject})
    assert cli("add", "websockets", "lifespan", "-C", adopted).exit_code == 0
    assert '"websockets>=12"' in (adopted / "pyproject.toml").read_text()

    result = cli("remove", "websockets", "lifespan", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert (adopted / "pyproject.toml").read_text() == pyproject


def test_a_requirement_the_owner_repinned_stays(adopted: Path, cli) -> None:
    requirements = adopted / "requirements.txt"
    assert cli("add", "websockets", "lifespan", "-C", adopted).exit_code == 0
    requirements.write_text(requirements.read_text().replace("websockets>=12", "websockets==13.1"))

    result = cli("remove", "websockets", "lifespan", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert requirements.read_text() == "fastapi[standard]>=0.115\nwebsockets==13.1\n"
    assert "kept 'websockets==13.1' in requirements.txt" in " ".join(result.stdout.split())


def test_a_requirement_the_owner_had_is_not_taken(adopted: Path, cli) -> None:
    requirements = adopted / "requirements.txt"
    requirements.write_text("fastapi[standard]>=0.115\nhttpx\n")
    assert cli("add", "lifespan", "-C", adopted).exit_code == 0

    assert cli("remove", "lifespan", "-C", adopted).exit_code == 0

    assert requirements.read_text() == "fastapi[standard]>=0.115\nhttpx\n"


def test_the_owners_pytest_passes_after_add_and_remove(
    adopted: Path, cli, files, owners_pytest
) -> None:
    files(adopted, {"tests/test_root.py": OWNER_TEST})
    assert cli("add", "tests", *EVERYTHING, *HOSTS, "-C", adopted).exit_code == 0
    files(
        adopted,
        {
            "tests/test_added.py": """\
                import pytest


                @pytest.mark.anyio
                async def test_lifespan_and_static(client) -> None:
                    assert client.get("/static/css/app.css").status_code == 200
                    assert client.app.state.http_client is not None
                """
        },
    )
    assert "2 passed" in owners_pytest(adopted)
    (adopted / "tests/test_added.py").unlink()

    result = cli("remove", "tests", *EVERYTHING, "settings", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (adopted / "tests").iterdir() if p.suffix == ".py") == [
        "test_root.py"
    ]
    assert "1 passed" in owners_pytest(adopted)


def test_a_project_adopted_before_the_memory_file_can_still_remove(
    adopted: Path, cli, main_py: str
) -> None:
    # lifespan, not websockets: a project from before adopted.json has no module of scaffold's
    # under another name (app/scaffold_websockets.py), which only that file remembers
    assert cli("add", "static", "lifespan", "-C", adopted).exit_code == 0
    (adopted / ".scaffold/adopted.json").unlink()

    result = cli("remove", "static", "lifespan", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert (adopted / "app/main.py").read_text() == main_py


def _mount_statement(text: str) -> str:
    """The whole ``app.mount(...)`` statement scaffold inserted (it may span lines)."""
    lines = text.splitlines(keepends=True)
    for node in ast.parse(text).body:
        if isinstance(node, ast.Expr) and ast.unparse(node).startswith("app.mount("):
            return "".join(lines[node.lineno - 1 : node.end_lineno])
    raise AssertionError("no app.mount statement")


@pytest.mark.parametrize("last", [False, True], ids=["statement-follows", "end-of-module"])
def test_a_comment_the_owner_wrote_above_a_removed_statement_stays(
    adopted: Path, cli, last: bool
) -> None:
    main = adopted / "app/main.py"
    assert cli("add", "static", "-C", adopted).exit_code == 0
    text = main.read_text()
    mount = _mount_statement(text)
    owner_comment = "# Owner: static files must move to the CDN by Q3.\n"
    if last:  # nothing follows the statement: the comment must still have somewhere to go
        text = text.replace(mount, "") + owner_comment + mount
    else:
        text = text.replace(mount, owner_comment + mount)
    main.write_text(text)

    result = cli("remove", "static", "-C", adopted)

    assert result.exit_code == 0, result.output
    after = main.read_text()
    assert owner_comment in after
    assert "app.mount(" not in after
    ast.parse(after)


OWNERS_CORS_MAIN = """\
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI(title="x")

app.add_middleware(CORSMiddleware, allow_origins=["https://x.io"])


@app.get("/items")
def items() -> list[str]:
    return ["a"]
"""


def test_the_blank_line_above_an_owners_kept_statement_stays_its_own(
    tmp_path: Path, files, cli
) -> None:
    """Seen in full-stack-fastapi-template: middleware goes in around the owner's CORS."""
    project = files(tmp_path / "svc", {"app/__init__.py": "", "app/main.py": OWNERS_CORS_MAIN})
    assert cli("adopt", "-C", project).exit_code == 0

    assert cli("add", "middleware", *HOSTS, "-C", project).exit_code == 0
    main = (project / "app/main.py").read_text()
    assert "\n\napp.add_middleware(CORSMiddleware" in main
    result = cli("remove", "middleware", "settings", "-C", project)

    assert result.exit_code == 0, result.output
    assert (project / "app/main.py").read_text() == OWNERS_CORS_MAIN
    assert "you changed it" not in result.stdout  # it was never scaffold's


@pytest.mark.parametrize(
    "owners",
    [
        b"fastapi[standard]>=0.115",  # no final newline
        b"# pinned by hand\r\nfastapi[standard]>=0.115\r\nhttpx==0.27.0  # the client",  # CRLF
        b"fastapi[standard]>=0.115\r\n\r\n",  # CRLF, a blank line last
    ],
)
def test_requirements_txt_comes_back_byte_for_byte(adopted: Path, cli, owners: bytes) -> None:
    requirements = adopted / "requirements.txt"
    requirements.write_bytes(owners)
    assert cli("add", "websockets", "settings", "-C", adopted).exit_code == 0
    assert b"websockets>=12" in requirements.read_bytes()

    result = cli("remove", "websockets", "settings", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert requirements.read_bytes() == owners


@pytest.mark.parametrize(
    "owners",
    [b"-r requirements.txt\nmypy", b"-r requirements.txt\r\n# linters\r\nmypy\r\n"],
)
def test_requirements_dev_txt_comes_back_byte_for_byte(adopted: Path, cli, owners: bytes) -> None:
    dev = adopted / "requirements-dev.txt"
    dev.write_bytes(owners)
    assert cli("add", "tests", "-C", adopted).exit_code == 0
    assert b"pytest>=8" in dev.read_bytes()

    result = cli("remove", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert dev.read_bytes() == owners


def test_requirements_txt_without_a_final_newline_survives_adds_and_removes_in_turn(
    adopted: Path, cli
) -> None:
    requirements = adopted / "requirements.txt"
    requirements.write_bytes(b"fastapi[standard]>=0.115")
    for command, blueprint in [("add", "websockets"), ("add", "settings")]:
        assert cli(command, blueprint, "-C", adopted).exit_code == 0
    expected = b"fastapi[standard]>=0.115\nwebsockets>=12\npydantic-settings>=2.3"
    assert requirements.read_bytes() == expected

    assert cli("remove", "settings", "-C", adopted).exit_code == 0
    assert requirements.read_bytes() == b"fastapi[standard]>=0.115\nwebsockets>=12"
    assert cli("remove", "websockets", "-C", adopted).exit_code == 0

    assert requirements.read_bytes() == b"fastapi[standard]>=0.115"
