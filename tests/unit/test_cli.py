"""The command line: help, version, listings, --json, --dry-run, --force and the record file."""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import signal
import sys
import tomllib
from pathlib import Path

import pytest

import scaffold
from scaffold.apply import STAGING_PREFIX
from scaffold.catalog import load_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(text: str) -> str:
    """Drop ANSI codes and the box drawing of rich's help panels."""
    return _ANSI.sub("", text)


def _files_on_disk(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


# --- version and help -------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_package_version(cli, flag) -> None:
    result = cli(flag)

    assert result.exit_code == 0
    assert result.stdout == f"scaffold {scaffold.__version__}\n"


def test_the_package_version_is_the_project_version() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())

    assert scaffold.__version__ == pyproject["project"]["version"]


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_root_help_lists_the_commands(cli, flag) -> None:
    result = cli(flag)

    assert result.exit_code == 0
    text = _plain(result.stdout)
    for word in ("new", "blueprints", "--version", "scaffold new my-api"):
        assert word in text


def test_new_help_mentions_the_main_flags(cli) -> None:
    result = cli("new", "--help")

    assert result.exit_code == 0
    text = _plain(result.stdout)
    for flag in (
        "--blueprint", "-b", "--all", "--option", "-O", "BLUEPRINT.OPTION=VALUE", "--description",
        "--python", "--output-dir", "-o", "--answers", "--source", "--no-input", "--dry-run",
        "--force", "--json",
    ):  # fmt: skip
        assert flag in text, flag
    assert "[default: 3.11]" in text  # help text is not eaten as rich markup


# --- scaffold blueprints ----------------------------------------------------------------------


def test_blueprints_lists_builtin_and_source_blueprints(cli, source) -> None:
    source.add("widgets", version="1.2.0", summary="Widgets [beta] for everyone")

    result = cli("blueprints", "--source", source.root)

    assert result.exit_code == 0, result.stderr
    assert "base" in result.stdout
    assert "widgets" in result.stdout
    assert "1.2.0" in result.stdout
    assert "[beta]" in result.stdout  # a summary is text, not rich markup


def test_blueprints_json_is_valid_json_describing_each_blueprint(cli, source) -> None:
    source.add(
        "widgets",
        'requires = ["gears"]\n[options.size]\ntype = "int"\ndefault = 3\nhelp = "How big"\n',
        version="1.2.0",
    )
    source.add("gears")

    result = cli("blueprints", "--json", "--source", source.root)

    assert result.exit_code == 0, result.stderr
    listing = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listing["base"]["always"] is True
    assert listing["base"]["source"] == "built-in"
    widgets = listing["widgets"]
    assert widgets["version"] == "1.2.0"
    assert widgets["source"] == str(source.root)
    assert widgets["requires"] == ["gears"]
    assert widgets["options"]["size"]["type"] == "int"
    assert widgets["options"]["size"]["default"] == 3
    assert set(listing) == set(load_catalog((source.root,)).names())


def test_blueprints_json_reports_a_bad_source_as_json(cli, tmp_path) -> None:
    result = cli("blueprints", "--json", "--source", tmp_path / "missing")

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2
    assert "not a folder" in error["message"]


# --- scaffold new: --json ---------------------------------------------------------------------


def test_new_json_prints_exactly_one_json_document(cli, out) -> None:
    result = cli("new", "my-api", "--json", "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)  # one document: trailing text would be "Extra data"
    assert report["name"] == "my-api"
    assert report["package"] == "my_api"
    assert report["dry_run"] is False
    assert Path(report["path"]) == (out / "my-api").resolve()
    catalog = load_catalog()
    defaults = {bp.name for bp in catalog if bp.manifest.default or bp.manifest.always}
    assert {bp["name"] for bp in report["blueprints"]} == defaults
    assert report["blueprints"][0]["name"] == "base"
    for entry in report["blueprints"]:
        assert entry["version"] == catalog.get(entry["name"]).manifest.version
        assert entry["source"] == "built-in"
    assert report["files"] == sorted(report["files"])
    assert {".scaffold/project.toml", "my_api/main.py", "pyproject.toml"} <= set(report["files"])
    assert set(report["files"]) == _files_on_disk(out / "my-api")
    assert "Created" not in result.stderr
    assert "note:" not in result.stderr


def test_new_json_reports_an_error_as_json_on_stdout(cli, out) -> None:
    result = cli("new", "json", "--json", "--no-input", "-o", out)

    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 2
    assert "standard library" in error["message"]
    assert not out.exists()


def test_new_without_blueprints_uses_the_default_set_and_says_so(cli, out) -> None:
    result = cli("new", "my-api", "--no-input", "--dry-run", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert "using the default set" in result.stderr
    for blueprint in load_catalog():
        if blueprint.manifest.default:
            assert blueprint.name in result.stderr


def test_options_alone_add_their_blueprint_to_the_default_set(cli, source, out) -> None:
    source.add("widgets", '[options.size]\ntype = "int"\ndefault = 3\n')

    result = cli(
        "new", "w", "-O", "widgets.size=4", "--source", source.root,
        "--no-input", "--json", "--dry-run", "-o", out,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    names = {bp["name"]: bp for bp in json.loads(result.stdout)["blueprints"]}
    assert names["widgets"]["options"] == {"size": 4}
    assert {bp.name for bp in load_catalog() if bp.manifest.default} <= set(names)


# --- scaffold new: --dry-run, --force ---------------------------------------------------------


def test_dry_run_lists_the_files_and_writes_nothing(cli, source, out) -> None:
    source.add("mine", files={"mine.txt": "x"})

    result = cli("new", "demo", "-b", "mine", "--source", source.root, "--dry-run", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert "Would write" in result.stdout
    assert "Dry run: nothing was written" in result.stdout
    for name in ("mine.txt", "main.py", "project.toml", "README.md"):
        assert name in result.stdout
    assert not out.exists()


def test_dry_run_json_lists_the_files_and_writes_nothing(cli, source, out) -> None:
    source.add("mine", files={"mine.txt": "x"})

    result = cli(
        "new", "demo", "-b", "mine", "--source", source.root, "--dry-run", "--json", "-o", out
    )

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert {"mine.txt", "demo/main.py", ".scaffold/project.toml"} <= set(report["files"])
    assert not out.exists()


def test_a_destination_with_files_is_refused_with_a_hint_about_force(cli, error_line, out) -> None:
    (out / "demo").mkdir(parents=True)
    (out / "demo" / "keep.txt").write_text("mine")

    result = cli("new", "demo", "-b", "base", "--no-input", "-o", out)

    assert result.exit_code == 2
    line = error_line(result)
    assert "not empty" in line
    assert "--force" in line
    assert _files_on_disk(out) == {"demo/keep.txt"}


def test_force_writes_into_a_folder_and_keeps_its_files(cli, out) -> None:
    (out / "demo").mkdir(parents=True)
    (out / "demo" / "keep.txt").write_text("mine")

    result = cli("new", "demo", "-b", "base", "--no-input", "--force", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert (out / "demo" / "keep.txt").read_text() == "mine"
    assert (out / "demo" / "demo" / "main.py").is_file()


def test_human_output_names_the_project_and_automatic_blueprints(cli, source, out) -> None:
    source.add("app", 'requires = ["gears"]\n')
    source.add("gears")

    result = cli("new", "demo", "-b", "app", "--source", source.root, "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert "Created" in result.stdout
    assert str(out / "demo") in result.stdout
    assert "added gears, which another chosen blueprint requires" in result.stdout
    assert "Next steps" in result.stdout


@pytest.mark.parametrize("with_uv", [True, False], ids=["uv on PATH", "no uv"])
def test_next_steps_use_uv_when_it_is_on_path(
    cli, source, out, tmp_path, monkeypatch, with_uv
) -> None:
    source.add("app")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if with_uv:
        real_uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
        assert Path(real_uv).is_file(), "the test extra installs uv beside python"
        (bin_dir / "uv").symlink_to(real_uv)
    monkeypatch.setenv("PATH", str(bin_dir))

    result = cli("new", "demo", "-b", "app", "--source", source.root, "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    steps = result.stdout.split("Next steps", 1)[1]
    if with_uv:
        assert "uv sync" in steps, steps
        assert "uv run fastapi dev" in steps, steps
        assert "uv run pytest" in steps, steps
        assert "pip install" not in steps, steps
    else:
        assert "pip install -e '.[dev]'" in steps, steps
        assert "uv " not in steps, steps


# --- the record -------------------------------------------------------------------------------


def test_the_record_file_describes_how_the_project_was_made(cli, source, out) -> None:
    source.add(
        "app",
        'requires = ["gears"]\n[options.label]\ntype = "str"\ndefault = "x"\n',
        version="2.1.0",
    )
    source.add("gears", version="0.3")

    result = cli(
        "new", "demo", "-b", "app", "-O", 'app.label=say "hi" \\ ünïcode',
        "--description", 'A "quoted" description', "--python", "3.12",
        "--source", source.root, "--no-input", "-o", out,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    record = tomllib.loads((out / "demo" / ".scaffold" / "project.toml").read_text())
    assert record["scaffold"] == {"format": 1, "version": scaffold.__version__}
    assert record["project"] == {
        "name": "demo",
        "description": 'A "quoted" description',
        "python": "3.12",
    }
    assert list(record["blueprints"]) == ["base", "gears", "app"]
    assert record["blueprints"]["base"]["source"] == "built-in"
    recorded_source = record["blueprints"]["app"]["source"]
    # A folder source is recorded relative to the project, so the record travels with a checkout.
    assert not Path(recorded_source).is_absolute()
    assert (out / "demo" / recorded_source).resolve() == source.root.resolve()
    assert record["blueprints"]["app"] == {
        "version": "2.1.0",
        "source": recorded_source,
        "automatic": False,
        "options": {"label": 'say "hi" \\ ünïcode'},
    }
    assert record["blueprints"]["gears"]["automatic"] is True
    assert record["blueprints"]["gears"]["version"] == "0.3"


# --- failures while generating ----------------------------------------------------------------


def test_ctrl_c_while_generating_exits_130_and_leaves_nothing(cli, monkeypatch, out) -> None:
    def interrupted(_tree, **_keep) -> None:
        raise KeyboardInterrupt

    # Formatting is the last step before the tree is staged and renamed into place.
    monkeypatch.setattr(importlib.import_module("scaffold.pipeline"), "format_tree", interrupted)

    result = cli("new", "demo", "-b", "base", "--no-input", "-o", out)

    assert result.exit_code == 130
    assert "interrupted; nothing was written" in result.stderr
    assert not (out / "demo").exists()
    assert not out.exists() or not any(p.name.startswith(STAGING_PREFIX) for p in out.iterdir())


def test_ctrl_c_after_the_project_is_written_says_it_was_written(cli, monkeypatch, out) -> None:
    pipeline = importlib.import_module("scaffold.pipeline")
    real_write = pipeline.write_project

    def written_then_interrupted(*args: object, **kwargs: object) -> object:
        real_write(*args, **kwargs)
        raise KeyboardInterrupt  # on the way back from the writer, before the report

    monkeypatch.setattr(pipeline, "write_project", written_then_interrupted)

    result = cli("new", "demo", "-b", "base", "--no-input", "-o", out)

    assert result.exit_code == 130
    assert f"interrupted; {out / 'demo'} was written" in result.stderr
    assert (out / "demo/pyproject.toml").is_file()
    # The next command in the same process starts with nothing written: a dry run writes none.
    again = cli("new", "other", "-b", "base", "--no-input", "-o", out, "--dry-run")
    assert again.exit_code == 130
    assert "interrupted; nothing was written" in again.stderr


def test_ctrl_c_while_ruff_formats_is_an_interrupt_not_a_disk_error(cli, monkeypatch, out) -> None:
    format_module = importlib.import_module("scaffold.format")
    real_run = format_module.run_to_end

    def ruff_interrupted(command: list[str], **kwargs: object) -> object:
        real_run(command, **kwargs)
        # The folder ruff worked in is removed after this; a file left in it must not turn the
        # interrupt into "cannot write the files to format".
        (kwargs["cwd"] / "late.txt").write_text("ruff was still writing")  # type: ignore[operator]
        raise KeyboardInterrupt

    monkeypatch.setattr(format_module, "run_to_end", ruff_interrupted)

    result = cli("new", "demo", "-b", "base", "--no-input", "-o", out)

    assert result.exit_code == 130
    assert "interrupted; nothing was written" in result.stderr
    assert not (out / "demo").exists()


def test_ctrl_c_that_a_library_turned_into_its_own_error_is_still_an_interrupt(
    cli, monkeypatch, out
) -> None:
    # pydantic-core, building a schema as Ctrl-C lands, raises SchemaError(".. KeyboardInterrupt")
    def schema_error(_tree, **_keep) -> None:
        msg = "Error building `literal` serializer: KeyboardInterrupt"
        raise RuntimeError(msg)

    monkeypatch.setattr(importlib.import_module("scaffold.pipeline"), "format_tree", schema_error)
    entry = importlib.import_module("scaffold.entry")
    monkeypatch.setattr(entry, "_RECEIVED", [signal.SIGINT])

    result = cli("new", "demo", "-b", "base", "--no-input", "-o", out)

    assert result.exit_code == 130
    assert "interrupted; nothing was written" in result.stderr
    assert not (out / "demo").exists()

    monkeypatch.setattr(entry, "_RECEIVED", [])  # no signal: the same error is a bug, shown
    with pytest.raises(RuntimeError, match="literal"):
        cli("new", "demo", "-b", "base", "--no-input", "-o", out)


def test_a_blueprint_that_ruff_cannot_format_exits_1_and_writes_nothing(
    cli, error_line, source, out
) -> None:
    source.add("broken", files={"broken.py": "def oops(:\n"})

    result = cli("new", "demo", "-b", "broken", "--source", source.root, "--no-input", "-o", out)

    assert result.exit_code == 1
    line = error_line(result)
    assert "bug in a blueprint" in line
    assert "broken.py" in line  # ruff's own complaint is quoted
    assert not (out / "demo").exists()
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("description", ['An "API"', "Ends in a backslash \\", 'x"""y'])
def test_any_one_line_description_gives_a_valid_project(cli, out, description) -> None:
    result = cli("new", "demo", "-b", "base", "--description", description, "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    init = (out / "demo/demo/__init__.py").read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(init)) == description
