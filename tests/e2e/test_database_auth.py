"""The database and auth blueprints, for real: SQLite, a real PostgreSQL server, uvicorn.

One project is generated with ``database`` (PostgreSQL by option), ``auth`` (with the HTTP Basic
admin routes) and ``tests``, and installed once per module. Its own test suite runs against
SQLite and against a PostgreSQL server this module starts (Debian's ``postgresql`` binaries,
``initdb`` and ``pg_ctl`` in a temporary folder, on a free port). Alembic upgrades and
downgrades that server's database, and the app serves it under uvicorn, where a client signs up,
signs in and calls scoped routes over HTTP.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PACKAGE = "demo_api"
PREFIX = "DEMO_API_"
PG_TIMEOUT = 60
POSTGRES_USER = "postgres"  # the OS account that runs the server when the tests run as root
SECRET_KEY = "a-signing-key-for-the-e2e-test-that-is-long-enough"
ADMIN_PASSWORD = "the e2e admin password"
BLUEPRINTS = ("database", "auth", "tests")
OPTIONS = ("database.driver=postgresql", "auth.admin_basic=true")


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def _postgres_bindir() -> Path | None:
    """The newest Debian PostgreSQL server's bin folder, if one is installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Postgres:
    """A PostgreSQL server started by this module, reached over TCP with trust auth."""

    bindir: Path
    port: int
    run_as: list[str]  # a prefix that runs a command as the server's OS user

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def psql(self, database: str, sql: str) -> str:
        argv = [self.bindir / "psql", "-h", "127.0.0.1", "-p", str(self.port)]
        argv += ["-U", POSTGRES_USER, "-d", database, "-XAtc", sql]
        proc = _run_checked([str(arg) for arg in argv], timeout=PG_TIMEOUT)
        return proc.stdout.strip()

    def create_database(self, name: str) -> None:
        self.psql("postgres", f'CREATE DATABASE "{name}"')

    def tables(self, database: str) -> set[str]:
        listed = self.psql(database, "SELECT tablename FROM pg_tables WHERE schemaname='public'")
        return set(listed.split())


def _run_checked(argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"command: {' '.join(argv)}\nexit code: {proc.returncode}\n"
            f"----- stdout -----\n{proc.stdout}\n----- stderr -----\n{proc.stderr}"
        )
    return proc


def _server_account() -> list[str]:
    """How to run the server: as ourselves, or (postgres refuses root) as the postgres user."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        pytest.skip(f"running as root and there is no '{POSTGRES_USER}' user to run PostgreSQL")
    if shutil.which("runuser") is None:
        pytest.skip("running as root without 'runuser' to start PostgreSQL as another user")
    return ["runuser", "-u", POSTGRES_USER, "--"]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    """Start a throwaway PostgreSQL server on a free port; stop it and delete it afterwards."""
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin/initdb; "
            "Debian package 'postgresql')"
        )
    run_as = _server_account()
    # Not pytest's tmp_path: its folders are private to us, and the server may be another user.
    folder = Path(tempfile.mkdtemp(prefix="scaffold-pg-"))
    if run_as:
        shutil.chown(folder, user=POSTGRES_USER)
    data, log = folder / "data", folder / "server.log"
    initdb = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", POSTGRES_USER]
    _run_checked([*run_as, *initdb, "-E", "UTF8", "--no-sync"], timeout=PG_TIMEOUT)
    server = None
    try:
        for _attempt in range(3):
            port = _free_port()
            options = f"-p {port} -h 127.0.0.1 -k {folder} -F"
            start = [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log)]
            proc = subprocess.run(
                [*start, "-o", options, "-w", "-t", str(PG_TIMEOUT), "start"],
                capture_output=True,
                text=True,
                timeout=PG_TIMEOUT + 10,
                check=False,
            )
            if proc.returncode == 0:
                server = Postgres(bindir, port, run_as)
                break
        if server is None:
            pytest.fail(f"PostgreSQL did not start:\n{log.read_text(errors='replace')}")
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=PG_TIMEOUT,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# The project
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, tools: Any) -> Any:
    """The database + auth project, generated and installed once (with mypy, to check it)."""
    root = tmp_path_factory.mktemp("database-auth")
    args: list[str] = ["new", "demo-api", "-o", str(root), "--no-input"]
    args += [arg for name in BLUEPRINTS for arg in ("-b", name)]
    args += [arg for option in OPTIONS for arg in ("-O", option)]
    tools.scaffold(*args, cwd=root)
    path = root / "demo-api"
    made = tools.project(path=path, package=PACKAGE, blueprints=[*BLUEPRINTS], report={})
    made.install()
    python = made.bin("python")
    tools.run([*tools.uv(), "pip", "install", "--python", python, "mypy"], cwd=path, timeout=300)
    return made


def _env(tools: Any, database_url: str, **settings: str) -> dict[str, str]:
    variables = {f"{PREFIX}{name.upper()}": value for name, value in settings.items()}
    return tools.clean_env(**{f"{PREFIX}DATABASE_URL": database_url}, **variables)


def _pytest(tools: Any, project: Any, database_url: str) -> str:
    proc = tools.run(
        [project.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project.path,
        env=_env(tools, database_url),
        timeout=300,
    )
    assert " passed" in proc.stdout, proc.stdout
    assert "failed" not in proc.stdout, proc.stdout
    return str(proc.stdout)


def test_the_project_is_lint_and_type_clean(project: Any) -> None:
    project.ruff_check()
    project.ruff_format_check()
    proc = project.run(project.bin("mypy"), "--strict", PACKAGE, timeout=300)
    assert "Success" in proc.stdout, proc.stdout


def test_its_tests_pass_on_sqlite(project: Any, tools: Any, tmp_path: Path) -> None:
    output = _pytest(tools, project, f"sqlite+aiosqlite:///{tmp_path / 'tests.db'}")

    assert "skipped" not in output, output
    assert (tmp_path / "tests.db").is_file()  # they ran against the configured database


def test_its_tests_pass_on_postgresql(project: Any, tools: Any, postgres: Postgres) -> None:
    postgres.create_database("pytest_run")

    output = _pytest(tools, project, postgres.url("pytest_run"))

    assert "skipped" not in output, output
    # the migrations ran there, and every test's rows were rolled back
    assert postgres.tables("pytest_run") == {"alembic_version", "items", "users"}
    assert postgres.psql("pytest_run", "SELECT count(*) FROM users") == "0"
    assert postgres.psql("pytest_run", "SELECT count(*) FROM items") == "0"


def _alembic(tools: Any, project: Any, url: str, *args: str) -> str:
    proc = tools.run(
        [project.bin("alembic"), *args], cwd=project.path, env=_env(tools, url), timeout=120
    )
    return str(proc.stdout + proc.stderr)


def test_migrations_upgrade_and_downgrade_on_postgresql(
    project: Any, tools: Any, postgres: Postgres
) -> None:
    postgres.create_database("migrations")
    url = postgres.url("migrations")

    _alembic(tools, project, url, "upgrade", "head")
    assert postgres.tables("migrations") == {"alembic_version", "items", "users"}
    assert postgres.psql("migrations", "SELECT version_num FROM alembic_version") == "0002"
    assert "0002 (head)" in _alembic(tools, project, url, "current")
    _alembic(tools, project, url, "check")  # the models match what the migrations made

    _alembic(tools, project, url, "downgrade", "base")
    assert postgres.tables("migrations") == {"alembic_version"}
    assert postgres.psql("migrations", "SELECT count(*) FROM alembic_version") == "0"

    _alembic(tools, project, url, "upgrade", "head")  # and up again, from nothing
    assert postgres.tables("migrations") == {"alembic_version", "items", "users"}


def test_production_refuses_to_start_without_a_signing_key(project: Any, tools: Any) -> None:
    env = _env(tools, "sqlite+aiosqlite:///:memory:", environment="production")
    proc = tools.run(
        [project.bin("python"), "-c", f"import {PACKAGE}.main"],
        cwd=project.path,
        env=env,
        timeout=60,
        check=False,
    )

    assert proc.returncode != 0
    assert "set secret_key in production" in proc.stderr, proc.stderr


def test_uvicorn_serves_sign_up_sign_in_and_scoped_calls_on_postgresql(
    project: Any, tools: Any, postgres: Postgres, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    postgres.create_database("served")
    url = postgres.url("served")
    _alembic(tools, project, url, "upgrade", "head")
    settings = {
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    for name, value in settings.items():  # the server's environment comes from ours
        monkeypatch.setenv(f"{PREFIX}{name}", value)

    with project.uvicorn(log_dir) as server:
        try:
            _round_trip(server.url)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{server.report('')}") from None
        log = server.log()

    assert postgres.psql("served", "SELECT username, scopes FROM users") == "alice|me users:read"
    stored_hash = postgres.psql("served", "SELECT password_hash FROM users")
    assert stored_hash.startswith("$argon2id$")
    for secret in (stored_hash, "correct horse battery staple", SECRET_KEY, ADMIN_PASSWORD):
        assert secret not in log


def _round_trip(base_url: str) -> None:
    password = "correct horse battery staple"
    with httpx.Client(base_url=base_url, trust_env=False, timeout=30) as client:
        created = client.post("/auth/signup", json={"username": "alice", "password": password})
        assert created.status_code == 201, created.text
        assert created.json() == {"username": "alice", "scopes": ["me"]}
        again = client.post("/auth/signup", json={"username": "alice", "password": password})
        assert again.status_code == 409, again.text
        wrong = client.post("/auth/token", data={"username": "alice", "password": "not it"})
        assert wrong.status_code == 401, wrong.text

        token = client.post("/auth/token", data={"username": "alice", "password": password})
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        me = client.get("/users/me", headers=bearer)
        assert me.status_code == 200, me.text
        assert me.json() == {"username": "alice", "scopes": ["me"]}

        anonymous = client.get("/users/me")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        refused = client.get("/users", headers=bearer)
        assert refused.status_code == 403, refused.text
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]

        admin = ("admin", ADMIN_PASSWORD)
        assert client.get("/admin/users", auth=("admin", "wrong")).status_code == 401
        granted = client.put(
            "/admin/users/alice/scopes", json={"scopes": ["me", "users:read"]}, auth=admin
        )
        assert granted.status_code == 200, granted.text

        token = client.post("/auth/token", data={"username": "alice", "password": password})
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        listed = client.get("/users", headers=bearer)
        assert listed.status_code == 200, listed.text
        assert listed.json() == [{"username": "alice", "scopes": ["me", "users:read"]}]
        for response in (created, token, me, listed):
            assert "$argon2" not in response.text
