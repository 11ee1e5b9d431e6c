"""The interactive checklist, driven through a real pseudo-terminal as a person would."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING

import pexpect
import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(60)


def spawn(arguments: list[str], cwd: Path) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "scaffold", *arguments],
        cwd=str(cwd),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 160),
        env={"TERM": "dumb", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )


def test_checklist_then_options_generate_the_chosen_project(tmp_path: Path) -> None:
    child = spawn(["new", "chosen"], tmp_path)
    child.expect("Blueprints: numbers or names")
    child.sendline("websockets, templates")
    child.expect("websockets.allowed_origins")
    child.sendline("https://a.example, https://b.example")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    record = tomllib.loads((tmp_path / "chosen/.scaffold/project.toml").read_text())
    assert set(record["blueprints"]) == {"base", "websockets", "templates"}
    assert record["blueprints"]["websockets"]["options"]["allowed_origins"] == [
        "https://a.example",
        "https://b.example",
    ]
    page = tmp_path / "chosen/chosen/templates/partials/ws_client.html"
    assert page.is_file()


def test_checklist_accepts_numbers_and_reasks_on_nonsense(tmp_path: Path) -> None:
    child = spawn(["new", "numbered"], tmp_path)
    child.expect("Blueprints: numbers or names")
    child.sendline("99, nonsense")
    child.expect("Not understood")
    child.expect("Blueprints: numbers or names")
    child.sendline("none")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    record = tomllib.loads((tmp_path / "numbered/.scaffold/project.toml").read_text())
    assert list(record["blueprints"]) == ["base"]


def test_no_input_never_prompts_even_in_a_terminal(tmp_path: Path) -> None:
    child = spawn(["new", "quiet", "--no-input"], tmp_path)
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    assert "default set" in child.before
    assert (tmp_path / "quiet/quiet/main.py").is_file()


# --- the arrow-key checkbox list (a terminal that can draw it) ---------------------------------

DOWN, SPACE, ENTER = "\x1b[B", " ", "\r"


def _choosable_in_order() -> list[str]:
    """The blueprints the checklist offers, in its order: the catalog's, base left out."""
    listed = subprocess.run(
        [sys.executable, "-m", "scaffold", "blueprints", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [entry["name"] for entry in json.loads(listed) if entry["name"] != "base"]


def spawn_capable(arguments: list[str], cwd: Path) -> pexpect.spawn:
    """A terminal prompt_toolkit can draw on: a pty with a real TERM."""
    return pexpect.spawn(
        sys.executable,
        ["-m", "scaffold", *arguments],
        cwd=str(cwd),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 160),
        env={"TERM": "xterm-256color", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
    )


def test_a_capable_terminal_gets_an_arrow_key_checkbox_list(tmp_path: Path) -> None:
    child = spawn_capable(["new", "boxed"], tmp_path)
    child.expect("Enter accepts")
    child.expect("websockets")  # the list is drawn, defaults checked (settings, tests)
    # The pointer starts on the first blueprint. Move to lifespan and check it; move to
    # settings and uncheck it; move to tests and uncheck it; accept.
    order = _choosable_in_order()
    keys, at = [], 0
    for name in ("lifespan", "settings", "tests"):
        keys += [DOWN] * (order.index(name) - at) + [SPACE]
        at = order.index(name)
    for key in (*keys, ENTER):
        child.send(key)
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    assert "Blueprints: numbers or names" not in child.before  # not the fallback
    record = tomllib.loads((tmp_path / "boxed/.scaffold/project.toml").read_text())
    assert list(record["blueprints"]) == ["base", "lifespan"]


def test_enter_on_the_checkbox_list_keeps_the_defaults(tmp_path: Path) -> None:
    child = spawn_capable(["new", "defaults"], tmp_path)
    child.expect("Enter accepts")
    child.send(ENTER)
    child.expect("settings.env_prefix")  # the chosen blueprints' options follow, as before
    child.sendline("")
    child.expect("settings.info_route")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    record = tomllib.loads((tmp_path / "defaults/.scaffold/project.toml").read_text())
    assert set(record["blueprints"]) == {"base", "settings", "tests"}
    # Enter on a default derived from the name takes it rendered, not as the template text.
    assert record["blueprints"]["settings"]["options"]["env_prefix"] == "DEFAULTS_"


@pytest.mark.parametrize("term", ["dumb", ""], ids=["TERM=dumb", "no TERM"])
def test_a_terminal_that_cannot_draw_it_gets_the_numbered_prompt(tmp_path: Path, term) -> None:
    env = {"NO_COLOR": "1", "PATH": "/usr/bin:/bin"} | ({"TERM": term} if term else {})
    child = pexpect.spawn(
        sys.executable,
        ["-m", "scaffold", "new", "plain"],
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 160),
        env=env,
    )
    child.expect("Blueprints: numbers or names")
    assert "Enter accepts" not in child.before
    child.sendline("lifespan")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    record = tomllib.loads((tmp_path / "plain/.scaffold/project.toml").read_text())
    assert list(record["blueprints"]) == ["base", "lifespan"]
