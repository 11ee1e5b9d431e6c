"""``scaffold blueprint new``: a skeleton that works as written, or one line and nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING

import pytest

from scaffold.catalog import load_blueprint, load_catalog

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result


def test_new_writes_a_commented_skeleton(bp_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = bp_cli("new", "greeter", "-o", tmp_path)

    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "greeter"
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "blueprint.toml",
        "files/tests/test_greeter.py.jinja",
        "files/{{ package }}/greeter_routes.py.jinja",
    ]
    text = (folder / "blueprint.toml").read_text(encoding="utf-8")
    assert text.count("\n# ") >= 5, "the manifest explains itself in comments"
    manifest = load_blueprint(folder, source="test").manifest
    assert (manifest.name, manifest.version) == ("greeter", "0.1.0")
    assert list(manifest.options) == ["greeting"]
    assert manifest.when == {"tests/test_greeter.py.jinja": "'tests' in blueprints"}
    assert [r.ref for r in manifest.contribute.routers] == ["{{ package }}.greeter_routes:router"]
    routes = (folder / "files/{{ package }}/greeter_routes.py.jinja").read_text(encoding="utf-8")
    assert "Annotated[" in routes
    assert "APIRouter" in routes
    assert "greeter" in result.stdout
    assert "scaffold blueprint check" in result.stdout


def test_a_dashed_name_gets_an_importable_module(
    bp_cli: Callable[..., Result], tmp_path: Path
) -> None:
    assert bp_cli("new", "acme-auth", "-o", tmp_path).exit_code == 0

    folder = tmp_path / "acme-auth"
    assert (folder / "files/{{ package }}/acme_auth_routes.py.jinja").is_file()
    assert (folder / "files/tests/test_acme_auth.py.jinja").is_file()
    manifest = tomllib.loads((folder / "blueprint.toml").read_text(encoding="utf-8"))
    assert manifest["name"] == "acme-auth"
    assert manifest["contribute"]["routers"][0]["ref"] == "{{ package }}.acme_auth_routes:router"


def test_new_goes_into_an_empty_folder(bp_cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "greeter").mkdir()

    assert bp_cli("new", "greeter", "-o", tmp_path).exit_code == 0
    assert (tmp_path / "greeter" / "blueprint.toml").is_file()


def test_new_refuses_a_folder_that_is_not_empty(
    bp_cli: Callable[..., Result], error_line: Callable[[Result], str], tmp_path: Path
) -> None:
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter" / "notes.txt").write_text("mine", encoding="utf-8")

    result = bp_cli("new", "greeter", "-o", tmp_path)

    assert result.exit_code == 2
    assert "exists and is not empty" in error_line(result)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["greeter", "notes.txt"]


@pytest.mark.parametrize(
    "name",
    ["Greeter", "1st", "my blueprint", "greeter!", "-greeter", "x" * 65, "websockets", ""],
)
def test_new_refuses_an_invalid_name(
    bp_cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    tmp_path: Path,
    name: str,
) -> None:
    out = tmp_path / "out"

    result = bp_cli("new", "-o", out, "--", name)  # '--': '-greeter' is a name, not an option

    assert result.exit_code == 2
    assert "name" in error_line(result)
    assert not out.exists(), "nothing is written"


def test_new_json_reports_the_files(
    bp_json: Callable[..., tuple[int, dict[str, object]]], tmp_path: Path
) -> None:
    code, document = bp_json("new", "greeter", "-o", tmp_path)

    assert code == 0
    assert document["name"] == "greeter"
    assert document["path"] == str((tmp_path / "greeter").resolve())
    assert "blueprint.toml" in document["files"]  # type: ignore[operator]


def test_new_json_error_is_one_document(bp_cli: Callable[..., Result], tmp_path: Path) -> None:
    result = bp_cli("new", "Bad", "-o", tmp_path, "--json")

    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["exit_code"] == 2


def test_the_skeleton_passes_check_with_the_tests_blueprint(
    bp_cli: Callable[..., Result], row: Callable[[str, str], list[str]], tmp_path: Path
) -> None:
    bp_cli("new", "greeter", "-o", tmp_path)

    result = bp_cli("check", tmp_path / "greeter", "--with", "tests")

    assert result.exit_code == 0, result.stdout + result.stderr
    # The skeleton's own test only exists with 'tests', so that row ran it.
    assert row(result.stdout, "greeter+tests")[1:5] == ["ok", "ok", "ok", "ok"]
    assert row(result.stdout, "greeter")[1:5] == ["ok", "ok", "ok", "ok"]


@pytest.mark.slow
@pytest.mark.e2e
def test_the_skeleton_passes_the_full_check(
    bp_cli: Callable[..., Result], row: Callable[[str, str], list[str]], tmp_path: Path
) -> None:
    bp_cli("new", "greeter", "-o", tmp_path)

    result = bp_cli("check", tmp_path / "greeter")

    assert result.exit_code == 0, result.stdout + result.stderr
    optional = [bp.name for bp in load_catalog() if not bp.manifest.always]
    for name in ["greeter", *(f"greeter+{other}" for other in optional), "greeter+all"]:
        assert row(result.stdout, name)[1:5] == ["ok"] * 4, name


def test_the_commands_import_nothing_heavy_at_start_up() -> None:
    """scaffold.cli imports this module for --help: it must stay as light as the rest."""
    code = (
        "import sys, scaffold.cli_blueprint\n"
        "heavy = {'scaffold.authoring', 'scaffold.catalog', 'pydantic', 'jinja2', 'rich.table'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert proc.stdout.strip() == "[]"
