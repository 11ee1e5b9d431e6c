"""Where the owner and a blueprint changed the same lines: git conflict markers, listed, exit 1."""

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


def _edit_config_and_env(project, edit) -> dict[str, str]:
    """Edit exactly the lines that adding middleware rewrites; return the owner's lines."""
    env_line = "EVO_APP_OWNER_FEATURE=on  # owner"
    field = '    owner_feature: str = Field(default="on", description="The owner\'s own switch")'
    imports = "from pydantic import Field, SecretStr, field_validator  # owner"
    env = project / ".env.example"
    env.write_text(env.read_text() + f"\n# The owner's feature flag\n{env_line}\n")
    config = project / PACKAGE / "config.py"
    edit(config, "from pydantic import Field, SecretStr\n", imports + "\n")
    edit(config, "\n\n\n@lru_cache", f"\n{field}\n\n\n@lru_cache")
    return {".env.example": env_line, f"{PACKAGE}/config.py": field, "imports": imports}


def test_edits_to_the_lines_a_blueprint_rewrites_give_markers_exit_1_and_a_list(
    make_project, edit, cli
) -> None:
    project = make_project("settings", "tests")
    owner = _edit_config_and_env(project, edit)

    result = cli("add", "middleware", "-C", project)

    assert result.exit_code == 1, result.output
    summary = [line for line in result.stdout.splitlines() if "have conflicts" in line]
    assert len(summary) == 1, result.stdout
    assert "2 file(s) have conflicts" in summary[0]
    assert ".env.example" in summary[0]
    assert f"{PACKAGE}/config.py" in summary[0]
    assert f"{PACKAGE}/main.py" not in summary[0]  # untouched by the owner: replaced

    env_sides = conflict_sides((project / ".env.example").read_text())
    assert env_sides, "no conflict markers in .env.example"
    assert any(owner[".env.example"] in yours for yours, _ in env_sides)
    assert any("EVO_APP_ALLOWED_HOSTS" in theirs for _, theirs in env_sides)

    config = (project / PACKAGE / "config.py").read_text()
    config_sides = conflict_sides(config)
    assert any(owner[f"{PACKAGE}/config.py"] in yours for yours, _ in config_sides)
    assert owner["imports"] in config  # inside markers or merged, never lost
    assert any("allowed_hosts" in theirs for _, theirs in config_sides)
    # the rest of the change was still applied
    assert (project / PACKAGE / "middleware.py").is_file()
    assert "RequestContextMiddleware" in (project / PACKAGE / "main.py").read_text()


def test_json_lists_every_conflicted_file_and_marks_them_as_conflict(
    make_project, edit, cli_json
) -> None:
    project = make_project("settings", "tests")
    _edit_config_and_env(project, edit)

    code, report = cli_json("add", "middleware", "-C", project)

    assert code == 1
    assert sorted(report["conflicts"]) == [".env.example", f"{PACKAGE}/config.py"]
    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    assert {path for path, outcome in outcomes.items() if outcome == "conflict"} == set(
        report["conflicts"]
    )
    for path in report["conflicts"]:
        assert START in (project / path).read_text()


def test_a_comment_next_to_the_imports_a_blueprint_adds_conflicts_and_survives(
    make_project, edit, cli_json
) -> None:
    project = make_project("settings", "tests")
    comment = "# owner: the web framework"
    main = project / PACKAGE / "main.py"
    edit(main, "from fastapi import FastAPI\n", f"{comment}\nfrom fastapi import FastAPI\n")

    code, report = cli_json("add", "static", "-C", project)

    assert code == 1
    assert report["conflicts"] == [f"{PACKAGE}/main.py"]
    sides = conflict_sides(main.read_text())
    assert any(comment in yours for yours, _ in sides)
    assert any("from pathlib import Path" in theirs for _, theirs in sides)
    assert "StaticFiles" in main.read_text()


def test_a_file_the_owner_created_where_a_blueprint_adds_one_conflicts(
    make_project, cli_json
) -> None:
    project = make_project("settings", "tests")
    css = project / PACKAGE / "static" / "css" / "app.css"
    css.parent.mkdir(parents=True)
    css.write_text("/* owner: our own stylesheet */\nbody { color: rebeccapurple; }\n")

    code, report = cli_json("add", "static", "-C", project)

    assert code == 1
    assert report["conflicts"] == [f"{PACKAGE}/static/css/app.css"]
    sides = conflict_sides(css.read_text())
    assert any("rebeccapurple" in yours for yours, _ in sides)


def test_after_a_conflict_running_the_command_again_changes_nothing(
    make_project, edit, cli, cli_json, snapshot
) -> None:
    project = make_project("settings", "tests")
    _edit_config_and_env(project, edit)
    assert cli_json("add", "middleware", "-C", project)[0] == 1
    before = snapshot(project)

    again = cli("add", "middleware", "-C", project)

    # The record already holds what middleware generates: the markers are the owner's to
    # resolve, and a second run neither duplicates nor removes them.
    assert again.exit_code == 0, again.output
    assert "already part of the project: middleware" in again.stdout
    assert snapshot(project) == before


def test_status_and_check_report_the_files_left_with_markers(make_project, edit, cli_json) -> None:
    project = make_project("settings", "tests")
    _edit_config_and_env(project, edit)
    assert cli_json("add", "middleware", "-C", project)[0] == 1

    _, status = cli_json("status", "-C", project)
    code, check = cli_json("check", "-C", project)

    assert sorted(status["conflicts"]) == [".env.example", f"{PACKAGE}/config.py"]
    assert code == 1
    conflicts = sorted(d["path"] for d in check["drift"] if d["kind"] == "conflict")
    assert conflicts == [".env.example", f"{PACKAGE}/config.py"]


def test_resolving_the_markers_makes_check_pass_again(make_project, edit, cli_json) -> None:
    project = make_project("settings", "tests")
    _edit_config_and_env(project, edit)
    assert cli_json("add", "middleware", "-C", project)[0] == 1

    for path in (".env.example", f"{PACKAGE}/config.py"):  # keep both sides, as an owner might
        target = project / path
        text = target.read_text()
        text = re.sub(rf"^(?:{START}|{MIDDLE}|{END})\n", "", text, flags=re.MULTILINE)
        target.write_text(text)
    code, check = cli_json("check", "-C", project)

    assert code == 0, check
    assert check["ok"] is True
