"""Signals, concurrent commands, a failing git and a full disk: errors, never a mixed project.

SIGTERM and SIGHUP are handled as Ctrl-C: before the swap they stop the command with nothing
written, during it they wait until the project is whole. One change per project at a time; two
``new`` into one folder: exactly one wins. A work tree git cannot read is refused. A full disk
is one line and exit 2.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(600)

PACKAGE = "fault_app"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_before_the_swap_stops_with_nothing_written(
    project, scaffold_child, snapshot, signum
) -> None:
    root = project()
    before = snapshot(root)
    child = scaffold_child("add", "static", "-C", root, pause_at=1)
    assert child.paused() == "staged"

    child.signal(signum)
    child.go_on()
    code, _, stderr = child.finish()

    assert code == 130, stderr
    assert stderr.strip() == "error: interrupted; nothing was written"
    assert snapshot(root) == before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_the_swap_waits_until_the_project_is_whole(
    project, scaffold_child, scaffold_run, snapshot, signum
) -> None:
    reference = project()
    assert scaffold_run("add", "static", "-C", reference)[0] == 0
    root = project()
    child = scaffold_child("add", "static", "-C", root, pause_at=4)
    assert child.paused().startswith(("backed up", "wrote"))

    child.signal(signum)
    child.go_on()
    code, _, stderr = child.finish()

    assert code in {0, 130}, stderr
    assert snapshot(root) == snapshot(reference)


def test_a_second_change_while_one_runs_is_refused(
    project, scaffold_child, scaffold_run, snapshot
) -> None:
    root = project()
    first = scaffold_child("add", "static", "-C", root, pause_at=2)
    assert first.paused() == "intent written"

    code, _, stderr = scaffold_run("add", "websockets", "-C", root)

    assert code == 2
    assert "another scaffold command is changing" in stderr
    first.go_on()
    assert first.finish()[0] == 0
    record = (root / ".scaffold/project.toml").read_text()
    assert "[blueprints.static]" in record
    assert "[blueprints.websockets]" not in record  # refused, not silently lost
    assert not (root / ".scaffold-lock").exists()
    code, _, stderr = scaffold_run("add", "websockets", "-C", root)
    assert code == 0, stderr
    assert "[blueprints.static]" in (root / ".scaffold/project.toml").read_text()


def test_two_new_into_one_folder_exactly_one_wins(scaffold_child, scaffold_run, tmp_path) -> None:
    out = tmp_path / "out"
    first = scaffold_child("new", "fault-app", "-b", "base", "--no-input", "-o", out, pause_at=1)
    assert first.paused() == "project staged"

    second = scaffold_run("new", "fault-app", "-b", "static", "--no-input", "-o", out)
    first.go_on()
    code, _, stderr = first.finish()

    assert second[0] == 0, second[2]
    assert code == 2
    assert "was created or filled while scaffold ran" in stderr
    assert "[blueprints.static]" in (out / "fault-app/.scaffold/project.toml").read_text()
    assert [p.name for p in out.iterdir()] == ["fault-app"]  # no staging folder left


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def committed(project):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = project()
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "generated")
    return root


def test_a_garbage_head_is_refused_not_taken_for_no_repository(
    committed, cli, error_line, snapshot
) -> None:
    (committed / ".git/HEAD").write_text("garbage\n")
    before = snapshot(committed)

    result = cli("add", "static", "-C", committed)

    assert result.exit_code == 2, result.output
    assert "git cannot read the work tree" in error_line(result)
    assert snapshot(committed) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the project another owner")
def test_dubious_ownership_is_refused(committed, scaffold_run, snapshot) -> None:
    for path in [committed, *committed.rglob("*")]:
        os.lchown(path, 4242, 4242)
    before = snapshot(committed)

    code, _, stderr = scaffold_run("add", "static", "-C", committed)

    assert code == 2, stderr
    assert "git cannot read the work tree" in stderr
    assert "dubious ownership" in stderr
    assert snapshot(committed) == before


def _small_files() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_file_size_limit_on_new_is_one_line_and_exit_2(scaffold_run, tmp_path) -> None:
    out = tmp_path / "out"

    code, _, stderr = scaffold_run(
        "new", "fault-app", "--all", "--no-input", "-o", out, preexec_fn=_small_files
    )

    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "too large" in lines[0].lower() or "no space" in lines[0].lower()
    assert not (out / "fault-app").exists()


@contextlib.contextmanager
def _tiny_tmpfs(where: Path, size: str):
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_full_disk_on_new_is_one_line_and_exit_2(scaffold_run, tmp_path) -> None:
    with _tiny_tmpfs(tmp_path / "disk", "96k") as disk:
        code, _, stderr = scaffold_run("new", "fault-app", "--all", "--no-input", "-o", disk)

        assert code == 2, stderr
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert "No space left on device" in stderr
        assert not (disk / "fault-app").exists()
        assert list(disk.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_full_disk_on_add_changes_nothing(project, scaffold_run, snapshot, tmp_path) -> None:
    source = project()
    size = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    with _tiny_tmpfs(tmp_path / "disk", f"{(size // 4096 + 40) * 4}k") as disk:
        root = disk / "fault-app"
        shutil.copytree(source, root)
        filler = disk / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
        filler.write_bytes(b"\0" * max(filler.stat().st_size - 6000, 0))  # a little room
        before = snapshot(root)

        code, _, stderr = scaffold_run("add", "websockets", "static", "-C", root)

        assert code == 2, stderr
        assert "No space left on device" in stderr
        assert snapshot(root) == before
