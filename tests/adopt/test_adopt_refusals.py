"""What ``add`` would refuse in an adopted project, said before anything is written.

``adopt`` reports, in one run, every blueprint the project's pins refuse (the add-time version
gate, :mod:`scaffold.adopted_versions`), and ``add`` refuses, from the source alone, a route
of a blueprint's that a path the owner's app already serves would hide (or that would hide
it): no virtual environment is needed to see an ``@app.get("/")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

OLD_FASTAPI = "the project allows fastapi 0.65.2 (requirements.txt: ==0.65.2)"
OLD_PYDANTIC = "the project allows pydantic 1.10.13 (requirements.txt: ==1.10.13)"
PLAIN_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.fixture
def pinned(tmp_path: Path, files: Callable[..., Path]) -> Callable[[str], Path]:
    """A small app whose ``requirements.txt`` is the given text, not adopted yet."""

    def make(requirements: str) -> Path:
        tree = {"app/__init__.py": "", "app/main.py": PLAIN_APP, "requirements.txt": requirements}
        return files(tmp_path / "svc", tree)

    return make


def warned_lines(result: Result) -> dict[str, str]:
    """The blueprint -> reason lines of adopt's warning on stderr."""
    lines = [line.strip() for line in result.stderr.splitlines()]
    return dict(line.split(": ", 1) for line in lines if line and not line.startswith("warning"))


def test_adopt_names_every_blueprint_an_old_fastapi_pin_refuses(
    pinned: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = pinned("fastapi==0.65.2\n")

    result = cli("adopt", "-C", project)

    assert result.exit_code == 0, result.output
    assert "scaffold add would refuse" in result.stderr
    refused = warned_lines(result)
    assert {"static", "templates", "lifespan", "settings", "websockets"} <= set(refused)
    assert "base" not in refused  # part of every project; never added
    assert all(OLD_FASTAPI in reason for reason in refused.values()), refused
    assert (project / ".scaffold/project.toml").is_file()  # adopt still adopts


def test_the_warning_says_what_add_then_says(
    pinned: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = pinned("fastapi==0.65.2\n")
    warned = warned_lines(cli("adopt", "-C", project))["static"]

    added = cli("add", "static", "-C", project)

    assert added.exit_code == 2, added.output
    assert warned in " ".join(added.stderr.split())


def test_an_old_pydantic_refuses_only_what_needs_settings(
    pinned: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = pinned("fastapi>=0.115\npydantic==1.10.13\n")

    result = cli("adopt", "-C", project)

    assert result.exit_code == 0, result.output
    refused = warned_lines(result)
    # auth and middleware require settings, so adding them brings it, and its pydantic 2
    assert {"settings", "auth", "middleware"} <= set(refused)
    assert "static" not in refused
    assert "websockets" not in refused
    assert all(OLD_PYDANTIC in reason for reason in refused.values()), refused


def test_json_lists_the_refused_blueprints_with_their_reasons(
    pinned: Callable[[str], Path], cli_json: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    project = pinned("fastapi==0.65.2\n")

    code, document = cli_json("adopt", "-C", project)

    assert code == 0
    refused = {entry["blueprint"]: entry["reasons"] for entry in document["refused_blueprints"]}
    assert "static" in refused
    assert "base" not in refused
    assert len(refused["static"]) == 1
    assert refused["static"][0].startswith(OLD_FASTAPI)


def test_pins_that_fit_warn_of_nothing(
    pinned: Callable[[str], Path],
    cli: Callable[..., Result],
    cli_json: Callable[..., tuple[int, dict[str, Any]]],
) -> None:
    project = pinned("fastapi>=0.115\n")

    code, document = cli_json("adopt", "--dry-run", "-C", project)
    result = cli("adopt", "-C", project)

    assert code == 0
    assert document["refused_blueprints"] == []
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
