"""The promise of issue #4: an org blueprint from a git repository with two tags is added to a
project, checked in CI, updated from the first tag to the second, and checked again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

WORKFLOW = ".github/workflows/acme-ci.yml"


def _record(project: Path) -> dict:
    return tomllib.loads((project / ".scaffold" / "project.toml").read_text())


def test_an_org_blueprint_is_added_at_a_tag_checked_updated_and_checked_again(
    cli, cli_json, acme_repo, new_service, commit
) -> None:
    project = new_service()
    main_py = project / "svc" / "main.py"
    main_py.write_text(main_py.read_text() + "\n# the owner's own line\n")
    commit(project, "owner edit")

    added = cli("add", "acme-service", "--source", f"{acme_repo.path}@v1.0.0", "-C", project)
    assert added.exit_code == 0, added.output
    record = _record(project)["blueprints"]["acme-service"]
    assert record["version"] == "1.0.0"
    assert record["ref"] == "v1.0.0"
    assert record["source"] == f"git+{acme_repo.path}"
    assert len(record["commit"]) == 40
    assert "acme pipeline 1.0.0" in (project / WORKFLOW).read_text()
    assert "AcmeHeaderMiddleware" in main_py.read_text()
    commit(project, "add acme")

    # CI: a newer tag exists, so check fails and says which blueprint and what to run.
    code, report = cli_json("check", "-C", project)
    assert code == 1
    assert report["ok"] is False
    outdated = [d for d in report["drift"] if d["kind"] == "outdated"]
    assert [(d["blueprint"], d["detail"]) for d in outdated] == [
        ("acme-service", "1.0.0 -> 2.0.0 available; run 'scaffold update'")
    ]

    # The record alone brings the source back: no --source needed from here on.
    updated = cli("update", "-C", project)
    assert updated.exit_code == 0, updated.output
    record = _record(project)["blueprints"]["acme-service"]
    assert (record["version"], record["ref"]) == ("2.0.0", "v2.0.0")
    assert "acme pipeline 2.0.0" in (project / WORKFLOW).read_text()
    assert "# the owner's own line" in main_py.read_text()
    assert '"platform-eng"' in (project / "svc" / "config.py").read_text()
    commit(project, "update acme")

    code, report = cli_json("check", "-C", project)
    assert (code, report["drift"]) == (0, [])

    # Running update again changes nothing.
    code, again = cli_json("update", "-C", project)
    assert (code, again["changed"]) == (0, False)


def test_the_updated_project_passes_its_own_tests_and_serves_the_org_header(
    cli, service_with_acme
) -> None:
    project = service_with_acme()
    assert cli("update", "-C", project).exit_code == 0
    test_file = project / "tests" / "test_acme.py"
    test_file.write_text(
        "def test_every_response_names_the_service(client):\n"
        "    response = client.get('/health')\n"
        "    assert response.headers['x-acme-service'] == 'svc'\n"
    )

    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )

    assert lint.returncode == 0, lint.stdout
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "passed" in tests.stdout


def test_a_verbatim_file_edited_by_the_owner_fails_check(cli_json, service_with_acme) -> None:
    project = service_with_acme("v2.0.0")
    (project / WORKFLOW).write_text("name: hacked\n")

    code, report = cli_json("check", "-C", project)

    assert code == 1
    assert [(d["kind"], d["path"]) for d in report["drift"]] == [("verbatim", WORKFLOW)]


def test_update_to_a_chosen_tag_and_a_downgrade_is_refused(
    cli, cli_json, error_line, commit, service_with_acme
) -> None:
    project = service_with_acme()

    code, report = cli_json("update", "acme-service", "--to", "2.0.0", "-C", project)
    assert code == 0
    assert "moves acme-service from 1.0.0 to 2.0.0" in report["notes"]
    commit(project, "update")
    before = (project / ".scaffold" / "project.toml").read_bytes()

    refused = cli("update", "--to", "v1.0.0", "-C", project)

    assert refused.exit_code == 2
    assert "refusing to move 'acme-service' back from 2.0.0 to 1.0.0" in error_line(refused)
    assert (project / ".scaffold" / "project.toml").read_bytes() == before


def test_to_an_unknown_tag_names_it(cli, error_line, commit, service_with_acme) -> None:
    project = service_with_acme()

    result = cli("update", "--to", "9.9.9", "-C", project)

    assert result.exit_code == 2
    assert "no tag or commit '9.9.9'" in error_line(result)


def test_to_needs_a_git_sourced_blueprint(cli, error_line, new_service) -> None:
    project = new_service()

    result = cli("update", "settings", "--to", "2.0.0", "-C", project)

    assert result.exit_code == 2
    assert "--to needs a blueprint from a git source" in error_line(result)


def test_without_a_ref_the_newest_tag_is_used(cli, acme_repo, tmp_path: Path) -> None:
    result = cli(
        "new",
        "svc",
        "-b",
        "acme-service",
        "--source",
        f"git+{acme_repo.path}",
        "--no-input",
        "-o",
        tmp_path,
    )

    assert result.exit_code == 0, result.output
    assert _record(tmp_path / "svc")["blueprints"]["acme-service"]["ref"] == "v2.0.0"


def test_commands_other_than_update_keep_the_recorded_tag(cli, service_with_acme) -> None:
    project = service_with_acme()

    assert cli("add", "websockets", "-C", project).exit_code == 0

    assert _record(project)["blueprints"]["acme-service"]["version"] == "1.0.0"


def test_a_fetched_commit_is_reused_offline(cli, acme_repo, commit, service_with_acme) -> None:
    project = service_with_acme()
    shutil.rmtree(acme_repo.path)  # the remote is gone: the cached checkout of the commit serves

    result = cli("add", "websockets", "-C", project)

    assert result.exit_code == 0, result.output


def test_an_unreachable_source_is_one_line_and_writes_nothing(
    cli, error_line, tmp_path: Path
) -> None:
    result = cli(
        "new",
        "svc",
        "--source",
        f"git+{tmp_path / 'nowhere'}",
        "--no-input",
        "-o",
        tmp_path / "out",
    )

    assert result.exit_code == 2
    assert "git ls-remote failed" in error_line(result)
    assert not (tmp_path / "out").exists()


def test_a_copier_template_in_git_is_a_blueprint(cli, make_repo, tmp_path: Path) -> None:
    repo = make_repo("greeter")
    repo.write("copier.yml", "greeting:\n  type: str\n  default: hello\n")
    repo.write(
        "{{ package }}/greeting.py.jinja", 'GREETING = "{{ greeting }} from {{ project_name }}"\n'
    )
    repo.release("v1.0.0")
    repo.write("copier.yml", "greeting:\n  type: str\n  default: hi\n")
    repo.release("v1.1.0")

    result = cli(
        "new", "svc", "-b", "greeter", "-O", "greeter.greeting=howdy",
        "--source", f"git+{repo.path}", "--no-input", "-o", tmp_path,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert (tmp_path / "svc" / "svc" / "greeting.py").read_text() == 'GREETING = "howdy from svc"\n'
    recorded = _record(tmp_path / "svc")["blueprints"]["greeter"]
    assert (recorded["version"], recorded["ref"]) == ("1.1.0", "v1.1.0")


def test_the_copier_trust_gate_stops_tasks_with_exit_3_and_writes_nothing(
    cli, error_line, make_repo, tmp_path: Path
) -> None:
    repo = make_repo("tasky")
    witness = tmp_path / "pwned-by-tasky"
    repo.write("copier.yml", f"_tasks:\n  - touch {witness}\n")
    repo.write("note.txt", "hi\n")
    repo.release("v1.0.0")
    out = tmp_path / "out"

    refused = cli(
        "new", "svc", "-b", "tasky", "--source", f"git+{repo.path}", "--no-input", "-o", out
    )

    assert refused.exit_code == 3
    assert "runs code (tasks)" in error_line(refused)
    assert "--trust" in error_line(refused)
    assert not out.exists()
    assert not witness.exists()


def test_trusted_copier_tasks_run_in_the_private_staging_folder(
    cli, make_repo, tmp_path: Path
) -> None:
    repo = make_repo("tasky")
    repo.write("copier.yml", "_tasks:\n  - echo made-by-a-task > task-output.txt\n")
    repo.write("note.txt", "hi\n")
    repo.release("v1.0.0")

    result = cli(
        "new",
        "svc",
        "-b",
        "tasky",
        "--source",
        f"git+{repo.path}",
        "--trust",
        "--no-input",
        "-o",
        tmp_path,
    )

    assert result.exit_code == 0, result.output
    assert (tmp_path / "svc" / "task-output.txt").read_text().strip() == "made-by-a-task"


def test_status_works_offline_but_check_refuses_to_pass_blind(
    cli, cli_json, error_line, acme_repo, new_service
) -> None:
    project = new_service()
    add = cli("add", "acme-service", "--source", f"{acme_repo.path}@v1.0.0", "-C", project)
    assert add.exit_code == 0
    shutil.rmtree(acme_repo.path)

    code, status = cli_json("status", "-C", project)
    checked = cli("check", "-C", project)

    assert code == 0
    acme = next(bp for bp in status["blueprints"] if bp["name"] == "acme-service")
    assert (acme["recorded"], acme["available"]) == ("1.0.0", "1.0.0")
    assert checked.exit_code == 2
    assert "git ls-remote failed" in error_line(checked)


def test_the_example_org_blueprint_released_twice_from_git(
    cli, cli_json, make_repo, new_service, commit
) -> None:
    """tests/org/acme-service, the guide's example, as an org would release it: tag, change, tag."""
    example = Path(__file__).parents[1] / "org" / "acme-service"
    repo = make_repo("acme-service")
    shutil.copytree(example, repo.path, dirs_exist_ok=True)
    repo.release("v1.0.0")
    workflow = repo.path / "files" / WORKFLOW
    workflow.write_text(workflow.read_text() + "# 1.1.0: the org's pipeline gained a step\n")
    manifest = repo.path / "blueprint.toml"
    manifest.write_text(manifest.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    repo.release("v1.1.0")
    project = new_service()

    added = cli("add", "acme-service", "--source", f"{repo.path}@v1.0.0", "-C", project)
    commit(project, "add the org standard")
    stale, before = cli_json("check", "-C", project)
    updated = cli("update", "-C", project)
    commit(project, "update the org standard")
    fresh, after = cli_json("check", "-C", project)

    assert added.exit_code == 0, added.output
    assert (stale, [d["kind"] for d in before["drift"]]) == (1, ["outdated"])
    assert updated.exit_code == 0, updated.output
    assert "gained a step" in (project / WORKFLOW).read_text()
    assert (fresh, after["drift"]) == (0, [])


def test_a_tag_pinned_in_the_project_file_is_what_check_and_update_aim_for(
    cli, cli_json, acme_repo, service_with_acme, commit
) -> None:
    project = service_with_acme("v1.0.0")
    with (project / "pyproject.toml").open("a") as handle:
        handle.write(f'\n[tool.scaffold]\nsources = ["{acme_repo.path}@v1.0.0"]\n')
    commit(project, "pin the org standard at 1.0.0")

    pinned_check, pinned = cli_json("check", "-C", project)
    pinned_update, same = cli_json("update", "-C", project)
    override_check, override = cli_json(
        "check", "-C", project, "--source", f"{acme_repo.path}@v2.0.0"
    )

    assert (pinned_check, pinned["drift"]) == (0, [])
    assert (pinned_update, same["changed"]) == (0, False)
    assert override_check == 1
    assert [d["detail"] for d in override["drift"]] == [
        "1.0.0 -> 2.0.0 available; run 'scaffold update'"
    ]


def test_update_of_a_blueprint_the_project_lacks_is_refused(cli, error_line, new_service) -> None:
    project = new_service()

    result = cli("update", "acme-servce", "-C", project)

    assert result.exit_code == 2
    assert "not part of the project: acme-servce" in error_line(result)


def test_a_rewritten_release_tag_fails_check(
    cli_json, acme_repo, service_with_acme, run_git
) -> None:
    project = service_with_acme("v2.0.0")
    # Someone moves the v2.0.0 tag to a new commit: the release the project was made from
    # is not what the tag names any more.
    (acme_repo.path / "files" / "sneaky.txt").write_text("not reviewed\n")
    run_git("add", "-A", cwd=acme_repo.path)
    run_git("commit", "-q", "-m", "sneaky", cwd=acme_repo.path)
    run_git("tag", "-f", "-a", "v2.0.0", "-m", "v2.0.0 again", cwd=acme_repo.path)

    code, report = cli_json("check", "-C", project)

    assert code == 1
    assert [(d["kind"], d["blueprint"]) for d in report["drift"]] == [("retagged", "acme-service")]
    assert "tag v2.0.0 now points to" in report["drift"][0]["detail"]


def test_a_fresh_machine_uses_the_recorded_commit_not_a_moved_tag(
    cli, acme_repo, service_with_acme, run_git, tmp_path, monkeypatch
) -> None:
    project = service_with_acme("v1.0.0")
    run_git("checkout", "-q", "v1.0.0", cwd=acme_repo.path)
    (acme_repo.path / "files" / "sneaky.txt").write_text("not reviewed\n")
    run_git("add", "-A", cwd=acme_repo.path)
    run_git("commit", "-q", "-m", "sneaky", cwd=acme_repo.path)
    run_git("tag", "-f", "v1.0.0", cwd=acme_repo.path)
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path / "another-machine"))

    result = cli("add", "websockets", "-C", project)

    assert result.exit_code == 0, result.output
    assert not (project / "sneaky.txt").exists()
