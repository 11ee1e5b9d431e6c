"""Five public copier templates, used unchanged, through their whole life in a scaffold project.

Each fixture in ``tests/fixtures/copier_templates/`` is a trimmed copy of a real template at two
release tags (its ``copier.yml`` whole, a subset of its files: the shared ones, a script, a
symbolic link; see the README there for the licences). The test releases them into a git
repository and, for each: ``new`` from the older tag gives what plain ``copier copy`` of the
same answers gives, byte for byte and mode for mode, outside the files scaffold must merge;
``add static`` needs no ``--trust`` (unless the template's jinja extensions, code, would run);
``check`` reports the newer tag (and only a tag at which the repository is still a template);
``update`` moves to it; ``check`` is clean again.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.testing import Result

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "copier_templates"
# What scaffold merges by structure with base's own: never the template's bytes alone.
MERGED = {".gitignore", "README.md", "pyproject.toml", "tests/conftest.py"}


@dataclass(frozen=True)
class Template:
    """One fixture: its name, its tags in release order, and the answers copier needs."""

    name: str
    older: str
    newer: str
    answers: dict[str, str]
    later: tuple[str, ...] = ()  # tags after ``newer`` at which it is no template any more
    extensions: bool = False  # names _jinja_extensions: its code runs whenever it renders
    src_package: bool = False  # writes src/<project_name>/: base's app needs another name


TEMPLATES = [
    Template(
        "copier-uv",
        "1.12.0",
        "1.13.0",
        {"project_description": "Demo"},
        extensions=True,
        src_package=True,
    ),
    Template(
        "copier-pdm",
        "1.2.5",
        "1.2.6",
        {"project_description": "Demo"},
        extensions=True,
        src_package=True,
    ),
    Template(
        "copier-project", "0.6.0", "0.6.1", {"repo_url": "https://x.test/r", "license": "MIT"}
    ),
    Template("autopretty", "v0.4.2", "v0.4.3", {}),
    Template("full-stack-fastapi-template", "0.9.0", "0.10.0", {}, later=("0.11.0",)),
]


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _release(template: Template, tmp_path: Path) -> Path:
    """Unpack the fixture and commit each tag's tree, tagged, into a repository named as it."""
    unpacked = tmp_path / "unpacked"
    with tarfile.open(FIXTURES / f"{template.name}.tar.gz") as archive:
        archive.extractall(unpacked)  # our own fixture, made by trim.py
    repo = tmp_path / "remotes" / template.name
    repo.mkdir(parents=True)
    _git("init", "-q", "-b", "main", cwd=repo)
    for tag in (template.older, template.newer, *template.later):
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(
                    child
                ) if child.is_dir() and not child.is_symlink() else child.unlink()
        shutil.copytree(unpacked / tag, repo, symlinks=True, dirs_exist_ok=True)
        _git("add", "-A", cwd=repo)
        _git("commit", "-q", "--allow-empty", "-m", f"release {tag}", cwd=repo)
        _git("tag", tag, cwd=repo)
    return repo


def _plain_copier(template: Template, repo: Path, destination: Path) -> None:
    """``copier copy`` of the repository given by its path, as a user types it for copier."""
    data = [
        f"--data={key}={value}"
        for key, value in {"project_name": "svc", **template.answers}.items()
    ]
    if template.name in {"autopretty", "full-stack-fastapi-template"}:
        data = data[1:]  # project_name is not their question (or has its own default)
    subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--quiet", "--defaults", "--trust",
         f"--vcs-ref={template.older}", *data, str(repo), str(destination)],
        check=True, capture_output=True,
    )  # fmt: skip


def _files(root: Path) -> dict[str, tuple[str, bytes]]:
    """Every file under ``root`` (outside .git): its kind and mode, and its bytes or target."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if relative.split("/")[0] in {".git", ".scaffold"}:
            continue
        if path.is_symlink():
            found[relative] = ("link", str(path.readlink()).encode())
        elif path.is_file():
            found[relative] = (oct(path.stat().st_mode & 0o777), path.read_bytes())
    return found


def _holds(merged: object, template: object) -> bool:
    """Say whether the merged TOML keeps every value of the template's (arrays may grow)."""
    if isinstance(template, dict):
        return isinstance(merged, dict) and all(
            key in merged and _holds(merged[key], value) for key, value in template.items()
        )
    if isinstance(template, list):
        return isinstance(merged, list) and all(item in merged for item in template)
    return merged == template


def _recorded(project: Path, name: str) -> dict[str, object]:
    record = tomllib.loads((project / ".scaffold" / "project.toml").read_text())
    return record["blueprints"][name]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.name)
def test_a_real_template_lives_through_new_add_check_update_check(
    template: Template,
    tmp_path: Path,
    cli: Callable[..., Result],
    commit: Callable[[Path, str], None],
) -> None:
    repo = _release(template, tmp_path)
    options = [f"-O{template.name}.{key}={value}" for key, value in template.answers.items()]
    name = "svc"
    if template.src_package:  # base's svc/ would hide the template's src/svc/: refused
        refused = cli(
            "new", name, "-b", template.name, "--source", f"git+{repo}@{template.older}",
            *options, "--trust", "--no-input", "-o", tmp_path / "scaffold",
        )  # fmt: skip
        assert refused.exit_code == 2, refused.output
        assert f"-O {template.name}.project_name=svc keeps the template's" in refused.stderr
        name = "svc-api"
        options.append(f"-O{template.name}.project_name=svc")

    made = cli(
        "new", name, "-b", template.name, "--source", f"git+{repo}@{template.older}",
        *options, "--trust", "--no-input", "-o", tmp_path / "scaffold",
    )  # fmt: skip

    assert made.exit_code == 0, made.output
    project = tmp_path / "scaffold" / name
    _plain_copier(template, repo, tmp_path / "plain" / "svc")
    plain, ours = _files(tmp_path / "plain" / "svc"), _files(project)
    for path, (kind, content) in plain.items():
        if path.endswith(".toml") and path in MERGED:
            assert _holds(tomllib.loads(ours[path][1].decode()), tomllib.loads(content.decode()))
        elif path in MERGED:  # by line or section: every line of the template's is there
            lines = set(ours[path][1].decode().splitlines())
            assert set(content.decode().splitlines()) <= lines | {""}, path
        else:
            assert ours.get(path) == (kind, content), path
    _git("init", "-q", "-b", "main", cwd=project)
    commit(project, "generated")

    added = cli("add", "static", "-C", project)  # no --trust: the template's tasks do not run

    if template.extensions:  # its jinja extensions are code that runs on every render
        assert added.exit_code == 3
        assert f"'{template.name}'" in added.stderr
        assert "jinja extensions" in added.stderr
        added = cli("add", "static", "--trust", "-C", project)
    assert added.exit_code == 0, added.output
    assert (project / name.replace("-", "_") / "static").is_dir()
    commit(project, "static")
    outdated = cli("check", "-C", project)
    assert outdated.exit_code == 1
    wanted = template.newer.removeprefix("v")
    assert f"{template.older.removeprefix('v')} -> {wanted} available" in outdated.output
    updated = cli("update", "--trust", "-C", project)
    assert updated.exit_code == 0, updated.output
    assert _recorded(project, template.name)["ref"] == template.newer
    commit(project, "updated")
    clean = cli("check", "-C", project)
    assert clean.exit_code == 0, clean.output


@pytest.mark.timeout(300)
def test_full_stack_template_is_the_foundation_with_new_from(
    tmp_path: Path, cli: Callable[..., Result], commit: Callable[[Path, str], None]
) -> None:
    """``--from``: the template's own app (backend/app/main.py) is extended, no base app."""
    template = next(t for t in TEMPLATES if t.name == "full-stack-fastapi-template")
    repo = _release(template, tmp_path)

    made = cli(
        "new", "svc", "--from", f"git+{repo}@{template.older}", "-b", "static",
        "--trust", "--no-input", "-o", tmp_path / "scaffold",
    )  # fmt: skip

    assert made.exit_code == 0, made.output
    project = tmp_path / "scaffold" / "svc"
    _plain_copier(template, repo, tmp_path / "plain" / "svc")
    plain, ours = _files(tmp_path / "plain" / "svc"), _files(project)
    app_module = "backend/app/main.py"
    assert set(ours) - set(plain) == {"backend/app/static/css/app.css"}  # no base app beside
    for path, (kind, content) in plain.items():
        if path == app_module:  # the template's lines, and the static mount added among them
            assert set(content.decode().splitlines()) <= set(ours[path][1].decode().splitlines())
            assert '"/static"' in ours[path][1].decode()
        else:
            assert ours[path] == (kind, content), path
    _git("init", "-q", "-b", "main", cwd=project)
    commit(project, "generated")
    env = (project / ".env").read_bytes()  # its .gitignore excludes it: the owner's from now on

    added = cli("add", "websockets", "-C", project)  # no --trust: the template's tasks do not run

    assert added.exit_code == 0, added.output
    assert "include_router(websockets.router)" in (project / app_module).read_text()
    commit(project, "websockets")
    outdated = cli("check", "-C", project)
    assert outdated.exit_code == 1
    assert f"{template.older} -> {template.newer} available" in outdated.output
    updated = cli("update", "--trust", "-C", project)
    assert updated.exit_code == 0, updated.output
    assert _recorded(project, template.name)["ref"] == template.newer
    assert (project / ".env").read_bytes() == env
    main = (project / app_module).read_text()
    assert '"/static"' in main
    assert "include_router(websockets.router)" in main
    commit(project, "updated")
    clean = cli("check", "-C", project)
    assert clean.exit_code == 0, clean.output
