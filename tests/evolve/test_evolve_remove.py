"""``scaffold remove``: a blueprint's files go, but never a file the owner edited."""

from __future__ import annotations

import tomllib

PACKAGE = "evo_app"
START, MIDDLE, END = "<<<<<<< yours", "=======", ">>>>>>> scaffold"


def _insert_line(path, index: int, line: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(index, line + "\n")
    path.write_text("".join(lines))


def test_remove_merges_the_edited_file_and_deletes_the_untouched_ones(
    make_project, cli_json, ruff_clean
) -> None:
    project = make_project("websockets", "settings", "tests")
    edited = project / PACKAGE / "websockets.py"
    _insert_line(edited, 12, "# owner-middle: we use rooms for tenants")
    edited.write_text(edited.read_text() + "# owner-end: see the tenancy docs\n")

    code, report = cli_json("remove", "websockets", "-C", project)

    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    assert outcomes["tests/test_websockets.py"] == "deleted"
    assert not (project / "tests" / "test_websockets.py").exists()
    # The edited file stays whole, as the owner left it (their code may import it), with a note.
    assert f"{PACKAGE}/websockets.py" not in outcomes
    text = edited.read_text()
    assert "# owner-middle: we use rooms for tenants" in text
    assert "# owner-end: see the tenancy docs" in text
    assert "class ConnectionManager" in text
    assert f"{PACKAGE}/websockets.py: kept: you edited it" in " ".join(report["notes"])
    assert code == 0
    assert START not in text
    assert outcomes[f"{PACKAGE}/main.py"] == "replaced"
    assert "websockets" not in (project / PACKAGE / "main.py").read_text()
    assert "websockets>=12" not in (project / "pyproject.toml").read_text()
    assert "removes websockets" in report["notes"]
    record = tomllib.loads((project / ".scaffold/project.toml").read_text())
    assert "websockets" not in record["blueprints"]
    ruff_clean(project / "tests")  # the rest of the project is still clean


def test_remove_of_untouched_files_deletes_them_and_their_empty_folders(
    make_project, cli_json, snapshot, ruff_clean, project_tests_pass
) -> None:
    project = make_project("static", "templates", "settings", "tests")

    code, report = cli_json("remove", "static", "templates", "-C", project)

    assert code == 0, report
    assert report["conflicts"] == []
    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    for path in (
        f"{PACKAGE}/static/css/app.css",
        f"{PACKAGE}/templates/index.html",
        f"{PACKAGE}/pages.py",
        "tests/test_static.py",
        "tests/test_pages.py",
    ):
        assert outcomes[path] == "deleted"
    tree = snapshot(project)
    assert not any(path.startswith((f"{PACKAGE}/static", f"{PACKAGE}/templates")) for path in tree)
    assert tree[PACKAGE] is None  # the package folder itself stays
    ruff_clean(project)
    project_tests_pass(project)


def test_an_owners_file_in_a_folder_the_blueprint_empties_keeps_the_folder(
    make_project, cli_json
) -> None:
    project = make_project("static", "tests")
    mine = project / PACKAGE / "static" / "css" / "mine.css"
    mine.write_text("/* owner */\n")

    code, report = cli_json("remove", "static", "-C", project)

    assert code == 0, report
    assert mine.read_text() == "/* owner */\n"
    assert not (project / PACKAGE / "static" / "css" / "app.css").exists()


def test_removing_a_blueprint_another_one_requires_is_refused_with_the_reason(
    make_project, cli, cli_json, snapshot, error_line
) -> None:
    project = make_project("middleware", "settings", "tests")
    before = snapshot(project)

    result = cli("remove", "settings", "-C", project)
    code, report = cli_json("remove", "settings", "-C", project)

    assert result.exit_code == 2
    line = error_line(result)
    assert "cannot remove 'settings'" in line
    assert "middleware requires it" in line
    assert code == 2
    assert "middleware requires it" in report["error"]["message"]
    assert snapshot(project) == before


def test_removing_the_base_is_refused(make_project, cli, snapshot, error_line) -> None:
    project = make_project("tests")
    before = snapshot(project)

    result = cli("remove", "base", "-C", project)

    assert result.exit_code == 2
    assert "'base' is part of every project" in error_line(result)
    assert snapshot(project) == before


def test_removing_both_the_requirer_and_the_required_works(make_project, cli_json) -> None:
    project = make_project("middleware", "tests")  # settings came automatically

    code, report = cli_json("remove", "middleware", "-C", project)

    assert code == 0, report
    # settings was there only for middleware: it goes with it
    assert {bp["name"] for bp in report["blueprints"]} == {"base", "tests"}
    assert not (project / PACKAGE / "config.py").exists()
    assert not (project / PACKAGE / "middleware.py").exists()


def test_removing_twice_changes_nothing_the_second_time_and_says_so(
    make_project, cli, cli_json, snapshot
) -> None:
    project = make_project("websockets", "tests")
    edited = project / PACKAGE / "main.py"
    edited.write_text("# owner: hello\n" + edited.read_text())
    assert cli_json("remove", "websockets", "-C", project)[0] == 0
    before = snapshot(project)

    again = cli("remove", "websockets", "-C", project)

    assert again.exit_code == 0, again.output
    assert "not part of the project: websockets" in again.stdout
    assert "Nothing to change" in again.stdout
    assert snapshot(project) == before
    assert edited.read_text().startswith("# owner: hello\n")


def test_a_misspelt_blueprint_is_refused_with_a_suggestion(
    make_project, cli, snapshot, error_line
) -> None:
    project = make_project("websockets", "tests")
    before = snapshot(project)

    result = cli("remove", "websocket", "-C", project)

    assert result.exit_code == 2
    assert "did you mean 'websockets'" in error_line(result)
    assert snapshot(project) == before
