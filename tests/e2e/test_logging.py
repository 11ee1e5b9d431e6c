"""The logging blueprint under a real uvicorn: JSON lines carrying the request ID, no secret.

The all-blueprints project is served with a secret key in its ``.env``; one request with an
``X-Request-ID`` must appear in uvicorn's access log as a JSON line carrying that ID, and the
secret must appear nowhere in the server's output.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import httpx
import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

REQUEST_ID = "e2e-log-42"


def json_lines(output: str) -> list[dict[str, Any]]:
    """The server's output from its first JSON line on; every one of them must be JSON."""
    lines = output.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("{")), len(lines))
    records = []
    for line in lines[first:]:
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line is not JSON: {line!r}\n{output}") from None
    return records


def served_output(project: Any, log_dir: Path) -> str:
    """Serve the project, make one request with an ID, and return what the server wrote."""
    with project.uvicorn(log_dir) as server:
        with httpx.Client(trust_env=False, timeout=10) as client:
            response = client.get(f"{server.url}/health", headers={"X-Request-ID": REQUEST_ID})
        assert response.headers["x-request-id"] == REQUEST_ID, response.headers
        deadline = time.monotonic() + 10
        while REQUEST_ID not in server.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    return server.log_path.read_text()


def test_access_log_is_json_with_the_request_id_and_no_secret(
    all_project: Any, log_dir: Path
) -> None:
    secret = f"e2e-secret-{uuid4().hex}"
    env_file = all_project.path / ".env"
    env_file.write_text(f"{all_project.package.upper()}_SECRET_KEY={secret}\n", encoding="utf-8")
    try:
        output = served_output(all_project, log_dir)
    finally:
        env_file.unlink()

    records = json_lines(output)
    access = [r for r in records if r.get("logger") == "uvicorn.access"]
    assert any(
        r.get("request_id") == REQUEST_ID and r.get("path") == "/health" and r.get("status") == 200
        for r in access
    ), f"no access-log line carries the request ID:\n{output}"
    startup = [r for r in records if r.get("message") == "application configured"]
    assert startup, f"the app did not log its settings at startup:\n{output}"
    assert startup[0]["settings"]["secret_key"] == "**********", startup[0]
    assert secret not in output, f"the secret key was logged:\n{output}"
