"""Writing is all or nothing: an error or Ctrl-C leaves the project exactly as it was."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

PACKAGE = "evo_app"


@pytest.fixture
def edited(make_project):
    project = make_project("settings", "tests")
    main = project / PACKAGE / "main.py"
    main.write_text("# owner: a comment\n" + main.read_text())
    return project


@pytest.mark.parametrize("failing_call", [1, 2, 3, 6, 9])
def test_a_failure_in_the_middle_of_the_swap_restores_every_file(
    edited, cli, snapshot, monkeypatch, failing_call
) -> None:
    """Staging lives inside the project, so the snapshot also sees a staging folder left."""
    before = snapshot(edited)
    real_replace = Path.replace
    calls = 0

    def flaky_replace(self: Path, target: os.PathLike[str] | str) -> Path:
        nonlocal calls
        if edited not in self.absolute().parents:  # scaffold's template cache, not the swap
            return real_replace(self, target)
        calls += 1
        if calls == failing_call:
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", flaky_replace)

    result = cli("add", "websockets", "static", "lifespan", "-C", edited)

    assert calls >= failing_call, "the swap never reached the failing call"
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert "No space left on device" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(edited) == before


def test_a_real_obstacle_in_the_middle_of_the_swap_restores_every_file(
    edited, cli, snapshot, leftovers, error_line
) -> None:
    """A file of the owner's where the blueprint needs a folder: the swap fails part way."""
    (edited / PACKAGE / "static").write_text("the owner's file, not a folder\n")
    before = snapshot(edited)

    result = cli("add", "static", "-C", edited)

    assert result.exit_code == 2, result.output
    assert f"{PACKAGE}/static" in error_line(result)
    assert snapshot(edited) == before
    assert leftovers(edited) == []


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes to read-only folders"
)
def test_a_read_only_folder_leaves_the_project_as_it_was(edited, cli, snapshot, leftovers) -> None:
    tests = edited / "tests"
    before = snapshot(edited)
    tests.chmod(0o555)
    try:
        result = cli("add", "websockets", "-C", edited)
    finally:
        tests.chmod(0o755)

    assert result.exit_code == 2, result.output
    assert snapshot(edited) == before
    assert leftovers(edited) == []


def test_ctrl_c_while_formatting_exits_130_and_changes_nothing(
    edited, cli, snapshot, leftovers, monkeypatch
) -> None:
    before = snapshot(edited)

    def interrupted(_folder: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module("scaffold.format"), "format_project", interrupted)

    result = cli("add", "middleware", "-C", edited)

    assert result.exit_code == 130
    assert "interrupted; nothing was written" in result.stderr
    assert snapshot(edited) == before
    assert leftovers(edited) == []


@pytest.mark.parametrize("command", [("remove", "settings"), ("update",)])
def test_ctrl_c_while_rendering_remove_or_update_changes_nothing(
    make_project, cli, snapshot, monkeypatch, command
) -> None:
    project = make_project("settings", "tests")
    before = snapshot(project)

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(importlib.import_module("scaffold.evolve"), "render_project", interrupted)

    result = cli(*command, "-C", project)

    assert result.exit_code == 130
    assert snapshot(project) == before


def test_ctrl_c_while_staging_changes_nothing(
    edited, cli, snapshot, leftovers, monkeypatch
) -> None:
    before = snapshot(edited)
    real_write = Path.write_bytes
    calls = 0

    def interrupted_write(self: Path, data: bytes) -> int:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", interrupted_write)

    result = cli("add", "middleware", "-C", edited)

    assert result.exit_code == 130
    assert snapshot(edited) == before
    assert leftovers(edited) == []
