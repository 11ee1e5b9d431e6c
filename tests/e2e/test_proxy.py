"""The proxy blueprint behind a (simulated) reverse proxy, through a real ``fastapi run``.

The project is served as its README says (``fastapi run --proxy-headers
--forwarded-allow-ips=...``), its prefix coming from the ``root_path`` setting (the
environment variable ``EDGE_API_ROOT_PATH``); requests carry
what a proxy adds (``X-Forwarded-Proto``, ``X-Forwarded-For``) and arrive with the prefix (a
proxy that keeps it) or without it (one that strips it). The docs, the schema's ``servers``,
``url_for()`` on the page and redirects must all speak the public URL, and the headers must be
believed from the trusted address only.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PREFIX = "/api/v1"
CLIENT = "203.0.113.7"  # the address the proxy says the request came from
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": CLIENT}
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


@pytest.fixture(scope="module")
def project(tools: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """proxy with the page (url_for), static files and the middleware stack."""
    root = tmp_path_factory.mktemp("proxy")
    blueprints = ["proxy", "templates", "static", "middleware", "tests"]
    return tools.new_project(root, "edge-api", blueprints)


@contextlib.contextmanager
def served(tools: Any, project: Any, log_dir: Path, trusted: str) -> Iterator[Any]:
    """``fastapi run`` as the README says, trusting forwarded headers from ``trusted``."""

    def argv(port: int) -> list[str]:
        return [
            str(project.bin("fastapi")), "run", "--proxy-headers",
            f"--forwarded-allow-ips={trusted}", "--host", "127.0.0.1", "--port", str(port),
        ]  # fmt: skip

    with tools.serving(argv, project.path, log_dir, env={"EDGE_API_ROOT_PATH": PREFIX}) as server:
        yield server


def get(url: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=10) as client:
        return client.get(url, **kwargs)


def test_the_project_passes_its_own_checks(project: Any) -> None:
    project.ruff_check()
    project.ruff_format_check()
    assert project.pytest() >= 1


@pytest.mark.parametrize("path", [PREFIX, ""], ids=["prefix-kept", "prefix-stripped"])
def test_behind_a_trusted_proxy_every_url_is_the_public_one(
    tools: Any, project: Any, log_dir: Path, path: str
) -> None:
    with served(tools, project, log_dir, trusted="127.0.0.1") as server:
        public = f"https://127.0.0.1:{server.port}{PREFIX}"
        docs = get(f"{server.url}{path}/docs", headers=FORWARDED)
        schema = get(f"{server.url}{path}/openapi.json", headers=FORWARDED)
        page = get(f"{server.url}{path}/", headers=FORWARDED)
        redirect = get(f"{server.url}{path}/health/", headers=FORWARDED)
        stylesheet = STYLESHEET.search(page.text)
        css = get(f"{server.url}{path}/static/css/app.css", headers=FORWARDED)
        log = server.log()

    assert docs.status_code == 200, docs.text
    assert f"url: '{PREFIX}/openapi.json'" in docs.text, docs.text
    assert schema.json()["servers"] == [{"url": PREFIX}], schema.text
    assert page.status_code == 200, page.text
    assert stylesheet is not None, page.text
    assert stylesheet.group(1) == f"{public}/static/css/app.css"  # url_for: scheme and prefix
    assert css.status_code == 200, css.text
    assert redirect.status_code == 307, redirect.text
    assert redirect.headers["location"] == f"{public}/health"
    assert f'{CLIENT}:0 - "GET {path}/health/ HTTP/1.1" 307' in log, log  # X-Forwarded-For


def test_forwarded_headers_from_an_untrusted_address_are_ignored(
    tools: Any, project: Any, log_dir: Path
) -> None:
    with served(tools, project, log_dir, trusted="192.0.2.1") as server:
        page = get(f"{server.url}/", headers=FORWARDED)
        redirect = get(f"{server.url}/health/", headers=FORWARDED)
        log = server.log()

    stylesheet = STYLESHEET.search(page.text)
    assert stylesheet is not None, page.text
    assert stylesheet.group(1) == f"http://127.0.0.1:{server.port}{PREFIX}/static/css/app.css"
    assert redirect.headers["location"] == f"http://127.0.0.1:{server.port}{PREFIX}/health"
    assert CLIENT not in log, log


def snapshot(path: Path) -> dict[str, bytes]:
    return {
        str(file.relative_to(path)): file.read_bytes()
        for file in sorted(path.rglob("*"))
        if file.is_file() and not {".venv", ".scaffold", "__pycache__"} & set(file.parts)
    }


def test_add_then_remove_proxy_on_a_project(tools: Any, tmp_path: Path) -> None:
    project = tools.new_project(tmp_path, "grown-api", ["middleware", "tests"])
    before = snapshot(project.path)

    tools.scaffold("add", "proxy", "-C", project.path, "--allow-dirty", cwd=project.path)
    added = snapshot(project.path)
    project.ruff_check()
    project.ruff_format_check()
    with_proxy = project.pytest()
    tools.scaffold("remove", "proxy", "-C", project.path, "--allow-dirty", cwd=project.path)

    assert "grown_api/proxy.py" in added
    assert b"RootPathMiddleware" in added["grown_api/main.py"]
    assert b"GROWN_API_ROOT_PATH=" in added[".env.example"]
    assert b"## Behind a proxy" in added["README.md"]
    assert with_proxy >= 1
    assert snapshot(project.path) == before  # removing it takes back exactly what it added
