"""Hostile project files: links out, folders and FIFOs where files were, bytes that are not text.

scaffold reads the owner's files as untrusted input. A link whose target leaves the project is
never read as "the owner's version" nor written through; what scaffold cannot read (a folder
where it generated a file, a FIFO, a file that is not UTF-8 where a text merge is needed) is an
error that changes nothing, the record included. Conflict markers with CRLF endings are found.
The owner's file modes survive a change.
"""

from __future__ import annotations

import os
import stat
import subprocess

import pytest

pytestmark = pytest.mark.timeout(120)

PACKAGE = "evil_app"
SECRET = b"AWS_SECRET_ACCESS_KEY=the-owner-s-key\n"


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "outside" / "id_key"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    return path


def _contents(root) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.mark.parametrize("link", ["secret", "/proc/self/environ"])
def test_a_generated_file_linked_outside_is_not_read_as_the_owners(
    project, cli, error_line, snapshot, secret, tmp_path, link
) -> None:
    root = project()
    (root / "README.md").unlink()
    (root / "README.md").symlink_to(secret if link == "secret" else link)
    before = snapshot(tmp_path, read_links=False)

    result = cli("add", "static", "-C", root)

    assert result.exit_code == 2, result.output
    assert "README.md" in error_line(result)
    assert "leaves the project" in result.stderr
    assert snapshot(tmp_path, read_links=False) == before
    assert SECRET not in _contents(root)


def test_a_tests_folder_linked_outside_gets_nothing_written_through_it(
    project, cli, error_line, snapshot, tmp_path
) -> None:
    root = project("tests")
    outside = tmp_path / "outside-tests"
    (root / "tests").rename(outside)
    (root / "tests").symlink_to(outside)
    before = snapshot(tmp_path, read_links=False)

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 2, result.output
    assert "leaves the project" in error_line(result)
    assert snapshot(tmp_path, read_links=False) == before
    assert not (outside / "test_websockets.py").exists()


def test_new_force_does_not_write_through_a_link(cli, error_line, secret, tmp_path) -> None:
    destination = tmp_path / "out" / "evil-app"
    destination.mkdir(parents=True)
    (destination / "README.md").symlink_to(secret)

    result = cli("new", "evil-app", "-b", "base", "--no-input", "-o", tmp_path / "out", "--force")

    assert result.exit_code == 2, result.output
    assert "symbolic link" in error_line(result)
    assert secret.read_bytes() == SECRET
    assert sorted(p.name for p in destination.iterdir()) == ["README.md"]


def test_a_generated_file_replaced_by_a_folder_is_not_destroyed(
    project, cli, error_line, snapshot
) -> None:
    root = project()
    main = root / PACKAGE / "main.py"
    main.unlink()
    main.mkdir()
    (main / "owner.txt").write_text("the owner's notes\n")
    before = snapshot(root)

    result = cli("add", "static", "-C", root)

    assert result.exit_code == 2, result.output
    assert "main.py" in error_line(result)
    assert "folder" in result.stderr
    assert snapshot(root) == before


def test_a_fifo_where_a_file_was_is_not_opened_for_a_blocking_read(
    project, cli, error_line, snapshot
) -> None:
    root = project()
    (root / "README.md").unlink()
    os.mkfifo(root / "README.md")
    before = snapshot(root, folders=False)

    result = cli("add", "static", "-C", root)

    assert result.exit_code == 2, result.output
    assert "not a regular file" in error_line(result)
    assert snapshot(root, folders=False) == before
    assert stat.S_ISFIFO((root / "README.md").lstat().st_mode)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files it has no permission for")
def test_a_file_scaffold_may_not_read_is_not_destroyed(project, cli, error_line) -> None:
    root = project()
    readme = root / "README.md"
    readme.write_text("the owner's private readme\n")
    readme.chmod(0)
    try:
        result = cli("add", "static", "-C", root)
    finally:
        readme.chmod(0o644)

    assert result.exit_code == 2, result.output
    assert "README.md" in error_line(result)
    assert readme.read_text() == "the owner's private readme\n"


def test_an_undecodable_file_changes_nothing_and_keeps_the_record(
    project, cli, error_line, snapshot
) -> None:
    root = project()
    main = root / PACKAGE / "main.py"
    main.write_bytes(main.read_bytes() + "# caf\xe9, in Latin-1\n".encode("latin-1"))
    before = snapshot(root)

    result = cli("add", "static", "-C", root)

    assert result.exit_code == 2, result.output
    assert "not UTF-8" in error_line(result)
    assert snapshot(root) == before  # the record did not move on without the feature


def test_conflict_markers_with_crlf_endings_are_found_by_check(project, cli_json) -> None:
    root = project()
    readme = root / "README.md"
    text = readme.read_text() + "<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> scaffold\n"
    readme.write_bytes(text.replace("\n", "\r\n").encode())

    code, document = cli_json("check", "-C", root)

    assert code == 1
    assert {"kind": "conflict", "blueprint": None, "path": "README.md"}.items() <= next(
        item for item in document["drift"] if item["kind"] == "conflict"
    ).items()


def test_the_owners_modes_survive_a_change(project, cli) -> None:
    root = project()
    main, pyproject = root / PACKAGE / "main.py", root / "pyproject.toml"
    main.chmod(0o755)
    pyproject.chmod(0o600)

    result = cli("add", "websockets", "-C", root)

    assert result.exit_code == 0, result.output
    assert b"websockets" in main.read_bytes()  # both files were rewritten
    assert b"websockets" in pyproject.read_bytes()
    assert stat.S_IMODE(main.stat().st_mode) == 0o755
    assert stat.S_IMODE(pyproject.stat().st_mode) == 0o600


def test_new_force_keeps_the_owners_modes(cli, tmp_path) -> None:
    destination = tmp_path / "out" / "evil-app"
    destination.mkdir(parents=True)
    (destination / "README.md").write_text("the owner's stale readme\n")
    (destination / "README.md").chmod(0o600)
    (destination / "owner.sh").write_text("#!/bin/sh\n")
    (destination / "owner.sh").chmod(0o755)

    result = cli("new", "evil-app", "-b", "base", "--no-input", "-o", tmp_path / "out", "--force")

    assert result.exit_code == 0, result.output
    assert "stale" not in (destination / "README.md").read_text()
    assert stat.S_IMODE((destination / "README.md").stat().st_mode) == 0o600
    assert stat.S_IMODE((destination / "owner.sh").stat().st_mode) == 0o755


@pytest.mark.parametrize("obstacle", ["folder at a file", "file at a folder"])
def test_new_force_refuses_an_obstacle_before_writing_anything(
    cli, error_line, snapshot, tmp_path, obstacle
) -> None:
    destination = tmp_path / "out" / "evil-app"
    destination.mkdir(parents=True)
    (destination / "README.md").write_text("the owner's readme\n")
    if obstacle == "folder at a file":
        (destination / "pyproject.toml").mkdir()
    else:
        (destination / PACKAGE).write_text("a file where the package goes\n")
    before = snapshot(tmp_path)

    result = cli("new", "evil-app", "-b", "base", "--no-input", "-o", tmp_path / "out", "--force")

    assert result.exit_code == 2, result.output
    assert "nothing was written" in error_line(result)
    assert snapshot(tmp_path) == before


def test_a_blueprints_executable_files_stay_executable(cli, make_source, tmp_path) -> None:
    source = make_source()
    folder = source.add(
        "tools",
        files={
            "scripts/serve.sh": "#!/bin/sh\necho serving\n",
            "scripts/hello.sh.jinja": "#!/bin/sh\necho {{ project.name }}\n",
            "scripts/notes.txt": "plain\n",
        },
    )
    for script in ("serve.sh", "hello.sh.jinja"):
        (folder / "files" / "scripts" / script).chmod(0o755)
    out = tmp_path / "out"

    made = cli("new", "tool-app", "--source", source.root, "-b", "tools", "--no-input", "-o", out)
    added_into = cli("new", "later-app", "-b", "base", "--no-input", "-o", out)
    added = cli("add", "tools", "--source", source.root, "-C", out / "later-app")

    assert made.exit_code == 0, made.output
    assert added_into.exit_code == 0, added_into.output
    assert added.exit_code == 0, added.output
    for project in (out / "tool-app", out / "later-app"):
        scripts = project / "scripts"
        assert stat.S_IMODE((scripts / "serve.sh").stat().st_mode) == 0o755
        assert stat.S_IMODE((scripts / "hello.sh").stat().st_mode) == 0o755
        assert stat.S_IMODE((scripts / "notes.txt").stat().st_mode) == 0o644
        ran = subprocess.run(
            [scripts / "hello.sh"], capture_output=True, text=True, check=True, timeout=30
        )
        assert ran.stdout == f"{project.name}\n"
