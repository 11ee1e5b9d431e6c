"""The CI examples in docs/ci run the scaffold commands, and handle the exit codes, as documented.

They are copied into other repositories, where nobody runs them against a new scaffold before
it is released: these checks keep them from rotting silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

CI = Path(__file__).resolve().parents[2] / "docs" / "ci"


def _workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CI / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key 'on' as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def _step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    for step in _steps(workflow):
        if step.get("name") == name:
            return step
    raise AssertionError(f"no step named {name!r}")


def _uses(workflow: dict[str, Any]) -> list[str]:
    return [step["uses"].partition("@")[0] for step in _steps(workflow) if "uses" in step]


def _embedded_python(script: str) -> list[str]:
    """The bodies of ``python - ... <<'PY'`` heredocs, dedented as bash would feed them."""
    import textwrap

    return [textwrap.dedent(body) for body in re.findall(r"<<'PY'\n(.*?)\n\s*PY\b", script, re.S)]


@pytest.fixture(scope="module")
def check_workflow() -> dict[str, Any]:
    return _workflow("scaffold-check.yml")


@pytest.fixture(scope="module")
def update_workflow() -> dict[str, Any]:
    return _workflow("scaffold-update.yml")


def test_check_runs_scaffold_check_json_into_a_file(check_workflow: dict[str, Any]) -> None:
    run = _step(check_workflow, "Check for drift")["run"]

    assert "scaffold check --json > drift.json" in run
    assert "set +e" in run, "the exit code is captured, not fatal, so the report is kept"
    assert 'echo "exit_code=$status" >> "$GITHUB_OUTPUT"' in run
    assert '[ "$status" -ge 2 ]' in run, "usage errors (2) and trust (3) fail the job"


def test_check_installs_scaffold_and_checks_out(check_workflow: dict[str, Any]) -> None:
    assert _uses(check_workflow)[:2] == ["actions/checkout", "actions/setup-python"]
    assert "pip install scaffold" in _step(check_workflow, "Install scaffold")["run"]


def test_check_fails_on_drift_after_reporting(check_workflow: dict[str, Any]) -> None:
    names = [step.get("name") for step in _steps(check_workflow)]
    fail = _step(check_workflow, "Fail on drift")

    assert fail["if"] == "steps.check.outputs.exit_code == '1'"
    assert "exit 1" in fail["run"]
    assert names.index("Job summary") < names.index("Fail on drift")
    assert names.index("Upload the report") < names.index("Fail on drift")


def test_check_uploads_the_json_and_writes_a_summary(check_workflow: dict[str, Any]) -> None:
    upload = _step(check_workflow, "Upload the report")
    summary = _step(check_workflow, "Job summary")

    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "drift.json"
    assert upload["if"].startswith("always()")
    assert "$GITHUB_STEP_SUMMARY" in summary["run"]
    (script,) = _embedded_python(summary["run"])
    compile(script, "summary", "exec")
    # The fields it reads are those 'scaffold check --json' prints.
    for key in ("ok", "project", "drift", "kind", "blueprint", "path", "detail"):
        assert re.search(rf"\[[\"']{key}[\"']\]", script), key


def test_check_runs_on_changes_and_on_a_schedule(check_workflow: dict[str, Any]) -> None:
    triggers = check_workflow["on"]

    assert {"pull_request", "push", "schedule"} <= set(triggers)
    assert check_workflow["permissions"] == {"contents": "read"}


def test_update_is_scheduled_and_dispatchable(update_workflow: dict[str, Any]) -> None:
    triggers = update_workflow["on"]

    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert triggers["schedule"][0]["cron"]
    assert update_workflow["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_update_runs_scaffold_update_json(update_workflow: dict[str, Any]) -> None:
    run = _step(update_workflow, "Update from the blueprints")["run"]

    assert 'scaffold update --json > "$RUNNER_TEMP/update.json"' in run
    assert "set +e" in run
    assert '[ "$status" -ge 2 ]' in run, "1 (conflicts) goes on to the pull request"
    assert "git status --porcelain" in run
    (script,) = _embedded_python(run)
    compile(script, "pr-body", "exec")
    for key in ("notes", "conflicts", "files", "path", "outcome"):
        assert re.search(rf"\[[\"']{key}[\"']\]", script), key


def test_update_opens_a_labelled_pull_request(update_workflow: dict[str, Any]) -> None:
    step = _step(update_workflow, "Open a pull request")

    assert step["uses"].startswith("peter-evans/create-pull-request@")
    assert step["if"] == "steps.update.outputs.changed == 'true'"
    options = step["with"]
    assert options["body-path"] == "${{ runner.temp }}/pr-body.md"
    assert "exit_code == '1'" in options["labels"]
    assert "conflicts" in options["labels"]


def test_the_readme_documents_both_workflows_and_the_exit_codes() -> None:
    readme = (CI / "README.md").read_text(encoding="utf-8")

    assert "scaffold-check.yml" in readme
    assert "scaffold-update.yml" in readme
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |"):
        assert readme.count(code) == 2, code  # once per command's table


def _run_script(script: str, cwd: Path, env: dict[str, str]) -> str:
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def test_the_summary_script_reads_what_check_prints(
    check_workflow: dict[str, Any], tmp_path: Path
) -> None:
    import json

    (script,) = _embedded_python(_step(check_workflow, "Job summary")["run"])
    drift = {
        "kind": "verbatim",
        "blueprint": "acme-service",
        "path": ".github/workflows/acme-ci.yml",
        "detail": "differs from what the blueprint renders",
    }
    document = {"ok": False, "project": "billing", "drift": [drift]}
    (tmp_path / "drift.json").write_text(json.dumps(document), encoding="utf-8")

    summary = _run_script(script, tmp_path, {})

    assert "billing: 1 drift finding(s)" in summary
    assert "| verbatim | acme-service | .github/workflows/acme-ci.yml |" in summary


def test_the_pull_request_body_lists_conflicts(
    update_workflow: dict[str, Any], tmp_path: Path
) -> None:
    import json

    (script,) = _embedded_python(_step(update_workflow, "Update from the blueprints")["run"])
    document = {
        "command": "update",
        "notes": ["moves acme-service from 1.0.0 to 1.1.0"],
        "files": [{"path": "billing/main.py", "outcome": "conflict"}],
        "conflicts": ["billing/main.py"],
    }
    (tmp_path / "update.json").write_text(json.dumps(document), encoding="utf-8")

    body = _run_script(script, tmp_path, {"RUNNER_TEMP": str(tmp_path)})

    assert "- moves acme-service from 1.0.0 to 1.1.0" in body
    assert "**Conflicts**" in body
    assert "| `billing/main.py` | conflict |" in body
