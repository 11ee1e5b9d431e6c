"""A copier template's lifecycle as a blueprint: migrations on update, tasks that make a repository.

``_migrations`` run on ``update --trust`` as ``copier update`` runs them (compared with copier
itself), in a staging copy of the project, never without trust and never in a dry run; a
template whose tasks run ``git init`` leaves that repository in a new project as ``copier copy``
does, and never replaces the owner's; ``_copier_conf.dst_path`` is the project's folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

pytestmark = pytest.mark.timeout(180)

ANSWERS = {"{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}"}
QUESTION = "greeting:\n  type: str\n  default: hi\n"
LOG = (
    'echo "{{ greeting }} $STAGE $VERSION_FROM $VERSION_TO $VERSION_CURRENT '
    '$VERSION_PEP440_FROM $VERSION_PEP440_TO $VERSION_PEP440_CURRENT $(basename $PWD)" '
    ">> migrations.log"
)
# Declared out of version order on purpose: copier runs them as declared, and so does scaffold.
MIGRATIONS = f"""
_migrations:
  - version: v1.2.0
    command: '{LOG}'
  - version: v1.1.0
    when: "{{{{ _stage == 'before' }}}}"
    command: '{LOG}'
  - version: v1.1.0
    command: '{LOG}'
  - version: v1.0.0
    command: echo "never, not above the old version" >> migrations.log
  - version: v9.0.0
    command: echo "never, above the new version" >> migrations.log
  - command: echo "every update $STAGE" >> migrations.log
  - version: v1.2.0
    when: "{{{{ _stage == 'before' }}}}"
    command: rm -f legacy.txt
  - version: v1.2.0
    command: cp new.txt seen-after-the-merge.txt
"""


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _copier(*args: str, cwd: Path) -> None:
    command = [sys.executable, "-m", "copier", *args]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _migrating_template(make_repo: Callable[[str], object]) -> object:
    """Tags v1.0.0 (no migrations), v1.1.0 and v1.2.0 (legacy.txt dropped, new.txt added)."""
    repo = make_repo("life")
    for relative, text in ANSWERS.items():
        repo.write(relative, text)  # type: ignore[attr-defined]
    repo.write("copier.yml", QUESTION)  # type: ignore[attr-defined]
    repo.write("legacy.txt", "legacy\n")  # type: ignore[attr-defined]
    repo.write("keep.txt", "keep\n")  # type: ignore[attr-defined]
    repo.release("v1.0.0")  # type: ignore[attr-defined]
    repo.write("copier.yml", QUESTION + MIGRATIONS)  # type: ignore[attr-defined]
    repo.release("v1.1.0")  # type: ignore[attr-defined]
    (repo.path / "legacy.txt").unlink()  # type: ignore[attr-defined]
    repo.write("new.txt", "new in 1.2\n")  # type: ignore[attr-defined]
    repo.release("v1.2.0")  # type: ignore[attr-defined]
    return repo


def _owner_edits(project: Path) -> None:
    """The owner edits legacy.txt, which v1.2.0 drops: a before migration removes it."""
    (project / "legacy.txt").write_text("legacy\nthe owner's line\n")
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "owner", cwd=project)


def _scaffold_project(cli: Callable[..., Result], repo: object, out: Path) -> Path:
    source = f"git+{repo.path}"  # type: ignore[attr-defined]
    made = cli("new", "svc", "-b", "life", "--source", f"{source}@v1.0.0", "--no-input", "-o", out)
    assert made.exit_code == 0, made.output
    project = out / "svc"
    _git("init", "-q", "-b", "main", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "generated", cwd=project)
    _owner_edits(project)
    return project


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_update_runs_migrations_as_copier_update_does(
    cli: Callable[..., Result], make_repo: Callable[[str], object], tmp_path: Path
) -> None:
    repo = _migrating_template(make_repo)
    project = _scaffold_project(cli, repo, tmp_path / "scaffold")
    # the same template and owner's edit, by copier itself
    reference = tmp_path / "copier" / "svc"
    reference.parent.mkdir()
    _copier("copy", "--trust", "--defaults", "--vcs-ref", "v1.0.0", str(repo.path), str(reference),
            cwd=tmp_path)  # type: ignore[attr-defined]  # fmt: skip
    _git("init", "-q", "-b", "main", cwd=reference)
    _git("add", "-A", cwd=reference)
    _git("commit", "-q", "-m", "generated", cwd=reference)
    _owner_edits(reference)
    _copier("update", "--trust", "--defaults", "--vcs-ref", "v1.2.0", cwd=reference)

    updated = cli("update", "-C", project, "--trust")

    assert updated.exit_code == 0, updated.output
    log = (project / "migrations.log").read_text()
    assert log == (reference / "migrations.log").read_text()
    assert log.splitlines() == [
        " before v1.0.0 v1.2.0 v1.1.0 1.0.0 1.2.0 1.1.0 svc",  # no answers yet, as in copier
        "hi after v1.0.0 v1.2.0 v1.2.0 1.0.0 1.2.0 1.2.0 svc",
        "hi after v1.0.0 v1.2.0 v1.1.0 1.0.0 1.2.0 1.1.0 svc",
        "every update after",
    ]
    # 'before' ran before the merge: the owner's edited legacy.txt is gone, not kept with a note
    assert not (project / "legacy.txt").exists()
    assert not (reference / "legacy.txt").exists()
    # 'after' ran after it: it saw the file the new version adds
    assert (project / "seen-after-the-merge.txt").read_text() == "new in 1.2\n"
    assert (reference / "seen-after-the-merge.txt").read_text() == "new in 1.2\n"
    record = tomllib.loads((project / ".scaffold" / "project.toml").read_text())
    assert record["blueprints"]["life"]["ref"] == "v1.2.0"
    assert "ran the migrations of life (v1.0.0 -> v1.2.0)" in updated.output
    assert not list(tmp_path.glob("**/.scaffold-journal"))


def test_migrations_need_trust_and_a_dry_run_never_runs_them(
    cli: Callable[..., Result], make_repo: Callable[[str], object], tmp_path: Path
) -> None:
    repo = _migrating_template(make_repo)
    project = _scaffold_project(cli, repo, tmp_path)
    before = _files(project)

    refused = cli("update", "-C", project)

    assert refused.exit_code == 3, refused.output
    assert "runs code (migrations)" in refused.stderr
    assert _files(project) == before

    dry = cli("update", "-C", project, "--trust", "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert _files(project) == before
    assert "were not run" in dry.output


def test_a_failing_migration_writes_nothing(
    cli: Callable[..., Result], make_repo: Callable[[str], object], tmp_path: Path
) -> None:
    repo = _migrating_template(make_repo)
    project = _scaffold_project(cli, repo, tmp_path)
    repo.write("copier.yml", QUESTION + "_migrations:\n  - touch half-done\n  - exit 7\n")  # type: ignore[attr-defined]
    repo.release("v1.3.0")  # type: ignore[attr-defined]
    before = _files(project)

    failed = cli("update", "-C", project, "--trust")

    assert failed.exit_code != 0
    assert "migration failed" in failed.stderr
    assert _files(project) == before


TASKS_GIT = """
_tasks:
  - git init -q -b main
  - git add -A
  - git commit -q -m "made by the template"
"""


def _git_template(root: Path) -> Path:
    folder = root / "repoish"
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text(TASKS_GIT)
    (folder / "a.txt").write_text("a\n")
    (folder / ".gitignore").write_text("*.log\n")
    return folder


def test_new_keeps_the_repository_a_task_made_as_copier_copy_does(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = _git_template(tmp_path / "bp")
    reference = tmp_path / "copier" / "svc"
    _copier("copy", "--trust", "--defaults", str(folder), str(reference), cwd=tmp_path)

    made = cli("new", "svc", "--source", tmp_path / "bp", "-b", "repoish", "--no-input",
               "--trust", "-o", tmp_path / "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    assert _git("log", "--format=%s", cwd=project) == "made by the template\n"
    # the very same commit content: the tree copier's task committed
    committed = _git("ls-tree", "-r", "HEAD", cwd=project)
    assert committed == _git("ls-tree", "-r", "HEAD", cwd=reference)
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=project).splitlines()
    assert " M .gitignore" in status  # base's lines joined the template's, as scaffold merges
    assert "?? .scaffold/project.toml" in status  # scaffold's own files: untracked, not hidden
    assert not any(line.endswith("a.txt") for line in status)  # the template's file is clean


def test_a_task_never_replaces_the_owners_repository(
    cli: Callable[..., Result], new_service: Callable[[], Path], tmp_path: Path
) -> None:
    project = new_service()
    head = _git("rev-parse", "HEAD", cwd=project)
    _git_template(tmp_path / "bp")

    added = cli("add", "repoish", "-C", project, "--source", tmp_path / "bp", "--trust")

    assert added.exit_code == 0, added.output
    assert _git("rev-parse", "HEAD", cwd=project) == head
    assert _git("log", "--format=%s", cwd=project) == "generated\n"
    assert (project / "a.txt").read_text() == "a\n"


def test_new_with_force_keeps_the_folders_own_repository(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    _git_template(tmp_path / "bp")
    project = tmp_path / "out" / "svc"
    project.mkdir(parents=True)
    (project / "notes.md").write_text("mine\n")
    _git("init", "-q", "-b", "main", cwd=project)
    _git("add", "-A", cwd=project)
    _git("commit", "-q", "-m", "the owner's", cwd=project)

    made = cli("new", "svc", "--source", tmp_path / "bp", "-b", "repoish", "--no-input",
               "--trust", "--force", "-o", tmp_path / "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    assert _git("log", "--format=%s", cwd=project) == "the owner's\n"
    assert (project / "a.txt").read_text() == "a\n"


def test_dst_path_is_the_projects_folder_on_add(
    cli: Callable[..., Result], new_service: Callable[[], Path], tmp_path: Path
) -> None:
    project = new_service()
    moved = project.rename(project.parent / "renamed-svc")
    folder = tmp_path / "bp" / "where"
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text("")
    (folder / "dst.txt.jinja").write_text("{{ _copier_conf.dst_path.name }}\n")

    added = cli("add", "where", "-C", moved, "--source", tmp_path / "bp")

    assert added.exit_code == 0, added.output
    assert (moved / "dst.txt").read_text() == "renamed-svc\n"


def test_migrations_leave_a_fifo_in_the_project_alone(
    cli: Callable[..., Result], make_repo: Callable[[str], object], tmp_path: Path
) -> None:
    repo = _migrating_template(make_repo)
    project = _scaffold_project(cli, repo, tmp_path)
    os.mkfifo(project / "pipe")  # opening it to copy would block: it is neither copied nor read

    updated = cli("update", "-C", project, "--trust", "--allow-dirty")

    assert updated.exit_code == 0, updated.output
    assert (project / "pipe").is_fifo()
    assert (project / "seen-after-the-merge.txt").exists()


def _venv_template(root: Path) -> Path:
    """Tasks make a gitignored venv, a gitignored cache, a link, and local data in a folder."""
    folder = root / "venvish"
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text(
        "_tasks:\n"
        "  - python3 -m venv --without-pip .venv\n"
        "  - ln -s a.txt link.txt\n"
        "  - mkdir -p cache && echo local > cache/state.txt\n"
        "  - mkdir -p data && echo rows > data/local.db\n"
    )
    (folder / "a.txt").write_text("a\n")
    (folder / "data").mkdir()
    (folder / "data" / "README.md").write_text("data\n")
    (folder / ".gitignore").write_text(".venv/\ncache/\ndata/local.db\n")
    return folder


def test_new_keeps_what_tasks_made_as_copier_copy_does(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = _venv_template(tmp_path / "bp")
    reference = tmp_path / "copier" / "svc"
    _copier("copy", "--trust", "--defaults", str(folder), str(reference), cwd=tmp_path)

    made = cli("new", "svc", "--source", tmp_path / "bp", "-b", "venvish", "--no-input",
               "--trust", "-o", tmp_path / "out", "--json")  # fmt: skip

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    # what the tasks made for this machine arrives as they left it, as copier leaves it
    assert (project / "cache" / "state.txt").read_text() == "local\n"
    assert (project / "data" / "local.db").read_text() == "rows\n"
    assert (project / "data" / "README.md").read_text() == "data\n"
    # a task's link inside the project stays a link, as copier leaves it
    assert (project / "link.txt").readlink().as_posix() == "a.txt"
    # but a venv names the folder it was made in, which is gone: it is left out, and said
    assert (reference / ".venv" / "pyvenv.cfg").is_file()
    assert not (project / ".venv").exists()
    assert "made .venv, left out of the project: it is a virtual environment" in " ".join(
        made.stderr.split()
    )
    # what is local to this machine is nobody's file to track: not reported, not recorded
    reported = json.loads(made.stdout)["files"]
    assert not [p for p in reported if p.startswith((".venv/", "cache/", "data/local"))]
    with zipfile.ZipFile(project / ".scaffold" / "base.zip") as base:
        assert not [n for n in base.namelist() if n.startswith((".venv/", "cache/", "data/l"))]
    assert "link.txt" in reported


def test_a_local_entry_holding_a_link_that_leaves_the_project_is_left_out(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "bp" / "leaky"
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text("_tasks:\n  - mkdir -p cache && ln -s ../.. cache/up\n")
    (folder / ".gitignore").write_text("cache/\n")

    made = cli("new", "svc", "--source", tmp_path / "bp", "-b", "leaky", "--no-input",
               "--trust", "-o", tmp_path / "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    assert not (tmp_path / "out" / "svc" / "cache").exists()
    assert "its link cache/up -> ../.. leaves the project" in " ".join(made.stderr.split())


def test_add_of_a_template_whose_tasks_make_local_state_writes_none(
    cli: Callable[..., Result], new_service: Callable[[], Path], tmp_path: Path
) -> None:
    project = new_service()
    _venv_template(tmp_path / "bp")

    added = cli("add", "venvish", "-C", project, "--source", tmp_path / "bp", "--trust")

    assert added.exit_code == 0, added.output
    assert not (project / ".venv").exists()  # rendered in a private folder: left out
    assert not (project / "cache").exists()
    assert (project / "link.txt").readlink().as_posix() == "a.txt"


def test_new_with_force_keeps_the_folders_own_and_writes_through_no_link(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "bp" / "local"
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text(
        "_tasks:\n"
        "  - mkdir -p cache && echo theirs > cache/state.txt\n"
        "  - mkdir -p data && echo rows > data/local.db\n"
    )
    (folder / ".gitignore").write_text("cache/\ndata/local.db\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "out" / "svc"
    (project / "cache").mkdir(parents=True)
    (project / "cache" / "mine.txt").write_text("the owner's cache\n")
    (project / "data").symlink_to(outside, target_is_directory=True)

    made = cli("new", "svc", "--source", tmp_path / "bp", "-b", "local", "--no-input",
               "--trust", "--force", "-o", tmp_path / "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in (project / "cache").iterdir()) == ["mine.txt"]
    # the owner's data/ is a link: the task's local database is not written through it
    assert list(outside.iterdir()) == []


def test_new_writes_the_empty_folders_copier_writes(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "bp" / "hollow"
    (folder / "empty").mkdir(parents=True)
    (folder / "empty" / "{% if false %}n{% endif %}.jinja").write_text("")
    (folder / "docs" / "_static" / "badges").mkdir(parents=True)
    (folder / "docs" / "index.md").write_text("# docs\n")
    (folder / "copier.yml").write_text("")
    reference = tmp_path / "copier" / "svc"
    _copier("copy", "--defaults", str(folder), str(reference), cwd=tmp_path)

    made = cli("new", "svc", "--source", tmp_path / "bp", "-b", "hollow", "--no-input",
               "-o", tmp_path / "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    for empty in ("empty", "docs/_static/badges"):
        assert (reference / empty).is_dir(), empty  # what copier writes
        assert (project / empty).is_dir(), empty
    assert (project / "docs" / "index.md").read_text() == "# docs\n"
