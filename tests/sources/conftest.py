"""Fixtures for the sources suite: blueprints from folders, git repositories, packages, config.

Every test gets its own cache (git checkouts land there) and a user config file that does not
exist, so nothing from the developer's machine leaks in. Git repositories are real ones made in
``tmp_path`` with ``git``, tagged like an org would tag its releases.

The terminal, ``cli``, ``cli_json`` and ``error_line`` come from tests/conftest.py; this suite
overrides its session-wide cache with one per test.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Platform Team",
    "GIT_AUTHOR_EMAIL": "platform@acme.test",
    "GIT_COMMITTER_NAME": "Platform Team",
    "GIT_COMMITTER_EMAIL": "platform@acme.test",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A private cache per test (git checkouts land there), not one per session."""
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A user config that does not exist, no sources or trust from the environment, git's own."""
    monkeypatch.setenv("SCAFFOLD_CONFIG", str(tmp_path / "no-user-config.toml"))
    for variable in ("SCAFFOLD_SOURCES", "SCAFFOLD_TRUSTED"):
        monkeypatch.delenv(variable, raising=False)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def git(*args: str, cwd: Path) -> str:
    """Run git in ``cwd`` and return its output."""
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return done.stdout.strip()


@pytest.fixture
def run_git() -> Callable[..., str]:
    """Run git: ``run_git(*args, cwd=folder)`` returns its output."""
    return git


@pytest.fixture
def commit() -> Callable[[Path, str], None]:
    """Commit everything in a project: ``commit(project, message)``."""

    def run(project: Path, message: str) -> None:
        git("add", "-A", cwd=project)
        git("commit", "-q", "-m", message, cwd=project)

    return run


@pytest.fixture
def new_service(
    tmp_path: Path, cli: Callable[..., Result], commit: Callable[[Path, str], None]
) -> Callable[[], Path]:
    """Generate ``svc`` (settings + tests) in ``tmp_path`` as a committed git repository."""

    def make() -> Path:
        result = cli("new", "svc", "-b", "settings", "-b", "tests", "--no-input", "-o", tmp_path)
        assert result.exit_code == 0, result.output
        project = tmp_path / "svc"
        git("init", "-q", "-b", "main", cwd=project)
        commit(project, "generated")
        return project

    return make


@dataclass
class Repo:
    """A git repository holding blueprints, released by tags."""

    path: Path

    def write(self, relative: str, text: str) -> None:
        """Write a file (dedented) into the work tree."""
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")

    def release(self, tag: str, *, annotated: bool = False) -> str:
        """Commit everything and tag it; return the commit."""
        git("add", "-A", cwd=self.path)
        git("commit", "-q", "--allow-empty", "-m", f"release {tag}", cwd=self.path)
        if annotated:
            git("tag", "-a", tag, "-m", tag, cwd=self.path)
        else:
            git("tag", tag, cwd=self.path)
        return git("rev-parse", "HEAD", cwd=self.path)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[str], Repo]:
    """Create an empty git repository under ``tmp_path``."""

    def make(name: str) -> Repo:
        path = tmp_path / "remotes" / name
        path.mkdir(parents=True)
        git("init", "-q", "-b", "main", cwd=path)
        return Repo(path)

    return make


ACME_MANIFEST = """
name = "acme-service"
summary = "Acme's standard: a service header middleware and the org CI workflow"
version = "{version}"
requires = ["settings"]
verbatim = [".github/workflows/acme-ci.yml"]

[[contribute.middleware]]
cls = "{{{{ package }}}}.acme:AcmeHeaderMiddleware"
order = 15
comment = "Every response names the service, for Acme's tracing."

[[contribute.settings]]
name = "acme_team"
type = "str"
default = "{team}"
description = "The team that owns this service"
order = 60
"""

ACME_MIDDLEWARE = '''
"""Acme's service header (release {version})."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AcmeHeaderMiddleware:
    """Add X-Acme-Service to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-acme-service", b"{{{{ project.name }}}}"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_header)
'''

ACME_WORKFLOW = """
name: acme-ci
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "acme pipeline {version}"
"""


def write_acme(repo: Repo, version: str, *, team: str = "platform") -> None:
    """Write release ``version`` of the acme-service blueprint at the repository's root."""
    repo.write("blueprint.toml", ACME_MANIFEST.format(version=version, team=team))
    repo.write("files/{{ package }}/acme.py.jinja", ACME_MIDDLEWARE.format(version=version))
    repo.write("files/.github/workflows/acme-ci.yml", ACME_WORKFLOW.format(version=version))


@pytest.fixture
def acme_repo(make_repo: Callable[[str], Repo]) -> Repo:
    """An org blueprint repository with two releases: v1.0.0 and v2.0.0."""
    repo = make_repo("acme-service")
    write_acme(repo, "1.0.0")
    repo.release("v1.0.0")
    write_acme(repo, "2.0.0", team="platform-eng")
    repo.release("v2.0.0", annotated=True)
    return repo


@pytest.fixture
def service_with_acme(
    new_service: Callable[[], Path],
    acme_repo: Repo,
    cli: Callable[..., Result],
    commit: Callable[[Path, str], None],
) -> Callable[..., Path]:
    """A committed ``svc`` with acme-service added from its git repository at ``tag``."""

    def make(tag: str = "v1.0.0") -> Path:
        project = new_service()
        result = cli("add", "acme-service", "--source", f"{acme_repo.path}@{tag}", "-C", project)
        assert result.exit_code == 0, result.output
        commit(project, f"add acme {tag}")
        return project

    return make
