"""The interactive checklist, driven through a real pseudo-terminal as a person would."""

from __future__ import annotations

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
