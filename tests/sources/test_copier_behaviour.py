"""A copier template used as a blueprint behaves as it does in copier: small templates, one each.

Answers keep their types, copier renders the defaults that are templates, what it computed is
recorded but never a secret, its files are written as it writes them (no ruff, modes, links),
and its lifecycle settings (messages, tasks, _skip_if_exists) hold.
"""

from __future__ import annotations

import json
import os
import tomllib
import zipfile
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

pytestmark = pytest.mark.timeout(120)

TYPED = """
_envops:
  variable_start_string: "[["
  variable_end_string: "]]"
  block_start_string: "[%"
  block_end_string: "%]"
project_name:
  type: str
python_version:
  type: str
  default: "3.11"
settings:
  type: yaml
  default: "{debug: false}"
limits:
  type: json
  default: '{"rps": 1}'
features:
  type: str
  multiselect: true
  choices: [auth, cache, queue]
  default: [auth]
docker:
  type: bool
  choices:
    "Yes please": true
    "No thanks": false
  default: false
slug:
  type: str
  default: "[% if project_name %][[ project_name | upper ]][% endif %]"
password:
  type: str
  secret: true
  default: hunter2
"""
TYPED_FILES = {
    "out.txt.jinja": (
        "py=[[ python_version ]] debug=[[ settings.debug ]] rps=[[ limits.rps ]] "
        "features=[[ features | join(',') ]] docker=[[ docker ]] slug=[[ slug ]] "
        "pw=[[ password ]] dst=[[ _copier_conf.dst_path.name ]]\n"
    ),
    "[[ _copier_conf.answers_file ]].jinja": "[[ _copier_answers | to_nice_yaml ]]",
}


def _template(root: Path, name: str, copier_yml: str, files: dict[str, str]) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "copier.yml").write_text(copier_yml)
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def _new(cli: Callable[..., Result], root: Path, out: Path, name: str, *extra: str) -> Result:
    return cli("new", "svc", "--source", root, "-b", name, "--no-input", "-o", out, *extra)


def _record(project: Path) -> dict[str, object]:
    return tomllib.loads((project / ".scaffold" / "project.toml").read_text())


def test_answers_keep_their_types_and_copier_renders_templated_defaults(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    _template(tmp_path / "bp", "typed", TYPED, TYPED_FILES)

    made = _new(
        cli, tmp_path / "bp", tmp_path / "out", "typed",
        "-O", "typed.python_version=3.10", "-O", "typed.settings={debug: true}",
        "-O", "typed.features=auth,queue", "-O", "typed.docker=true",
    )  # fmt: skip

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    assert (project / "out.txt").read_text() == (
        "py=3.10 debug=True rps=1 features=auth,queue docker=True slug=SVC pw=hunter2 dst=svc\n"
    )
    options = _record(project)["blueprints"]["typed"]["options"]
    assert options["python_version"] == "3.10"
    assert options["settings"] == {"debug": True}
    assert options["features"] == ["auth", "queue"]
    assert options["docker"] is True
    assert options["slug"] == "SVC"  # computed by copier, recorded as its answers file does
    assert options["project_name"] == "svc"  # a question without a default: the project's name


def test_a_secret_answer_is_never_in_the_record(cli: Callable[..., Result], tmp_path: Path) -> None:
    files = {
        **TYPED_FILES,
        "out.txt.jinja": "no secret here\n",
        ".gitignore": "local.secrets\n",
        "local.secrets.jinja": "PASSWORD=[[ password ]]\n",
    }
    _template(tmp_path / "bp", "typed", TYPED, files)

    made = _new(cli, tmp_path / "bp", tmp_path / "out", "typed", "-O", "typed.password=s3cr3t")

    assert made.exit_code == 0, made.output
    record = tmp_path / "out" / "svc" / ".scaffold"
    assert b"s3cr3t" not in (record / "project.toml").read_bytes()
    with zipfile.ZipFile(record / "base.zip") as archive:
        stored = b"".join(archive.read(name) for name in archive.namelist())
    assert b"s3cr3t" not in stored  # the file holding it is one the template's .gitignore names
    assert "s3cr3t" in (tmp_path / "out" / "svc" / "local.secrets").read_text()


def test_a_template_default_is_not_overridden_by_the_project_name(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    yml = "project_name:\n  type: str\n  default: Shop Front\n"
    _template(tmp_path / "bp", "named", yml, {"name.txt.jinja": "{{ project_name }}\n"})

    made = _new(cli, tmp_path / "bp", tmp_path / "out", "named")

    assert made.exit_code == 0, made.output
    assert (tmp_path / "out" / "svc" / "name.txt").read_text() == "Shop Front\n"


def test_a_failed_validator_blames_the_answer(
    cli: Callable[..., Result], error_line: Callable[[Result], str], tmp_path: Path
) -> None:
    yml = (
        "port:\n  type: int\n  default: 80\n"
        '  validator: "{% if port < 1024 %}use a port above 1024{% endif %}"\n'
    )
    _template(tmp_path / "bp", "ported", yml, {"port.txt.jinja": "{{ port }}\n"})

    refused = _new(cli, tmp_path / "bp", tmp_path / "out", "ported", "-O", "ported.port=22")

    assert refused.exit_code != 0
    line = error_line(refused)
    assert "ported.port: use a port above 1024" in line
    assert "-O ported.port=" in line
    assert not (tmp_path / "out" / "svc").exists()


def test_template_files_are_written_as_copier_writes_them(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    unformatted = "import sys\nimport os  # noqa: F401\nx=1\n"
    yml = "_preserve_symlinks: true\n"
    folder = _template(tmp_path / "bp", "raw", yml, {"tool/run.py": unformatted, "notes.md": "x\n"})
    (folder / "tool" / "run.py").chmod(0o755)
    (folder / "tool" / "latest").symlink_to("run.py")

    made = _new(cli, tmp_path / "bp", tmp_path / "out", "raw")

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    assert (project / "tool" / "run.py").read_text() == unformatted  # no ruff over it
    assert os.access(project / "tool" / "run.py", os.X_OK)
    assert (project / "tool" / "latest").readlink().as_posix() == "run.py"


def test_a_link_leaving_the_project_is_refused(
    cli: Callable[..., Result], error_line: Callable[[Result], str], tmp_path: Path
) -> None:
    folder = _template(tmp_path / "bp", "leaky", "_preserve_symlinks: true\n", {"a.txt": "a\n"})
    (folder / "out").symlink_to("../../../etc/passwd")

    refused = _new(cli, tmp_path / "bp", tmp_path / "out", "leaky")

    assert refused.exit_code != 0
    assert "outside the project" in error_line(refused)


def test_links_that_stay_inside_the_project_are_kept_as_links(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    files = {"tool/run.py": "print()\n", "docs/guide.md": "x\n"}
    folder = _template(tmp_path / "bp", "linked", "_preserve_symlinks: true\n", files)
    (folder / "docs" / "run.py").symlink_to("../tool/run.py")  # a sibling folder's file
    (folder / "manual").symlink_to("docs")  # a folder
    (folder / "tool" / "deep").mkdir()
    (folder / "tool" / "deep" / "up").symlink_to("../../docs/guide.md")

    made = _new(cli, tmp_path / "bp", tmp_path / "out", "linked")

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    assert (project / "docs" / "run.py").readlink().as_posix() == "../tool/run.py"
    assert (project / "manual").readlink().as_posix() == "docs"
    assert (project / "manual" / "guide.md").read_text() == "x\n"
    assert (project / "tool" / "deep" / "up").read_text() == "x\n"
    checked = cli("check", "-C", project, "--source", tmp_path / "bp")  # reads the links back
    assert checked.exit_code == 0, checked.output
    added = cli("add", "settings", "-C", project, "--source", tmp_path / "bp")
    assert added.exit_code == 0, added.output
    assert (project / "manual").readlink().as_posix() == "docs"


@pytest.mark.parametrize(
    ("link", "target"),
    [("docs/out", "../../outside.txt"), ("abs", "/etc/hostname"), ("docs/dir", "../..")],
)
def test_a_link_leaving_the_project_from_any_folder_is_refused(
    cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    tmp_path: Path,
    link: str,
    target: str,
) -> None:
    files = {"docs/a.txt": "a\n"}
    folder = _template(tmp_path / "bp", "leaky", "_preserve_symlinks: true\n", files)
    (tmp_path / "bp" / "outside.txt").write_text("not the project's\n")
    (folder / link).symlink_to(target)

    refused = _new(cli, tmp_path / "bp", tmp_path / "out", "leaky")

    assert refused.exit_code == 2
    assert "outside the project" in error_line(refused)
    assert not (tmp_path / "out" / "svc").exists()


def test_shared_files_merge_with_base_by_line_and_key(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    pyproject = '[project]\nname = "svc"\nversion = "9.9.9"\ndependencies = ["rich>=13"]\n'
    files = {".gitignore": "*.log\n.venv/\n", "pyproject.toml": pyproject}
    _template(tmp_path / "bp", "whole", "", files)

    made = _new(cli, tmp_path / "bp", tmp_path / "out", "whole")

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    ignored = (project / ".gitignore").read_text().splitlines()
    assert ignored[:2] == ["*.log", ".venv/"]  # the template's first, as it wrote them
    assert ignored.count(".venv/") == 1
    data = tomllib.loads((project / "pyproject.toml").read_text())
    assert data["project"]["version"] == "9.9.9"  # the template's value stays
    assert data["project"]["dependencies"][0] == "rich>=13"
    assert any(d.startswith("fastapi") for d in data["project"]["dependencies"])


def test_a_template_copier_refuses_is_named_with_copiers_reason(
    cli: Callable[..., Result], tmp_path: Path, error_line: Callable[[Result], str]
) -> None:
    # copier 9 refuses a secret question without a default; its error's first line only says
    # "1 validation error for Question".
    _template(tmp_path / "bp", "vault", "token:\n  type: str\n  secret: true\n", {"a.txt": "a\n"})

    result = _new(cli, tmp_path / "bp", tmp_path / "out", "vault")

    assert result.exit_code == 2
    assert "Secret question requires a default value" in error_line(result)
    assert not (tmp_path / "out").exists()


def test_dst_path_is_the_destination_as_the_user_gave_it(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `cd {{ _copier_conf.dst_path }}` in a template's script or message: copier copy TEMPLATE
    # svc renders `cd svc`, never scaffold's private folder.
    _template(tmp_path / "bp", "where", "", {"where.txt.jinja": "cd {{ _copier_conf.dst_path }}\n"})
    monkeypatch.chdir(tmp_path)

    made = cli("new", "svc", "--source", tmp_path / "bp", "-b", "where", "--no-input")
    nested = cli("new", "api", "--source", tmp_path / "bp", "-b", "where", "--no-input",
                 "-o", "out")  # fmt: skip

    assert made.exit_code == 0, made.output
    assert (tmp_path / "svc" / "where.txt").read_text() == "cd svc\n"
    assert nested.exit_code == 0, nested.output
    assert (tmp_path / "out" / "api" / "where.txt").read_text() == "cd out/api\n"


def test_a_command_that_refuses_shows_no_message_of_the_template(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    # new --from renders the template first; a template it then refuses (its app is a flat
    # main.py) must not have told the user to cd into a project that was never written.
    _template(
        tmp_path / "bp",
        "flat",
        "_message_after_copy: DONE, now cd into it\n",
        {"main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"},
    )

    refused = cli("new", "svc", "--from", tmp_path / "bp" / "flat", "--no-input",
                  "-o", tmp_path / "out")  # fmt: skip

    assert refused.exit_code != 0
    assert "DONE" not in refused.stderr
    made = _new(cli, tmp_path / "bp", tmp_path / "out", "flat")
    assert made.exit_code == 0, made.output
    assert "DONE, now cd into it" in made.stderr


def test_messages_are_shown_and_a_dry_run_runs_no_task(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    witness = tmp_path / "task-ran"
    yml = (
        f"_tasks:\n  - touch {witness}\n"
        "_message_before_copy: Hello {{ project_name }}\n_message_after_copy: Done\n"
    )
    _template(tmp_path / "bp", "chatty", yml, {"a.txt": "a\n"})

    dry = _new(cli, tmp_path / "bp", tmp_path / "out", "chatty", "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert not witness.exists()  # no --trust needed either: no code of the template ran
    made = _new(cli, tmp_path / "bp", tmp_path / "out", "chatty", "--trust")
    assert made.exit_code == 0, made.output
    assert witness.exists()
    assert "Hello svc" in made.stderr
    assert "Done" in made.stderr


@pytest.fixture
def released(
    cli: Callable[..., Result],
    make_repo: Callable[[str], object],
    commit: Callable[[Path, str], None],
    run_git: Callable[..., str],
    tmp_path: Path,
) -> Callable[..., tuple[Path, Result]]:
    """A template released as v1.0.0 then v1.1.0, and a committed project made from v1.0.0.

    ``released(name, first, then)``: the files of each tag (``then`` changes ``first``).
    """

    def make(name: str, first: dict[str, str], then: dict[str, str]) -> tuple[Path, Result]:
        repo: Any = make_repo(name)
        for tag, files in (("v1.0.0", first), ("v1.1.0", then)):
            for relative, text in files.items():
                repo.write(relative, text)
            repo.release(tag)
        made = cli("new", "svc", "-b", name, "--source", f"git+{repo.path}@v1.0.0",
                   "--no-input", "-o", tmp_path)  # fmt: skip
        assert made.exit_code == 0, made.output
        project = tmp_path / "svc"
        run_git("init", "-q", "-b", "main", cwd=project)
        commit(project, "generated")
        return project, made

    return make


def test_update_shows_the_update_messages_as_copier_does(
    cli: Callable[..., Result], released: Callable[..., tuple[Path, Result]]
) -> None:
    messages = (
        "_message_before_copy: COPY-BEFORE {{ project_name }}\n"
        "_message_after_copy: COPY-AFTER\n"
        "_message_before_update: UPDATE-BEFORE {{ project_name }}\n"
        "_message_after_update: UPDATE-AFTER\n"
    )
    project, made = released(
        "talker", {"copier.yml": messages, "a.txt": "one\n"}, {"a.txt": "two\n"}
    )
    assert "COPY-BEFORE svc" in made.stderr
    assert "UPDATE" not in made.stderr

    updated = cli("update", "-C", project)

    assert updated.exit_code == 0, updated.output
    assert "UPDATE-BEFORE svc" in updated.stderr
    assert "UPDATE-AFTER" in updated.stderr
    assert "COPY-" not in updated.stderr
    assert (project / "a.txt").read_text() == "two\n"


def test_computed_answers_are_recorded_without_an_answers_file_and_kept_on_update(
    cli: Callable[..., Result], released: Callable[..., tuple[Path, Result]]
) -> None:
    # A default computed when the project is made (a year, a git identity, here a random
    # number) must not change on update, though the template keeps no answers file.
    question = "stamp:\n  type: int\n  default: '{{ range(99999) | random }}'\n"
    project, _ = released(
        "stamped",
        {"copier.yml": question, "NOTICE.jinja": "stamp {{ stamp }}\n"},
        {"more.txt": "more\n"},
    )
    notice = (project / "NOTICE").read_text()
    stamp = _record(project)["blueprints"]["stamped"]["options"]["stamp"]  # type: ignore[index]
    assert notice == f"stamp {stamp}\n"

    updated = cli("update", "-C", project)

    assert updated.exit_code == 0, updated.output
    assert (project / "more.txt").read_text() == "more\n"
    assert (project / "NOTICE").read_text() == notice


def test_json_reports_the_computed_answers_as_recorded(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    question = "stamp:\n  type: int\n  default: '{{ 6 * 7 }}'\n"
    _template(tmp_path / "bp", "computed", question, {"a.txt.jinja": "{{ stamp }}\n"})

    for extra in (("--dry-run",), ()):
        made = _new(cli, tmp_path / "bp", tmp_path / "out", "computed", "--json", *extra)

        assert made.exit_code == 0, made.output
        (reported,) = [b for b in json.loads(made.stdout)["blueprints"] if b["name"] == "computed"]
        assert reported["options"] == {"stamp": 42}
    assert _record(tmp_path / "out" / "svc")["blueprints"]["computed"]["options"] == {"stamp": 42}  # type: ignore[index]


def test_skip_if_exists_files_are_left_alone_on_update(
    cli: Callable[..., Result], released: Callable[..., tuple[Path, Result]]
) -> None:
    project, _ = released(
        "changelog",
        {"copier.yml": "_skip_if_exists: [CHANGELOG.md]\n", "CHANGELOG.md": "# Changelog\n"},
        {"CHANGELOG.md": "# Changes\n\nrewritten by the template\n"},
    )

    updated = cli("update", "-C", project)

    assert updated.exit_code == 0, updated.output
    assert (project / "CHANGELOG.md").read_text() == "# Changelog\n"
    assert _record(project)["blueprints"]["changelog"]["ref"] == "v1.1.0"


def test_an_update_run_inside_the_project_changes_nothing_when_nothing_changed(
    cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record's folder source is relative to the project; read from ``-C .`` it was taken
    relative to the shell's folder, and copier's answers file got another ``_src_path``."""
    answers = {"{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers|to_nice_yaml }}"}
    _template(tmp_path / "bp", "plain", "", {"notes.txt": "hello\n", **answers})
    made = _new(cli, tmp_path / "bp", tmp_path / "out", "plain")
    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    monkeypatch.chdir(project)

    updated = cli("update", "--allow-dirty")

    assert updated.exit_code == 0, updated.output
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_an_answer_the_new_version_refuses_is_named_with_the_update_flag_that_sets_it(
    cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    make_repo: Callable[[str], object],
    commit: Callable[[Path, str], None],
    run_git: Callable[..., str],
    tmp_path: Path,
) -> None:
    """A bool question that became a str with choices: the recorded ``false`` no longer fits."""
    repo = make_repo("opt")
    repo.write("copier.yml", "flag:\n  type: bool\n  default: false\n")  # type: ignore[attr-defined]
    repo.write("opt.txt.jinja", "flag={{ flag }}\n")  # type: ignore[attr-defined]
    repo.release("v1.0.0")  # type: ignore[attr-defined]
    repo.write("copier.yml", "flag:\n  type: str\n  choices: [one, two]\n  default: one\n")  # type: ignore[attr-defined]
    repo.release("v2.0.0")  # type: ignore[attr-defined]
    made = cli("new", "svc", "-b", "opt", "--source", f"git+{repo.path}@v1.0.0",  # type: ignore[attr-defined]
               "--no-input", "-o", tmp_path)  # fmt: skip
    assert made.exit_code == 0, made.output
    project = tmp_path / "svc"
    run_git("init", "-q", "-b", "main", cwd=project)
    commit(project, "generated")

    refused = cli("update", "-C", project)

    assert refused.exit_code == 2, refused.output
    line = error_line(refused)
    assert line.startswith("error: opt.flag: Input should be 'one' or 'two'"), line
    assert line.endswith("(give it a value that fits: scaffold update -O opt.flag=VALUE)"), line

    updated = cli("update", "-O", "opt.flag=two", "-C", project)

    assert updated.exit_code == 0, updated.output
    assert (project / "opt.txt").read_text() == "flag=two\n"
