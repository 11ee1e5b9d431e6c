"""``scaffold update``, ``status`` and ``check`` with two versions of a throwaway blueprint.

``orgkit`` plays an org's blueprint: a Python module the owner leaves alone, a handbook the
owner edits, and a CI workflow the org manages verbatim. Version 1.1.0 rewrites the same
--source folder, changing all three (the handbook far from the owner's edit).
"""

from __future__ import annotations

import tomllib

import pytest

PACKAGE = "evo_app"
WORKFLOW = ".github/workflows/ci.yml"
HANDBOOK = "HANDBOOK.md"
MODULE = f"{PACKAGE}/orgkit.py"

_MANIFEST = """\
verbatim = [".github/workflows/*.yml"]
dependencies = [{dependencies}]
"""

_HANDBOOK_LINES = [f"Rule {n}: the org's rule number {n}." for n in range(1, 21)]

_MODULE_V1 = '''\
"""Helpers every service of the org shares."""


def org_name() -> str:
    """Return the org's name."""
    return "acme"
'''

_MODULE_V2 = (
    _MODULE_V1
    + '''

def org_region() -> str:
    """Return the org's default region."""
    return "eu-west-1"
'''
)

_WORKFLOW_V1 = """\
name: ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pytest  # {{ package }}
"""

_WORKFLOW_V2 = _WORKFLOW_V1 + "      - run: ruff check .\n"


def _handbook(version: str) -> str:
    lines = list(_HANDBOOK_LINES)
    if version == "1.1.0":
        lines[15] = "Rule 16: the org's rule number 16, clarified in 1.1.0."
    return "# Handbook\n\n" + "\n".join(lines) + "\n"


def write_orgkit(source, version: str) -> None:
    """(Re)write the orgkit blueprint in ``source`` at ``version``."""
    v2 = version == "1.1.0"
    source.add(
        "orgkit",
        _MANIFEST.format(dependencies='"tomli-w>=1"' if v2 else ""),
        {
            "{{ package }}/orgkit.py": _MODULE_V2 if v2 else _MODULE_V1,
            HANDBOOK: _handbook(version),
            f"{WORKFLOW}.jinja": _WORKFLOW_V2 if v2 else _WORKFLOW_V1,
        },
        version=version,
    )


OWNER_HANDBOOK_LINE = "Owner's note: our team also reviews every change twice."
OWNER_MAIN_LINE = "# owner: this service belongs to the payments team"


@pytest.fixture
def org_project(source, new_project, tmp_path):
    """A project with orgkit 1.0.0 (from --source), edited by its owner."""
    write_orgkit(source, "1.0.0")
    project = new_project(tmp_path / "out", ("orgkit", "tests"), sources=(source.root,))
    handbook = project / HANDBOOK
    lines = handbook.read_text().splitlines(keepends=True)
    lines.insert(4, OWNER_HANDBOOK_LINE + "\n")  # after rule 2, far from rule 16
    handbook.write_text("".join(lines))
    main = project / PACKAGE / "main.py"
    main.write_text(OWNER_MAIN_LINE + "\n" + main.read_text())
    return project


def _kinds(report) -> set[tuple[str, str | None, str | None]]:
    return {(d["kind"], d["blueprint"], d["path"]) for d in report["drift"]}


def test_check_passes_on_a_project_at_current_versions_despite_owner_edits(
    org_project, cli, cli_json
) -> None:
    code, report = cli_json("check", "-C", org_project)
    human = cli("check", "-C", org_project)

    assert code == 0, report
    assert report == {"ok": True, "project": "evo-app", "drift": []}
    assert human.exit_code == 0
    assert "has not drifted" in human.stdout


def test_update_brings_a_new_blueprint_version_in_by_merging(
    org_project, source, cli, cli_json, ruff_clean
) -> None:
    write_orgkit(source, "1.1.0")

    code, check_before = cli_json("check", "-C", org_project)
    assert code == 1
    assert ("outdated", "orgkit", None) in _kinds(check_before)
    assert check_before["ok"] is False
    outdated = next(d for d in check_before["drift"] if d["kind"] == "outdated")
    assert "1.0.0 -> 1.1.0" in outdated["detail"]

    code, report = cli_json("update", "-C", org_project)

    assert code == 0, report
    assert report["conflicts"] == []
    assert "moves orgkit from 1.0.0 to 1.1.0" in report["notes"]
    outcomes = {item["path"]: item["outcome"] for item in report["files"]}
    assert outcomes[MODULE] == "replaced"  # untouched by the owner
    assert outcomes[WORKFLOW] == "replaced"
    assert outcomes[HANDBOOK] == "merged"  # both changed it, far apart
    assert f"{PACKAGE}/main.py" not in outcomes  # scaffold did not change it: the owner's stays
    handbook = (org_project / HANDBOOK).read_text()
    assert OWNER_HANDBOOK_LINE in handbook
    assert "clarified in 1.1.0" in handbook
    assert "<<<<<<<" not in handbook
    assert "org_region" in (org_project / MODULE).read_text()
    assert (org_project / PACKAGE / "main.py").read_text().startswith(OWNER_MAIN_LINE)
    pyproject = tomllib.loads((org_project / "pyproject.toml").read_text())
    assert "tomli-w>=1" in pyproject["project"]["dependencies"]
    record = tomllib.loads((org_project / ".scaffold/project.toml").read_text())
    assert record["blueprints"]["orgkit"]["version"] == "1.1.0"

    code, check_after = cli_json("check", "-C", org_project)
    assert code == 0, check_after
    assert check_after["ok"] is True
    ruff_clean(org_project)


def test_update_twice_changes_nothing_the_second_time(
    org_project, source, cli, cli_json, snapshot
) -> None:
    write_orgkit(source, "1.1.0")
    assert cli_json("update", "-C", org_project)[0] == 0
    before = snapshot(org_project)

    again = cli("update", "-C", org_project)

    assert again.exit_code == 0, again.output
    assert "Nothing to change" in again.stdout
    assert snapshot(org_project) == before


def test_update_of_a_project_at_current_versions_changes_nothing(
    make_project, cli, snapshot
) -> None:
    project = make_project("middleware", "tests")
    before = snapshot(project)

    result = cli("update", "-C", project)

    assert result.exit_code == 0, result.output
    assert "Nothing to change" in result.stdout
    assert snapshot(project) == before


def test_update_accepts_the_source_the_project_already_records(
    org_project, source, cli_json
) -> None:
    """Passing the org's folder again must not clash with the same folder in the record."""
    write_orgkit(source, "1.1.0")

    code, report = cli_json("update", "-C", org_project, "--source", source.root)

    assert code == 0, report
    assert "moves orgkit from 1.0.0 to 1.1.0" in report["notes"]
    for command in (("status",), ("check",)):
        code, _ = cli_json(*command, "-C", org_project, "--source", source.root)
        assert code == 0


def test_update_where_the_owner_changed_the_same_lines_conflicts_and_check_says_so(
    org_project, source, cli_json, edit
) -> None:
    edit(
        org_project / HANDBOOK,
        "Rule 16: the org's rule number 16.",
        "Rule 16: the owner rewrote rule 16.",
    )
    write_orgkit(source, "1.1.0")

    code, report = cli_json("update", "-C", org_project)

    assert code == 1
    assert report["conflicts"] == [HANDBOOK]
    handbook = (org_project / HANDBOOK).read_text()
    yours = handbook.split("<<<<<<< yours\n", 1)[1].split("=======\n", 1)[0]
    assert "the owner rewrote rule 16" in yours
    assert OWNER_HANDBOOK_LINE in handbook

    code, check = cli_json("check", "-C", org_project)
    assert code == 1
    assert _kinds(check) == {("conflict", None, HANDBOOK)}  # no longer outdated


def test_an_edited_verbatim_file_is_drift(org_project, cli, cli_json) -> None:
    workflow = org_project / WORKFLOW
    workflow.write_text(workflow.read_text().replace("ubuntu-latest", "self-hosted"))

    code, report = cli_json("check", "-C", org_project)
    human = cli("check", "-C", org_project)

    assert code == 1
    assert report["ok"] is False
    assert report["project"] == "evo-app"
    assert _kinds(report) == {("verbatim", "orgkit", WORKFLOW)}
    assert human.exit_code == 1
    assert WORKFLOW in human.stdout
    assert "verbatim" in human.stdout


def test_a_deleted_verbatim_file_is_drift(org_project, cli_json) -> None:
    (org_project / WORKFLOW).unlink()

    code, report = cli_json("check", "-C", org_project)

    assert code == 1
    assert _kinds(report) == {("verbatim", "orgkit", WORKFLOW)}
    assert report["drift"][0]["detail"] == "missing"


def test_owner_edits_to_main_py_alone_are_not_drift(make_project, cli_json, edit) -> None:
    project = make_project("middleware", "tests")
    main = project / PACKAGE / "main.py"
    main.write_text(
        main.read_text() + '\n\n@app.get("/mine")\ndef mine() -> str:\n    return "x"\n'
    )

    code, report = cli_json("check", "-C", project)

    assert code == 0, report
    assert report == {"ok": True, "project": "evo-app", "drift": []}


def test_leftover_conflict_markers_are_drift(make_project, cli_json) -> None:
    project = make_project("tests")
    main = project / PACKAGE / "main.py"
    main.write_text(
        main.read_text() + "<<<<<<< yours\n# mine\n=======\n# theirs\n>>>>>>> scaffold\n"
    )

    code, report = cli_json("check", "-C", project)

    assert code == 1
    assert _kinds(report) == {("conflict", None, f"{PACKAGE}/main.py")}


def test_check_json_has_a_stable_shape(org_project, source, cli_json) -> None:
    write_orgkit(source, "1.1.0")
    (org_project / WORKFLOW).write_text("edited\n")

    _, report = cli_json("check", "-C", org_project)

    assert list(report) == ["ok", "project", "drift"]
    assert report["drift"]
    for item in report["drift"]:
        assert list(item) == ["kind", "blueprint", "path", "detail"]
        assert item["kind"] in {"outdated", "ahead", "unknown-blueprint", "verbatim", "conflict"}
        assert isinstance(item["detail"], str)


@pytest.mark.parametrize(
    "args",
    [("--no-such-flag",), ("extra-argument",)],
    ids=["unknown-flag", "extra-argument"],
)
def test_check_usage_errors_exit_2(make_project, cli, args) -> None:
    project = make_project("tests")

    result = cli("check", "-C", project, *args)

    assert result.exit_code == 2


def test_check_outside_a_project_exits_2_with_one_line(tmp_path, cli, error_line) -> None:
    result = cli("check", "-C", tmp_path)

    assert result.exit_code == 2
    assert "not a scaffold project" in error_line(result)


def test_status_reports_versions_and_the_owners_edits(org_project, source, cli, cli_json) -> None:
    (org_project / "README.md").unlink()
    write_orgkit(source, "1.1.0")

    code, report = cli_json("status", "-C", org_project)
    human = cli("status", "-C", org_project)

    assert code == 0
    assert report["project"] == "evo-app"
    states = {bp["name"]: bp for bp in report["blueprints"]}
    assert states["orgkit"]["recorded"] == "1.0.0"
    assert states["orgkit"]["available"] == "1.1.0"
    assert (org_project / states["orgkit"]["source"]).resolve() == source.root.resolve()
    assert states["base"]["source"] == "built-in"
    assert sorted(report["edited"]) == [HANDBOOK, f"{PACKAGE}/main.py"]
    assert report["missing"] == ["README.md"]
    assert report["conflicts"] == []
    assert human.exit_code == 0
    assert "1.1.0" in human.stdout
    assert HANDBOOK in human.stdout


def test_status_of_a_fresh_project_says_nothing_was_edited(make_project, cli) -> None:
    project = make_project("tests")

    result = cli("status", "-C", project)

    assert result.exit_code == 0
    assert "Every generated file is as scaffold wrote it." in result.stdout


def test_a_relative_source_still_works_from_inside_the_project(
    source, new_project, tmp_path, cli_json, monkeypatch
) -> None:
    """`scaffold new --source ./blueprints`, then `cd` into the project and update there."""
    write_orgkit(source, "1.0.0")
    monkeypatch.chdir(tmp_path)
    project = new_project(
        tmp_path / "out", ("orgkit",), sources=(source.root.relative_to(tmp_path),)
    )
    write_orgkit(source, "1.1.0")
    monkeypatch.chdir(project)

    code, check = cli_json("check")
    assert code == 1, check
    assert ("outdated", "orgkit", None) in _kinds(check)
    code, report = cli_json("update")

    assert code == 0, report
    assert "moves orgkit from 1.0.0 to 1.1.0" in report["notes"]


# --- update -O: change an option chosen earlier --------------------------------------------


def test_update_option_rerenders_through_the_merge_and_records_the_answer(
    make_project, first_week, cli_json, lines_present, ruff_clean, project_tests_pass
) -> None:
    project = make_project("middleware", "tests")
    lines = first_week(project)

    code, report = cli_json("update", "-O", "middleware.gzip_minimum_size=500", "-C", project)

    assert code == 0, report
    assert report["conflicts"] == []
    config = (project / "evo_app" / "config.py").read_text()
    assert 'default=500, description="Responses smaller than' in config
    assert "EVO_APP_GZIP_MINIMUM_SIZE=500" in (project / ".env.example").read_text()
    record = tomllib.loads((project / ".scaffold/project.toml").read_text())
    assert record["blueprints"]["middleware"]["options"]["gzip_minimum_size"] == 500
    lines_present(project, lines)
    ruff_clean(project)
    project_tests_pass(project)
    again_code, again = cli_json("update", "-C", project)
    assert (again_code, again["changed"]) == (0, False)  # the new answer is the recorded one


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("websockets.allowed_origins=[]", "the project has no blueprint 'websockets'"),
        ("middleware.gzip_minimum_size=-1", "middleware.gzip_minimum_size"),
        ("middleware.no_such_option=1", "has no option 'no_such_option'"),
        ("gzip_minimum_size=1", "is not of the form BLUEPRINT.OPTION=VALUE"),
    ],
)
def test_update_option_refuses_bad_input_in_one_line_and_writes_nothing(
    flag, expected, make_project, cli, error_line, snapshot
) -> None:
    project = make_project("middleware", "tests")
    before = snapshot(project)

    result = cli("update", "-O", flag, "-C", project)

    assert result.exit_code == 2
    assert expected in error_line(result)
    assert snapshot(project) == before
