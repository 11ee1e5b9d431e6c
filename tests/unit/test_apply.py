"""Writing: all or nothing, never into a folder with files unless forced, normal permissions."""

from __future__ import annotations

import os
import stat
import tempfile

import pytest

from scaffold.apply import STAGING_PREFIX, write_project
from scaffold.errors import DestinationError

TREE = {
    "pkg/__init__.py": b"",
    "pkg/main.py": b"x=1\n",
    "README.md": b"# demo\n",
    "data/blob.bin": bytes(range(256)),
}


def _snapshot(root):
    """Every file under root with its bytes (empty folders included as None)."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        found[relative] = path.read_bytes() if path.is_file() else None
    return found


def _no_formatting(_project) -> None:
    """A formatter that leaves the tree as it is."""


def _uppercase_python(project) -> None:
    """A stand-in for ruff: rewrites every .py file, so we can see its output is what lands."""
    for path in project.rglob("*.py"):
        path.write_bytes(path.read_bytes().upper())


def _staging_folders(parent):
    return [p for p in parent.iterdir() if p.name.startswith(STAGING_PREFIX)]


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield 0o022
    os.umask(previous)


def test_a_new_project_is_written_with_the_formatted_content(tmp_path) -> None:
    destination = tmp_path / "demo"

    result = write_project(TREE, destination, formatter=_uppercase_python)

    assert result.written
    assert _snapshot(destination) == {
        "README.md": b"# demo\n",
        "data": None,
        "data/blob.bin": bytes(range(256)),
        "pkg": None,
        "pkg/__init__.py": b"",
        "pkg/main.py": b"X=1\n",
    }
    assert result.files == {**TREE, "pkg/main.py": b"X=1\n"}
    assert _staging_folders(tmp_path) == []


def test_missing_parent_folders_are_created(tmp_path) -> None:
    destination = tmp_path / "a" / "b" / "demo"

    write_project(TREE, destination, formatter=_no_formatting)

    assert (destination / "README.md").read_bytes() == b"# demo\n"


def test_an_empty_existing_folder_is_used_without_force(tmp_path) -> None:
    destination = tmp_path / "demo"
    destination.mkdir()

    write_project(TREE, destination, formatter=_no_formatting)

    assert (destination / "pkg" / "main.py").read_bytes() == b"x=1\n"


def test_a_folder_with_files_is_refused_without_force_and_left_alone(tmp_path) -> None:
    destination = tmp_path / "demo"
    destination.mkdir()
    (destination / "README.md").write_bytes(b"mine, keep me")
    before = _snapshot(tmp_path)

    with pytest.raises(DestinationError, match="not empty") as caught:
        write_project(TREE, destination, formatter=_no_formatting)

    assert "--force" in str(caught.value)
    assert _snapshot(tmp_path) == before


def test_a_file_in_the_way_is_refused_even_with_force(tmp_path) -> None:
    destination = tmp_path / "demo"
    destination.write_text("a file")

    with pytest.raises(DestinationError, match="not a folder"):
        write_project(TREE, destination, formatter=_no_formatting, force=True)

    assert destination.read_text() == "a file"


def test_force_keeps_unrelated_files_and_writes_the_generated_ones(tmp_path) -> None:
    destination = tmp_path / "demo"
    (destination / "pkg").mkdir(parents=True)
    (destination / "notes.txt").write_bytes(b"my notes")
    (destination / "pkg" / "extra.py").write_bytes(b"mine = True\n")
    (destination / "README.md").write_bytes(b"old readme")

    write_project(TREE, destination, formatter=_no_formatting, force=True)

    files = _snapshot(destination)
    assert files["notes.txt"] == b"my notes"
    assert files["pkg/extra.py"] == b"mine = True\n"
    assert files["README.md"] == b"# demo\n"
    assert files["pkg/main.py"] == b"x=1\n"
    assert files["data/blob.bin"] == bytes(range(256))
    assert _staging_folders(tmp_path) == []


def _fails_with(exception):
    def formatter(project) -> None:
        assert (project / "pkg" / "main.py").exists()  # it runs on the staged tree
        raise exception

    return formatter


@pytest.mark.parametrize("exception", [RuntimeError("ruff crashed"), KeyboardInterrupt()])
def test_a_failure_while_formatting_leaves_nothing_behind(tmp_path, exception) -> None:
    destination = tmp_path / "demo"

    with pytest.raises(type(exception)):
        write_project(TREE, destination, formatter=_fails_with(exception))

    assert not destination.exists()
    assert sorted(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exception", [RuntimeError("ruff crashed"), KeyboardInterrupt()])
def test_a_failure_while_formatting_with_force_changes_nothing(tmp_path, exception) -> None:
    destination = tmp_path / "demo"
    destination.mkdir()
    (destination / "README.md").write_bytes(b"old readme")
    before = _snapshot(tmp_path)

    with pytest.raises(type(exception)):
        write_project(TREE, destination, formatter=_fails_with(exception), force=True)

    assert _snapshot(tmp_path) == before


def test_dry_run_writes_nothing_but_reports_the_formatted_files(tmp_path, monkeypatch) -> None:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    destination = tmp_path / "out" / "demo"

    result = write_project(TREE, destination, formatter=_uppercase_python, dry_run=True)

    assert not result.written
    assert result.files["pkg/main.py"] == b"X=1\n"
    assert set(result.files) == set(TREE)
    assert not (tmp_path / "out").exists()
    assert list(private_tmp.iterdir()) == []  # its staging folder is gone too


def test_dry_run_still_refuses_a_folder_with_files(tmp_path) -> None:
    destination = tmp_path / "demo"
    destination.mkdir()
    (destination / "keep.txt").write_text("x")

    with pytest.raises(DestinationError):
        write_project(TREE, destination, formatter=_no_formatting, dry_run=True)


def test_the_project_has_normal_permissions(tmp_path, umask_022) -> None:
    destination = tmp_path / "demo"

    write_project(TREE, destination, formatter=_no_formatting)

    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(destination) == 0o755  # not mkdtemp's 0o700
    assert mode(destination / "pkg") == 0o755
    assert mode(destination / "pkg" / "main.py") == 0o644


def test_the_project_follows_a_stricter_umask(tmp_path) -> None:
    destination = tmp_path / "demo"
    previous = os.umask(0o077)
    try:
        write_project(TREE, destination, formatter=_no_formatting)
    finally:
        os.umask(previous)

    assert stat.S_IMODE(destination.stat().st_mode) == 0o700
    assert stat.S_IMODE((destination / "README.md").stat().st_mode) == 0o600
