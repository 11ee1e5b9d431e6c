"""The record in .scaffold/: all a merge needs, in the project's own tracked files."""

from __future__ import annotations

import shutil

import pytest

from scaffold.record import BASE_PATH, RECORD_PATH

PACKAGE = "evo_app"


def test_a_fresh_copy_of_the_project_still_merges(
    make_project, cli_json, tmp_path, monkeypatch
) -> None:
    """A clone elsewhere, with no caches and the original gone, has all a merge needs."""
    project = make_project("settings", "tests")
    main = project / PACKAGE / "main.py"
    main.write_text("# owner: cloned\n" + main.read_text() + "# owner: the end\n")
    clone = tmp_path / "elsewhere" / "deeper" / "evo-app"
    shutil.copytree(project, clone)
    shutil.rmtree(project)
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path / "empty-cache"))
    from scaffold import render

    monkeypatch.setattr(render, "_code_cache_dir", render._code_cache_dir.__wrapped__)

    code, report = cli_json("add", "middleware", "-C", clone)

    assert code == 0, report
    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    assert outcomes[f"{PACKAGE}/main.py"] == "merged"
    text = (clone / PACKAGE / "main.py").read_text()
    assert text.startswith("# owner: cloned\n")
    assert text.endswith("# owner: the end\n")
    assert "RequestContextMiddleware" in text


def test_the_record_is_deterministic(new_project, tmp_path) -> None:
    first = new_project(tmp_path / "one", ("websockets", "middleware", "tests"))
    second = new_project(tmp_path / "two", ("websockets", "middleware", "tests"))

    for path in (BASE_PATH, RECORD_PATH):
        assert (first / path).read_bytes() == (second / path).read_bytes(), path


def test_a_change_records_the_same_bytes_as_generating_the_result(
    make_project, new_project, cli_json, tmp_path
) -> None:
    project = make_project("settings", "tests")
    assert cli_json("add", "websockets", "-C", project)[0] == 0

    direct = new_project(tmp_path / "direct", ("settings", "tests", "websockets"))

    assert (project / BASE_PATH).read_bytes() == (direct / BASE_PATH).read_bytes()


def test_the_base_holds_what_was_generated_not_the_owners_merge(
    make_project, cli_json, snapshot
) -> None:
    import io
    import zipfile

    project = make_project("tests")
    main = project / PACKAGE / "main.py"
    main.write_text("# owner\n" + main.read_text())

    assert cli_json("add", "static", "-C", project)[0] == 0

    with zipfile.ZipFile(io.BytesIO((project / BASE_PATH).read_bytes())) as archive:
        base_main = archive.read(f"{PACKAGE}/main.py").decode()
        names = set(archive.namelist())
    assert "# owner" not in base_main
    assert "StaticFiles" in base_main
    assert not any(name.startswith(".scaffold") for name in names)
    files = {p for p, v in snapshot(project).items() if v is not None}
    assert names <= files


@pytest.mark.parametrize(
    "case",
    [
        (RECORD_PATH, b"[scaffold\nformat = ", "is damaged"),
        (RECORD_PATH, b'[scaffold]\nformat = 1\nversion = "0.1.0"\n', "is damaged"),
        (RECORD_PATH, b'[scaffold]\nformat = 99\nversion = "9"\n', "upgrade scaffold"),
        (BASE_PATH, b"PK\x03\x04 truncated", "is damaged"),
        (BASE_PATH, None, "no .scaffold/base.zip"),
    ],
    ids=["bad-toml", "missing-table", "future-format", "bad-zip", "no-base"],
)
@pytest.mark.parametrize("command", [("add", "websockets"), ("remove", "settings"), ("update",)])
def test_a_damaged_record_exits_2_with_one_line_and_changes_nothing(
    make_project, cli, error_line, case, command
) -> None:
    path, damage, words = case
    project = make_project("settings", "tests")
    if damage is None:
        (project / path).unlink()
    else:
        (project / path).write_bytes(damage)
    before = sorted(project.rglob("*"))
    contents = [p.read_bytes() for p in before if p.is_file()]

    result = cli(*command, "-C", project)

    assert result.exit_code == 2
    assert words in error_line(result)
    assert sorted(project.rglob("*")) == before
    assert [p.read_bytes() for p in before if p.is_file()] == contents


@pytest.mark.parametrize("command", [("status",), ("check",)])
def test_status_and_check_report_a_damaged_record_too(
    make_project, cli, error_line, command
) -> None:
    project = make_project("tests")
    (project / RECORD_PATH).write_text("not = [toml")

    result = cli(*command, "-C", project)

    assert result.exit_code == 2
    assert "is damaged" in error_line(result)


@pytest.mark.parametrize(
    "command", [("add", "websockets"), ("remove", "static"), ("update",), ("status",), ("check",)]
)
def test_outside_a_scaffold_project_every_command_exits_2_with_a_hint(
    tmp_path, cli, error_line, command
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "main.py").write_text("print('hi')\n")

    result = cli(*command, "-C", folder)

    assert result.exit_code == 2
    line = error_line(result)
    assert "is not a scaffold project" in line
    assert "scaffold new" in line
    assert sorted(p.name for p in folder.iterdir()) == ["main.py"]


def test_a_missing_project_folder_exits_2(tmp_path, cli, error_line) -> None:
    result = cli("add", "websockets", "-C", tmp_path / "nowhere")

    assert result.exit_code == 2
    assert error_line(result)


def test_errors_are_one_json_document_with_json(tmp_path, cli) -> None:
    import json

    result = cli("add", "websockets", "-C", tmp_path, "--json")

    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["error"]["exit_code"] == 2
    assert "not a scaffold project" in report["error"]["message"]
