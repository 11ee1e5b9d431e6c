"""copier.yml in several documents and with ``!include``: read as copier reads it (issue #11).

The manifest scaffold builds (questions -> options, secrets, the trust gate) and copier's own
render must see one configuration: later documents win, four settings are joined, included
files count as documents. The containment side (includes leaving the template) is in
tests/hostile/test_hostile_copier.py.
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

import pytest

from scaffold.copier_config import read_copier_config

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

pytestmark = pytest.mark.timeout(120)

MAIN = """\
_exclude: [drafts]
greeting:
  type: str
  default: hello
---
!include shared/*.yml
---
_skip_if_exists: [local.txt]
_answers_file: .copier-answers.yml
---
!include questions/extra.yml
"""
SHARED = """\
greeting:
  type: str
  default: hi
_exclude: ["*.bak"]
---
port:
  type: int
  default: 8080
"""
EXTRA = """\
_secret_questions: [token]
token:
  type: str
  default: s3cr3t
---
!include questions/nested.yml
"""
NESTED = "region:\n  type: str\n  choices: [eu, us]\n  default: eu\n"
FILES = {
    "copier.yml": MAIN,
    "shared/common.yml": SHARED,
    "questions/extra.yml": EXTRA,
    "questions/nested.yml": NESTED,
    "out.txt.jinja": "{{ greeting }} {{ port }} {{ region }} {{ token }}\n",
    "drafts/x.txt": "left out\n",
    "keep.bak": "left out\n",
    "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
}


def _template(root: Path, name: str, files: dict[str, str]) -> Path:
    folder = root / name
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def test_documents_and_includes_merge_as_copier_merges_them(tmp_path: Path) -> None:
    from copier._template import load_template_config  # the loader copier renders with

    folder = _template(tmp_path, "multi", FILES)

    ours = read_copier_config(folder / "copier.yml")

    assert ours == load_template_config(folder / "copier.yml")
    assert list(ours) == list(load_template_config(folder / "copier.yml"))  # question order
    assert ours["greeting"]["default"] == "hi"  # a later document wins
    assert ours["_exclude"] == ["drafts", "*.bak"]  # joined in document order
    assert ours["region"]["choices"] == ["eu", "us"]  # an include inside an include


def test_new_renders_the_merged_questions_and_records_them(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    _template(tmp_path / "bp", "multi", FILES)

    made = cli(
        "new", "svc", "--source", tmp_path / "bp", "-b", "multi", "--no-input",
        "-o", tmp_path / "out", "-O", "multi.region=us",
    )  # fmt: skip

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    assert (project / "out.txt").read_text() == "hi 8080 us s3cr3t\n"
    assert not (project / "drafts").exists()  # _exclude from the first document
    assert not (project / "keep.bak").exists()  # ... and from an included one
    record = tomllib.loads((project / ".scaffold" / "project.toml").read_text())
    options = record["blueprints"]["multi"]["options"]
    assert options["region"] == "us"
    assert "token" not in options  # _secret_questions from an include: never recorded
    assert "s3cr3t" not in (project / ".scaffold" / "project.toml").read_text()


def test_an_included_option_is_offered_and_checked(
    cli: Callable[..., Result], error_line: Callable[[Result], str], tmp_path: Path
) -> None:
    _template(tmp_path / "bp", "multi", FILES)

    refused = cli(
        "new", "svc", "--source", tmp_path / "bp", "-b", "multi", "--no-input",
        "-o", tmp_path / "out", "-O", "multi.region=mars",
    )  # fmt: skip

    assert refused.exit_code == 2
    assert "region" in error_line(refused)
    assert not (tmp_path / "out" / "svc").exists()


def test_tasks_in_an_included_file_need_trust(cli: Callable[..., Result], tmp_path: Path) -> None:
    witness = tmp_path / "pwned"
    files = {
        "copier.yml": "name:\n  default: x\n---\n!include hooks.yml\n",
        "hooks.yml": f"_tasks:\n  - touch {witness}\n",
        "a.txt": "a\n",
    }
    _template(tmp_path / "bp", "hooked", files)
    out = tmp_path / "out"

    refused = cli(
        "new", "svc", "--source", tmp_path / "bp", "-b", "hooked", "--no-input", "-o", out
    )

    assert refused.exit_code == 3
    assert "runs code (tasks)" in refused.stderr
    assert not witness.exists()
    assert not (out / "svc").exists()
