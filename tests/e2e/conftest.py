"""End-to-end harness: generate projects with the CLI, install them with uv, and run them.

Everything runs in subprocesses with a timeout, in temporary folders. The helpers are exposed
as fixtures (not an importable module) so that the e2e and unit suites can never clash on
module names. Failures carry the subprocess's command, exit code, stdout and stderr.

The children get the environment of the test run (less what would leak it, see
:func:`clean_env`), so this suite opts out of tests/conftest.py's autouse fixtures: no private
template cache and no forced terminal variables for the in-process suites' sake.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]

# Timeouts (seconds) for every kind of subprocess; nothing here may hang the suite.
GENERATE_TIMEOUT = 60
VENV_TIMEOUT = 60
INSTALL_TIMEOUT = 300  # the first install on a cold uv cache downloads fastapi[standard]
TOOL_TIMEOUT = 120  # ruff, the generated project's pytest
SERVER_START_TIMEOUT = 30
SERVER_STOP_TIMEOUT = 10
OUTPUT_LIMIT = 6000  # characters of stdout/stderr kept in failure messages

# Environment variables that would leak this test run into the generated project's tools.
_LEAKY_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
_LEAKY_PREFIXES = ("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "UV_PROJECT", "COV_CORE_")


@pytest.fixture(autouse=True, scope="session")
def _private_cache() -> None:
    """Opt out: scaffold's subprocesses use the cache they would use outside the tests."""


@pytest.fixture(autouse=True)
def _stable_terminal() -> None:
    """Opt out: the subprocesses get the terminal variables of :func:`clean_env` alone."""


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e as e2e, so ``-m 'not e2e'`` deselects the slow suite."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


# --------------------------------------------------------------------------------------------
# Subprocesses
# --------------------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for child processes, without what would leak this run into them."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _LEAKY_ENV and not key.startswith(_LEAKY_PREFIXES)
    }
    # uv installs without bytecode; with PYTHONDONTWRITEBYTECODE set (as on CI's machine) every
    # pytest, uvicorn and alembic process would compile fastapi, pydantic and sqlalchemy from
    # source again (1.5 s each). The children write bytecode, as on a developer's machine.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        {
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COLUMNS": "200",
            "UV_NO_PROGRESS": "1",
            "UV_PYTHON_DOWNLOADS": "never",
        }
    )
    env.update(extra)
    return env


def _tail(text: str | bytes | None) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    if len(text) > OUTPUT_LIMIT:
        return f"[... {len(text) - OUTPUT_LIMIT} characters cut ...]\n" + text[-OUTPUT_LIMIT:]
    return text


def describe(argv: list[str], cwd: Path, returncode: object, stdout: Any, stderr: Any) -> str:
    """A failure report for one subprocess."""
    return (
        f"command: {' '.join(map(str, argv))}\n"
        f"cwd: {cwd}\n"
        f"exit code: {returncode}\n"
        f"----- stdout -----\n{_tail(stdout)}\n"
        f"----- stderr -----\n{_tail(stderr)}"
    )


def run(
    argv: list[str | Path],
    *,
    cwd: Path,
    timeout: float,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with a timeout; raise AssertionError (with its output) if it fails."""
    args = [str(arg) for arg in argv]
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=clean_env() if env is None else env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        message = describe(args, cwd, f"timed out after {timeout}s", error.stdout, error.stderr)
        raise AssertionError(message) from None
    if check and proc.returncode != 0:
        raise AssertionError(describe(args, cwd, proc.returncode, proc.stdout, proc.stderr))
    return proc


def uv() -> list[str]:
    """How to call uv: the ``uv`` test dependency, through the Python running the tests."""
    return [sys.executable, "-m", "uv"]


def scaffold(
    *args: str | Path, cwd: Path, check: bool = True, timeout: float = GENERATE_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run this checkout's CLI (``python -m scaffold``) as a user would."""
    # PYTHONPATH makes the child import the scaffold under test even if the installed one
    # (editable or not) points elsewhere; it is set for scaffold's own process only.
    env = clean_env(PYTHONPATH=str(REPO_ROOT))
    return run(
        [sys.executable, "-m", "scaffold", *args], cwd=cwd, env=env, check=check, timeout=timeout
    )


def list_blueprints() -> list[dict[str, Any]]:
    """``scaffold blueprints --json``: the catalog, as the CLI reports it."""
    proc = scaffold("blueprints", "--json", cwd=REPO_ROOT.parent)
    listing: list[dict[str, Any]] = json.loads(proc.stdout)
    return listing


def free_port() -> int:
    """A TCP port that was free a moment ago (the server start retries on a clash)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


@dataclass
class Server:
    """A server process started by a test; stopped by :meth:`stop` (always, via fixtures)."""

    argv: list[str]
    cwd: Path
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)  # added to clean_env()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return _tail(self.log_path.read_text(errors="replace"))
        except OSError:
            return ""

    def report(self, what: str) -> str:
        code = None if self.process is None else self.process.poll()
        return (
            f"{what}\ncommand: {' '.join(self.argv)}\ncwd: {self.cwd}\n"
            f"exit code: {'still running' if code is None else code}\n"
            f"----- server output -----\n{self.log()}"
        )

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=clean_env(**self.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches children
            )

    def wait_ready(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        """Poll GET /health until the server answers, exits, or ``timeout`` passes."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        last_error = "no attempt"
        with httpx.Client(trust_env=False, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise AssertionError(self.report("the server exited before it was ready"))
                try:
                    client.get(f"{self.url}/health")
                except httpx.HTTPError as error:
                    last_error = repr(error)
                    time.sleep(0.1)
                else:
                    return
        raise AssertionError(
            self.report(f"the server did not answer within {timeout}s (last: {last_error})")
        )

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=SERVER_STOP_TIMEOUT)


@contextlib.contextmanager
def serving(
    make_argv: Callable[[int], list[str]],
    cwd: Path,
    log_dir: Path,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start a server on a free port, wait until it answers, and always stop it afterwards."""
    for attempt in range(3):
        port = free_port()
        server = Server(make_argv(port), cwd, port, log_dir / f"server-{port}.log", env=env or {})
        try:
            server.start()
            try:
                server.wait_ready()
            except AssertionError:
                # Another process took the port between free_port() and bind(): try another.
                if attempt < 2 and "address already in use" in server.log().lower():
                    continue
                raise
            yield server
            return
        finally:
            server.stop()


# --------------------------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------------------------


@dataclass
class Project:
    """A generated project, run from its own venv (:meth:`install`) or a shared one."""

    path: Path
    package: str
    blueprints: list[str]  # every blueprint in the project, including automatic ones
    report: dict[str, Any] = field(repr=False)
    shared_venv: Path | None = None

    @property
    def venv(self) -> Path:
        return self.shared_venv or self.path / ".venv"

    def use(self, venv: Path) -> None:
        """Run the project's tools from ``venv``, which holds every blueprint's dependencies.

        Nothing of the project is installed there: its tools run in its folder, where
        ``python -m pytest`` and uvicorn (``--app-dir .``) import the package from the source.
        """
        self.shared_venv = venv

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def has(self, *names: str) -> bool:
        return all(name in self.blueprints for name in names)

    def install(self) -> None:
        """``uv venv`` and ``uv pip install -e '.[dev]'`` (uv's default cache is shared)."""
        run(
            [*uv(), "venv", self.venv, "--python", sys.executable],
            cwd=self.path,
            timeout=VENV_TIMEOUT,
        )
        run(
            [*uv(), "pip", "install", "--python", self.bin("python"), "-e", f"{self.path}[dev]"],
            cwd=self.path,
            timeout=INSTALL_TIMEOUT,
        )

    def run(
        self, *argv: str | Path, timeout: float = TOOL_TIMEOUT, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return run(list(argv), cwd=self.path, timeout=timeout, check=check)

    def ruff_check(self) -> None:
        self.run(self.bin("ruff"), "check", "--no-cache", ".")

    def ruff_format_check(self) -> None:
        self.run(self.bin("ruff"), "format", "--check", "--no-cache", ".")

    def pytest(self) -> int:
        """Run the project's own tests; they must pass and there must be at least one."""
        proc = self.run(self.bin("python"), "-m", "pytest", "-q", "-p", "no:cacheprovider")
        passed = re.search(r"(\d+) passed", proc.stdout)
        count = int(passed.group(1)) if passed else 0
        assert count >= 1, "the project's pytest passed no test\n" + describe(
            ["pytest"], self.path, proc.returncode, proc.stdout, proc.stderr
        )
        return count

    def uvicorn(self, log_dir: Path) -> contextlib.AbstractContextManager[Server]:
        """``uvicorn PACKAGE.main:app`` on a free port, until the ``with`` block ends."""
        return serving(
            lambda port: [
                str(self.bin("uvicorn")),
                f"{self.package}.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            self.path,
            log_dir,
        )

    def fastapi_run(self, log_dir: Path) -> contextlib.AbstractContextManager[Server]:
        """``fastapi run`` (no app path: it must come from ``[tool.fastapi] entrypoint``)."""
        return serving(
            lambda port: [
                str(self.bin("fastapi")),
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            self.path,
            log_dir,
        )


def generate(
    output_dir: Path, blueprints: list[str] | None, name: str = "demo-api"
) -> tuple[Project | None, subprocess.CompletedProcess[str]]:
    """``scaffold new NAME -o DIR --no-input --json`` with ``-b`` each, or ``--all`` for None.

    Returns the project (None if the CLI failed) and the CLI's completed process.
    """
    chosen = ["--all"] if blueprints is None else [arg for bp in blueprints for arg in ("-b", bp)]
    proc = scaffold(
        "new", name, "-o", output_dir, "--no-input", "--json", *chosen, cwd=output_dir, check=False
    )
    if proc.returncode != 0:
        return None, proc
    report = json.loads(proc.stdout)
    project = Project(
        path=Path(report["path"]),
        package=report["package"],
        blueprints=[item["name"] for item in report["blueprints"]],
        report=report,
    )
    return project, proc


@dataclass
class ProjectFactory:
    """Generates (and installs) projects under one test's temporary folder."""

    root: Path

    def attempt(
        self, blueprints: list[str] | None, name: str = "demo-api"
    ) -> tuple[Project | None, subprocess.CompletedProcess[str]]:
        """Run ``scaffold new``; the project is None if the CLI failed."""
        return generate(self.root, blueprints, name)

    def generate(self, blueprints: list[str] | None, name: str = "demo-api") -> Project:
        project, proc = generate(self.root, blueprints, name)
        if project is None:
            raise AssertionError(
                "scaffold new failed\n"
                + describe(proc.args, self.root, proc.returncode, proc.stdout, proc.stderr)
            )
        assert project.path.is_dir(), f"scaffold reported {project.path} but it does not exist"
        return project

    def installed(self, blueprints: list[str] | None, name: str = "demo-api") -> Project:
        project = self.generate(blueprints, name)
        project.install()
        return project


@pytest.fixture
def projects(tmp_path: Path) -> ProjectFactory:
    """Make projects in this test's temporary folder."""
    return ProjectFactory(tmp_path)


@pytest.fixture(scope="session")
def shared_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One venv with the dependencies of every blueprint, made once for all xdist workers.

    Every combination's requirements are a subset of the all-blueprints project's (a blueprint's
    dependencies do not depend on which others are chosen), so one install of those serves
    every combination; the workers share it through a lock in the session's common temp root.
    """
    from filelock import FileLock

    # Under xdist each worker's base temp is inside the session's; without it, that is the one.
    session_temp = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        session_temp = session_temp.parent
    root = session_temp / "shared-env"
    root.mkdir(exist_ok=True)
    venv, ready = root / "venv", root / "ready"
    with FileLock(root / "lock", timeout=INSTALL_TIMEOUT + VENV_TIMEOUT + GENERATE_TIMEOUT):
        if not ready.exists():
            work = root / "union"
            work.mkdir(exist_ok=True)
            union = ProjectFactory(work).generate(None)
            run([*uv(), "venv", venv, "--python", sys.executable], cwd=root, timeout=VENV_TIMEOUT)
            requirements = [
                "-r",
                union.path / "pyproject.toml",
                *(arg for extra in _extras(union) for arg in ("--extra", extra)),
            ]
            run(
                [*uv(), "pip", "install", "--python", venv / "bin" / "python", *requirements],
                cwd=root,
                timeout=INSTALL_TIMEOUT,
            )
            ready.touch()
    return venv


def _extras(project: Project) -> list[str]:
    import tomllib

    with (project.path / "pyproject.toml").open("rb") as file:
        document = tomllib.load(file)
    return sorted(document["project"].get("optional-dependencies", {}))


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A mypy cache for this test process, shared by the projects it checks.

    The combinations import the same fastapi, pydantic and sqlalchemy: checking those once per
    process instead of once per project is most of mypy's time. mypy validates each cached
    module by its source's hash, so a project's own modules are always checked afresh. One
    cache per xdist worker: two mypy processes never write the same cache.
    """
    return tmp_path_factory.mktemp("mypy-cache")


@pytest.fixture(scope="session")
def all_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The all-blueprints project, generated and installed once per test process."""
    return ProjectFactory(tmp_path_factory.mktemp("all")).installed(None)


class Tools:
    """The subprocess helpers, for test modules (they get them as the ``tools`` fixture)."""

    @staticmethod
    def new_project(
        root: Path, name: str, blueprints: list[str], options: dict[str, str] | None = None
    ) -> Project:
        """``scaffold new`` with ``-b`` each and ``-O BLUEPRINT.OPTION=VALUE`` each; installed."""
        chosen = [arg for bp in blueprints for arg in ("-b", bp)]
        chosen += [arg for item in (options or {}).items() for arg in ("-O", "=".join(item))]
        proc = scaffold("new", name, "-o", root, "--no-input", "--json", *chosen, cwd=root)
        report = json.loads(proc.stdout)
        project = Project(
            path=Path(report["path"]),
            package=report["package"],
            blueprints=[item["name"] for item in report["blueprints"]],
            report=report,
        )
        project.install()
        return project

    repo_root = REPO_ROOT
    project = Project  # for a project made by a test's own 'scaffold' call
    run = staticmethod(run)
    serving = staticmethod(serving)  # a server with a test's own command line
    uv = staticmethod(uv)
    scaffold = staticmethod(scaffold)
    clean_env = staticmethod(clean_env)
    describe = staticmethod(describe)


@pytest.fixture(scope="session")
def tools() -> type[Tools]:
    """Subprocess helpers: ``run`` (timeout, output in failures), ``uv``, ``scaffold``..."""
    return Tools


@pytest.fixture(scope="session")
def catalog() -> list[dict[str, Any]]:
    """``scaffold blueprints --json``."""
    return list_blueprints()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """Where this test's servers write their output."""
    path = tmp_path / "logs"
    path.mkdir(exist_ok=True)
    return path


# --------------------------------------------------------------------------------------------
# Which combinations to test
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Combination:
    """Blueprints to pass to ``scaffold new`` (None: ``--all``); ``conflicting`` if declared so."""

    blueprints: list[str] | None
    conflicting: bool = False


def _combination_params() -> list[Any]:
    """``--all``, base only, each optional blueprint alone, and every pair of them."""
    catalog = list_blueprints()
    optional = [bp["name"] for bp in catalog if not bp["always"]]
    always = [bp["name"] for bp in catalog if bp["always"]]
    conflicts = {
        frozenset((bp["name"], other)) for bp in catalog for other in bp.get("conflicts", [])
    }
    params: list[Any] = [pytest.param(Combination(None), id="all")]
    params += [pytest.param(Combination([name]), id=name) for name in always]
    params += [pytest.param(Combination([name]), id=name) for name in optional]
    params += [
        pytest.param(Combination(list(pair), frozenset(pair) in conflicts), id="+".join(pair))
        for pair in combinations(optional, 2)
    ]
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``combination`` from ``scaffold blueprints --json`` at collection time."""
    if "combination" in metafunc.fixturenames:
        metafunc.parametrize("combination", _combination_params())
