"""Where the owner and a blueprint changed the same part of a file.

Shared files merge by structure (tests/evolve/test_evolve_owner_edits.py shows the ordinary
edits that now go in cleanly). What is left to conflict: the same Markdown section, or a file
without a structure scaffold knows, changed on both sides, gets git conflict markers, is listed,
and the exit code is 1. In Python the same statement changed on both sides is refused: exit 1,
one line naming the file, the line and what to write by hand, and nothing written.
"""

from __future__ import annotations

import re

PACKAGE = "evo_app"
START, MIDDLE, END = "<<<<<<< yours", "=======", ">>>>>>> scaffold"


def conflict_sides(text: str) -> list[tuple[str, str]]:
    """Return (yours, scaffold) for every conflict in ``text``; assert the markers are sound."""
    lines = text.splitlines()
    sides: list[tuple[str, str]] = []
    state, yours, theirs = "out", [], []
    for line in lines:
        if line == START:
            assert state == "out", text
            state, yours, theirs = "yours", [], []
        elif line == MIDDLE and state == "yours":
            state = "scaffold"
        elif line == END:
            assert state == "scaffold", text
            sides.append(("\n".join(yours), "\n".join(theirs)))
            state = "out"
        elif state == "yours":
            yours.append(line)
        elif state == "scaffold":
            theirs.append(line)
    assert state == "out", f"unterminated conflict:\n{text}"
    return sides


OWNER_README = "base and settings, chosen by the owner."


def _edit_readme_and_css(project, edit) -> None:
    """Edit the README line that adding static rewrites, and create the file it adds."""
    edit(project / "README.md", "base, settings, tests.\n", OWNER_README + "\n")
    css = project / PACKAGE / "static" / "css" / "app.css"
    css.parent.mkdir(parents=True)
    css.write_text("/* owner: our own stylesheet */\nbody { color: rebeccapurple; }\n")


def test_edits_to_the_lines_a_blueprint_rewrites_give_markers_exit_1_and_a_list(
    make_project, edit, cli
) -> None:
    project = make_project("settings", "tests")
    _edit_readme_and_css(project, edit)

    result = cli("add", "static", "-C", project)

    assert result.exit_code == 1, result.output
    summary = [line for line in result.stdout.splitlines() if "have conflicts" in line]
    assert len(summary) == 1, result.stdout
    assert "2 file(s) have conflicts" in summary[0]
    assert "README.md" in summary[0]
    assert f"{PACKAGE}/static/css/app.css" in summary[0]
    assert f"{PACKAGE}/main.py" not in summary[0]

    readme_sides = conflict_sides((project / "README.md").read_text())
    assert any(OWNER_README in yours for yours, _ in readme_sides)
    assert any("static" in theirs for _, theirs in readme_sides)
    css_sides = conflict_sides((project / PACKAGE / "static" / "css" / "app.css").read_text())
    assert any("rebeccapurple" in yours for yours, _ in css_sides)
    # the rest of the change was still applied
    assert "StaticFiles" in (project / PACKAGE / "main.py").read_text()


def test_json_lists_every_conflicted_file_and_marks_them_as_conflict(
    make_project, edit, cli_json
) -> None:
    project = make_project("settings", "tests")
    _edit_readme_and_css(project, edit)

    code, report = cli_json("add", "static", "-C", project)

    assert code == 1
    assert sorted(report["conflicts"]) == ["README.md", f"{PACKAGE}/static/css/app.css"]
    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    assert {path for path, outcome in outcomes.items() if outcome == "conflict"} == set(
        report["conflicts"]
    )
    for path in report["conflicts"]:
        assert START in (project / path).read_text()


def test_a_comment_above_the_imports_stays_with_its_import_and_merges_cleanly(
    make_project, edit, cli_json
) -> None:
    project = make_project("settings", "tests")
    comment = "# owner: the web framework"
    main = project / PACKAGE / "main.py"
    edit(main, "from fastapi import FastAPI\n", f"{comment}\nfrom fastapi import FastAPI\n")

    code, report = cli_json("add", "static", "-C", project)

    assert code == 0, report
    assert report["conflicts"] == []
    text = main.read_text()
    assert f"{comment}\nfrom fastapi import FastAPI\n" in text
    assert "from pathlib import Path\n" in text
    assert "StaticFiles" in text


def test_the_same_statement_changed_on_both_sides_is_refused_and_nothing_is_written(
    make_project, edit, cli, snapshot
) -> None:
    project = make_project("settings", "tests")
    main = project / PACKAGE / "main.py"
    # The owner sets the keyword that adding middleware sets to something else.
    edit(main, '        version="0.1.0",\n', '        version="0.1.0",\n        middleware=[],\n')
    before = snapshot(project)

    result = cli("add", "middleware", "-C", project)

    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert f"{PACKAGE}/main.py:" in errors[0]
    assert "add by hand: " in errors[0]
    assert snapshot(project) == before


def test_after_a_conflict_running_the_command_again_changes_nothing(
    make_project, edit, cli, cli_json, snapshot
) -> None:
    project = make_project("settings", "tests")
    _edit_readme_and_css(project, edit)
    assert cli_json("add", "static", "-C", project)[0] == 1
    before = snapshot(project)

    again = cli("add", "static", "-C", project)

    # The record already holds what static generates: the markers are the owner's to
    # resolve, and a second run neither duplicates nor removes them.
    assert again.exit_code == 0, again.output
    assert "already part of the project: static" in again.stdout
    assert snapshot(project) == before


def test_status_and_check_report_the_files_left_with_markers(make_project, edit, cli_json) -> None:
    project = make_project("settings", "tests")
    _edit_readme_and_css(project, edit)
    assert cli_json("add", "static", "-C", project)[0] == 1

    _, status = cli_json("status", "-C", project)
    code, check = cli_json("check", "-C", project)

    expected = ["README.md", f"{PACKAGE}/static/css/app.css"]
    assert sorted(status["conflicts"]) == expected
    assert code == 1
    conflicts = sorted(d["path"] for d in check["drift"] if d["kind"] == "conflict")
    assert conflicts == expected


def test_resolving_the_markers_makes_check_pass_again(make_project, edit, cli_json) -> None:
    project = make_project("settings", "tests")
    _edit_readme_and_css(project, edit)
    assert cli_json("add", "static", "-C", project)[0] == 1

    for path in ("README.md", f"{PACKAGE}/static/css/app.css"):  # keep both sides
        target = project / path
        text = target.read_text()
        text = re.sub(rf"^(?:{START}|{MIDDLE}|{END})\n", "", text, flags=re.MULTILINE)
        target.write_text(text)
    code, check = cli_json("check", "-C", project)

    assert code == 0, check
    assert check["ok"] is True
