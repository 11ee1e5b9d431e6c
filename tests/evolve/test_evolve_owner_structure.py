"""Owner edits that change the structure scaffold merges against (found by trying it as users).

A renamed factory, a variable the owner already documents, a blueprint module the owner's code
imports: scaffold never half-applies a change and reports success, never duplicates what the
owner has, and never strips a file the owner's code may use.
"""

from __future__ import annotations

import subprocess
import sys

PACKAGE = "evo_app"


def test_a_renamed_factory_refuses_the_change_naming_what_to_add(
    make_project, edit, cli, error_line, snapshot
) -> None:
    project = make_project("settings", "tests")
    main = project / PACKAGE / "main.py"
    text = main.read_text().replace("create_app", "build_app")
    main.write_text(text)
    conftest = project / "tests" / "conftest.py"
    conftest.write_text(conftest.read_text().replace("create_app", "build_app"))
    before = snapshot(project)

    result = cli("add", "websockets", "-C", project)

    assert result.exit_code == 1, result.output
    line = error_line(result)
    assert f"{PACKAGE}/main.py" in line
    assert "def create_app" in line
    assert "no longer there (removed or renamed)" in line
    assert "app.include_router(websockets.router)" in line  # what to add by hand
    assert snapshot(project) == before


def test_a_variable_the_owner_already_documents_is_not_added_twice(make_project, cli_json) -> None:
    project = make_project("settings", "tests")
    env = project / ".env.example"
    owners = 'EVO_APP_WS_ALLOWED_ORIGINS=["https://owner.example"]'
    env.write_text(env.read_text() + f"\n# Local overrides\n{owners}\n")

    code, report = cli_json("add", "websockets", "-C", project)

    assert code == 0, report
    lines = env.read_text().splitlines()
    assert [line for line in lines if line.startswith("EVO_APP_WS_ALLOWED_ORIGINS=")] == [owners]
    assert any("kept your 'EVO_APP_WS_ALLOWED_ORIGINS'" in note for note in report["notes"])


def test_a_blueprint_module_the_owner_edited_and_imports_stays_whole_on_remove(
    make_project, edit, cli_json
) -> None:
    project = make_project("websockets", "settings", "tests")
    module = project / PACKAGE / "websockets.py"
    edit(module, "\nmanager = ", "\n# OWNER: our rooms are tenants\nmanager = ")
    (project / PACKAGE / "owner.py").write_text(f"from {PACKAGE}.websockets import manager\n")
    edited = module.read_text()

    code, report = cli_json("remove", "websockets", "-C", project)

    assert code == 0, report
    assert module.read_text() == edited
    assert any(f"{PACKAGE}/websockets.py: kept" in note for note in report["notes"])
    done = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}.owner"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
