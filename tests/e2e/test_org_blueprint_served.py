"""The example org blueprint, released twice from a git repository, in a real service.

A platform team tags tests/org/acme-service as v1.0.0 and v1.1.0 in a local git repository; a
service is generated at v1.0.0 and moved to v1.1.0 with ``scaffold update``, all through the
real CLI in subprocesses. The service then installs, passes ruff and its own tests, and under
uvicorn every response carries the org's ``X-Acme-Service`` header.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Platform Team",
    "GIT_AUTHOR_EMAIL": "platform@acme.test",
    "GIT_COMMITTER_NAME": "Platform Team",
    "GIT_COMMITTER_EMAIL": "platform@acme.test",
}
WORKFLOW = ".github/workflows/acme-ci.yml"


def _release_twice(tools: Any, root: Path) -> Path:
    repo = root / "acme-service"
    shutil.copytree(tools.repo_root / "tests" / "org" / "acme-service", repo)
    env = tools.clean_env(**GIT_IDENTITY)

    def git(*args: str) -> None:
        tools.run(["git", *args], cwd=repo, env=env, timeout=60)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "acme-service 1.0.0")
    git("tag", "v1.0.0")
    workflow = repo / "files" / WORKFLOW
    workflow.write_text(workflow.read_text() + "# 1.1.0: the org pipeline gained a step\n")
    manifest = repo / "blueprint.toml"
    manifest.write_text(manifest.read_text().replace('version = "1.0.0"', 'version = "1.1.0"'))
    git("commit", "-q", "-am", "acme-service 1.1.0")
    git("tag", "v1.1.0")
    return repo


def test_an_org_blueprint_from_git_is_updated_and_served(
    tools: Any, tmp_path: Path, log_dir: Path
) -> None:
    repo = _release_twice(tools, tmp_path)
    made = tools.scaffold(
        "new", "acme-svc", "-b", "acme-service", "-b", "tests", "-b", "middleware",
        "--source", f"{repo}@v1.0.0", "--no-input", "--json", "-o", tmp_path, cwd=tmp_path,
    )  # fmt: skip
    report = json.loads(made.stdout)
    path = Path(report["path"])
    acme = next(bp for bp in report["blueprints"] if bp["name"] == "acme-service")
    assert (acme["version"], acme["ref"]) == ("1.0.0", "v1.0.0")

    stale = tools.scaffold("check", "-C", path, "--json", cwd=tmp_path, check=False)
    updated = tools.scaffold("update", "-C", path, "--json", "--allow-dirty", cwd=tmp_path)
    fresh = tools.scaffold("check", "-C", path, "--json", cwd=tmp_path, check=False)

    assert stale.returncode == 1, stale.stdout
    assert [d["kind"] for d in json.loads(stale.stdout)["drift"]] == ["outdated"]
    assert json.loads(updated.stdout)["conflicts"] == []
    assert "gained a step" in (path / WORKFLOW).read_text()
    assert (fresh.returncode, json.loads(fresh.stdout)["drift"]) == (0, [])

    project = tools.project(path=path, package=report["package"], blueprints=[], report=report)
    project.install()
    project.ruff_check()
    project.ruff_format_check()
    assert project.pytest() >= 1
    with project.uvicorn(log_dir) as server:
        response = httpx.get(f"{server.url}/health", timeout=10)
        refused = httpx.get(f"{server.url}/health", headers={"Host": "evil.test"}, timeout=10)

    assert response.status_code == 200, server.report("")
    assert response.headers["x-acme-service"] == "acme-svc"
    # Outside the host check in the stack: even a refused request names the service that refused it.
    assert refused.status_code == 400
    assert refused.headers["x-acme-service"] == "acme-svc"
