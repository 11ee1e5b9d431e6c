"""``scaffold add``: new blueprints are merged into a project whose owner edited it."""

from __future__ import annotations

import tomllib

import pytest

PACKAGE = "evo_app"
OWNER_COMMENT = "# owner: keep the app factory small, says the team"
OWNER_ROUTE = '''

@app.get("/owner")
def owner() -> dict[str, str]:
    """A route the owner added after generating."""
    return {"owner": "yes"}
'''
OWNER_DEPENDENCY = '    "orjson>=3.10",  # owner: fast JSON responses\n'
OWNER_TEST = """\
from fastapi.testclient import TestClient

from evo_app.main import app


def test_the_owner_route_survives_the_merge() -> None:
    with TestClient(app) as client:
        response = client.get("/owner")
    assert response.status_code == 200
    assert response.json() == {"owner": "yes"}
"""


def _own(project) -> None:
    """Edit the project as its owner would: main.py, pyproject.toml, and a test of their own."""
    main = project / PACKAGE / "main.py"
    # A comment at the top and a route at the end: far from the lines blueprints change.
    main.write_text(f"{OWNER_COMMENT}\n" + main.read_text() + OWNER_ROUTE)
    pyproject = project / "pyproject.toml"
    first = '    "fastapi[standard]>=0.115,<1",\n'
    assert pyproject.read_text().count(first) == 1
    pyproject.write_text(pyproject.read_text().replace(first, first + OWNER_DEPENDENCY))
    (project / "tests" / "test_owner.py").write_text(OWNER_TEST)


def _assert_owner_edits_survive(project) -> None:
    main = (project / PACKAGE / "main.py").read_text()
    assert OWNER_COMMENT in main
    assert '@app.get("/owner")' in main
    assert 'return {"owner": "yes"}' in main
    assert OWNER_DEPENDENCY in (project / "pyproject.toml").read_text()
    assert (project / "tests" / "test_owner.py").read_text() == OWNER_TEST


def test_add_merges_into_an_edited_project_and_keeps_the_owners_edits(
    make_project, cli_json, ruff_clean
) -> None:
    project = make_project("tests")
    _own(project)

    code, report = cli_json("add", "middleware", "-C", project)

    assert code == 0, report
    assert report["command"] == "add"
    assert report["changed"] is True
    assert report["conflicts"] == []
    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    assert outcomes[f"{PACKAGE}/main.py"] == "merged"
    assert outcomes["pyproject.toml"] == "merged"
    for path in (f"{PACKAGE}/middleware.py", f"{PACKAGE}/config.py", ".env.example"):
        assert outcomes[path] == "new"
        assert (project / path).is_file()
    assert outcomes["tests/conftest.py"] == "replaced"  # untouched by the owner
    assert "tests/test_owner.py" not in outcomes  # not scaffold's file
    assert outcomes[".scaffold/project.toml"] == "replaced"
    # settings came along because middleware requires it
    names = {bp["name"]: bp["automatic"] for bp in report["blueprints"]}
    assert names == {"base": False, "settings": True, "middleware": False, "tests": False}
    assert "adds settings 1.0.0 (required by another blueprint)" in report["notes"]

    _assert_owner_edits_survive(project)
    main = (project / PACKAGE / "main.py").read_text()
    assert "RequestContextMiddleware" in main
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = pyproject["project"]["dependencies"]
    assert "orjson>=3.10" in dependencies
    assert "pydantic-settings>=2.3" in dependencies
    record = tomllib.loads((project / ".scaffold/project.toml").read_text())
    assert list(record["blueprints"]) == ["base", "settings", "middleware", "tests"]
    ruff_clean(project)


@pytest.mark.parametrize(
    "case",
    [
        (("tests",), ("middleware",)),
        (("settings", "tests"), ("websockets", "templates", "static", "lifespan")),
    ],
    ids=["middleware", "websockets-templates-static-lifespan"],
)
def test_the_merged_project_is_ruff_clean_and_passes_its_own_tests(
    make_project, cli_json, ruff_clean, project_tests_pass, case
) -> None:
    start, added = case
    project = make_project(*start)
    _own(project)

    code, report = cli_json("add", *added, "-C", project)

    assert code == 0, report
    assert report["conflicts"] == []
    _assert_owner_edits_survive(project)
    for blueprint in added:
        assert blueprint in {bp["name"] for bp in report["blueprints"]}
    ruff_clean(project)
    project_tests_pass(project)


def test_the_human_report_lists_every_changed_file_with_its_outcome(make_project, cli) -> None:
    project = make_project("settings", "tests")
    _own(project)

    result = cli("add", "static", "-C", project)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("note:" in line and "adds static 1.0.0" in line for line in lines)
    for path, outcome in (
        (f"{PACKAGE}/static/css/app.css", "new"),
        ("tests/test_static.py", "new"),
        (f"{PACKAGE}/main.py", "merged"),
        ("README.md", "replaced"),
    ):
        assert any(path in line and outcome in line for line in lines), (path, result.stdout)


def test_an_option_given_with_add_reaches_the_generated_files_and_the_record(
    make_project, cli_json
) -> None:
    project = make_project("settings", "tests")

    code, report = cli_json(
        "add", "middleware", "-O", "middleware.gzip_minimum_size=512", "-C", project
    )

    assert code == 0, report
    assert "default=512" in (project / PACKAGE / "config.py").read_text()
    record = tomllib.loads((project / ".scaffold/project.toml").read_text())
    assert record["blueprints"]["middleware"]["options"]["gzip_minimum_size"] == 512


def test_adding_a_blueprint_twice_changes_nothing_the_second_time_and_says_so(
    make_project, cli, cli_json, snapshot
) -> None:
    project = make_project("tests")
    _own(project)
    code, _ = cli_json("add", "websockets", "-C", project)
    assert code == 0
    before = snapshot(project)

    again = cli("add", "websockets", "-C", project)
    code, report = cli_json("add", "websockets", "-C", project)

    assert again.exit_code == 0, again.output
    assert "already part of the project: websockets" in again.stdout
    assert "Nothing to change" in again.stdout
    assert code == 0
    assert report["changed"] is False
    assert report["files"] == []
    assert "already part of the project: websockets" in report["notes"]
    assert snapshot(project) == before


def test_adding_a_blueprint_that_came_automatically_makes_it_chosen(
    make_project, cli_json, snapshot
) -> None:
    project = make_project("middleware")  # settings came with it
    files_before = {k: v for k, v in snapshot(project).items() if not k.startswith(".scaffold")}

    code, report = cli_json("add", "settings", "-C", project)

    assert code == 0, report
    assert {bp["name"]: bp["automatic"] for bp in report["blueprints"]}["settings"] is False
    assert {item["path"] for item in report["files"]} == {".scaffold/project.toml"}
    after = {k: v for k, v in snapshot(project).items() if not k.startswith(".scaffold")}
    assert after == files_before


def test_an_unknown_blueprint_is_refused_with_a_suggestion_and_nothing_changes(
    make_project, cli, snapshot, error_line
) -> None:
    project = make_project("tests")
    before = snapshot(project)

    result = cli("add", "websocket", "-C", project)

    assert result.exit_code == 2
    assert "did you mean 'websockets'" in error_line(result)
    assert snapshot(project) == before


def test_add_then_remove_on_an_untouched_project_restores_it_byte_for_byte(
    make_project, cli_json, snapshot
) -> None:
    project = make_project("settings", "tests")
    before = snapshot(project)

    assert cli_json("add", "websockets", "lifespan", "-C", project)[0] == 0
    assert snapshot(project) != before
    code, report = cli_json("remove", "websockets", "lifespan", "-C", project)

    assert code == 0, report
    assert snapshot(project) == before


def test_the_project_folder_defaults_to_the_current_one_and_has_a_long_flag(
    make_project, cli_json, monkeypatch
) -> None:
    project = make_project("tests")
    monkeypatch.chdir(project)

    code, report = cli_json("add", "static")
    assert code == 0, report
    assert report["project"] == str(project.resolve())
    monkeypatch.chdir(project.parent)
    code, report = cli_json("remove", "static", "--project-dir", project.name)

    assert code == 0, report
    assert not (project / PACKAGE / "static").exists()
