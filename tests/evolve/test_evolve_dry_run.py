"""``--dry-run``: the same plan, shown as a unified diff per file with outcomes; writes nothing."""

from __future__ import annotations

import json
import re

import pytest

PACKAGE = "evo_app"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def edited_project(make_project):
    project = make_project("tests")
    main = project / PACKAGE / "main.py"
    main.write_text("# owner: my comment\n" + main.read_text())
    return project


def test_dry_run_add_prints_a_diff_and_outcomes_and_writes_nothing(
    edited_project, cli, snapshot, leftovers
) -> None:
    before = snapshot(edited_project)

    result = cli("add", "middleware", "--dry-run", "-C", edited_project)

    assert result.exit_code == 0, result.output
    assert snapshot(edited_project) == before
    assert leftovers(edited_project) == []
    lines = result.stdout.splitlines()
    for path in (f"{PACKAGE}/main.py", f"{PACKAGE}/middleware.py", "pyproject.toml"):
        assert f"+++ b/{path}" in lines, result.stdout
    assert f"--- a/{PACKAGE}/main.py" in lines
    assert (
        "+from evo_app.middleware import CompressMiddleware, HostCheckMiddleware, "
        "RequestContextMiddleware"
    ) in lines
    assert any(line.startswith("@@ ") for line in lines)
    assert any(f"{PACKAGE}/main.py" in line and "merged" in line for line in lines)
    assert any(f"{PACKAGE}/middleware.py" in line and "new" in line for line in lines)
    assert "Would change" in result.stdout
    assert "Dry run: nothing was written." in result.stdout


def test_dry_run_json_is_one_document_and_writes_nothing(
    edited_project, cli, snapshot, leftovers
) -> None:
    before = snapshot(edited_project)

    result = cli("add", "middleware", "--dry-run", "--json", "-C", edited_project)

    assert result.exit_code == 0
    report = json.loads(result.stdout)  # one document, nothing else on stdout
    assert report["dry_run"] is True
    assert report["changed"] is True
    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    assert outcomes[f"{PACKAGE}/main.py"] == "merged"
    assert outcomes[f"{PACKAGE}/config.py"] == "new"
    assert snapshot(edited_project) == before
    assert leftovers(edited_project) == []


def test_dry_run_tells_the_same_outcomes_as_the_real_run(edited_project, cli_json) -> None:
    _, dry = cli_json("add", "websockets", "static", "--dry-run", "-C", edited_project)
    _, real = cli_json("add", "websockets", "static", "-C", edited_project)

    assert dry["files"] == real["files"]
    assert dry["conflicts"] == real["conflicts"]
    assert dry["notes"] == real["notes"]


def test_dry_run_of_a_conflicting_change_exits_1_and_writes_nothing(
    make_project, cli, snapshot, edit
) -> None:
    project = make_project("settings", "tests")
    edit(project / "README.md", "base, settings, tests.\n", "the owner's words.\n")
    before = snapshot(project)

    result = cli("add", "static", "--dry-run", "-C", project)

    assert result.exit_code == 1
    assert "+++ b/README.md" in result.stdout.splitlines()
    assert "+<<<<<<< yours" in result.stdout.splitlines()
    assert "have conflicts" in result.stdout
    assert snapshot(project) == before


def test_dry_run_remove_shows_deletions_and_writes_nothing(make_project, cli, snapshot) -> None:
    project = make_project("static", "tests")
    before = snapshot(project)

    result = cli("remove", "static", "--dry-run", "-C", project)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"--- a/{PACKAGE}/static/css/app.css" in lines
    assert f"+++ b/{PACKAGE}/static/css/app.css" in lines
    assert any("app.css" in line and "deleted" in line for line in lines)
    assert snapshot(project) == before


def test_dry_run_of_a_change_that_does_nothing_says_so(make_project, cli, snapshot) -> None:
    project = make_project("tests")
    before = snapshot(project)

    result = cli("update", "--dry-run", "-C", project)

    assert result.exit_code == 0
    assert "Nothing to change" in result.stdout
    assert "+++" not in result.stdout
    assert snapshot(project) == before


def test_the_diff_is_coloured_on_a_colour_terminal(
    edited_project, cli, monkeypatch, clear_consoles
) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("FORCE_COLOR", "1")
    clear_consoles()

    result = cli("add", "middleware", "--dry-run", "-C", edited_project)

    assert result.exit_code == 0
    assert _ANSI.search(result.stdout)
    plain = _ANSI.sub("", result.stdout).splitlines()
    assert f"+++ b/{PACKAGE}/middleware.py" in plain
    added = next(line for line in result.stdout.splitlines() if "+from evo_app.middleware" in line)
    assert _ANSI.search(added), "an added line is not coloured"
