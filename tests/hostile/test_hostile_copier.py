"""Hostile copier templates used as blueprints: copier runs them, scaffold bounds and checks it.

copier renders in a child process with a deadline and a memory cap; its own path checks refuse
names and links that leave the destination; what it writes lands in a private folder, and only
a complete, checked result reaches the project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


def _template(source, name: str, copier_yml: str, files: dict[str, str]) -> Path:
    folder = source.root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "copier.yml").write_text(copier_yml)
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def test_an_answer_that_climbs_out_is_refused(source, refused, tmp_path) -> None:
    _template(
        source, "evil", "name:\n  type: str\n  default: x\n", {"{{ name }}.txt.jinja": "hi\n"}
    )

    refusal = refused("evil", "forbidden", "-O", "evil.name=../../../escaped")

    assert not list(tmp_path.rglob("escaped.txt"))
    assert "copier failed" in refusal.line


def test_a_link_to_a_file_outside_is_refused(source, refused, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the owner's secret\n")
    folder = _template(source, "evil", "", {})
    (folder / "stolen.txt").symlink_to(secret)

    refused("evil", "stolen.txt")


def test_tasks_need_trust(source, tmp_path, cli, out) -> None:
    witness = tmp_path / "pwned"
    _template(source, "evil", f"_tasks:\n  - touch {witness}\n", {"a.txt": "a\n"})

    result = cli("new", "x", "--source", source.root, "-b", "evil", "--no-input", "-o", out)

    assert result.exit_code == 3
    assert "runs code (tasks)" in result.stderr
    assert not witness.exists()
    assert list(out.iterdir()) == []


def test_migrations_need_trust(source, cli, out) -> None:
    _template(source, "evil", "_migrations:\n  - version: v1\n    before: [echo]\n", {})

    result = cli("new", "x", "--source", source.root, "-b", "evil", "--no-input", "-o", out)

    assert result.exit_code == 3
    assert "runs code (migrations)" in result.stderr


@pytest.mark.timeout(60)
def test_an_endless_template_is_stopped_by_the_deadline(source, refused, monkeypatch) -> None:
    loop = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    _template(source, "evil", "", {"big.txt.jinja": loop})
    monkeypatch.setenv("SCAFFOLD_RENDER_TIMEOUT", "3")

    refused("evil", "did not finish within 3 s")


@pytest.mark.timeout(60)
def test_a_huge_expansion_hits_the_memory_cap(source, refused) -> None:
    _template(source, "evil", "", {"big.txt.jinja": "{{ 'a' * 10**10 }}"})

    refused("evil", "copier failed")


def test_copier_yml_yaml_tags_are_not_constructed(source, refused, tmp_path) -> None:
    witness = tmp_path / "pwned"
    _template(source, "evil", f"x: !!python/object/apply:os.system ['touch {witness}']\n", {})

    refused("evil", "cannot be read safely")

    assert not witness.exists()


@pytest.mark.parametrize(
    ("include", "fragment"),
    [
        ("../outside.yml", "climbs out of the template folder"),
        ("../*.yml", "climbs out of the template folder"),
        ("shared/../../outside.yml", "climbs out of the template folder"),
        ("/tmp/*.yml", "not a relative path inside the template"),
    ],
)
def test_an_include_leaving_the_template_is_refused(
    source, refused, tmp_path, include: str, fragment: str
) -> None:
    _template(source, "evil", f"name:\n  default: x\n---\n!include {include}\n", {})
    (source.root / "outside.yml").write_text("stolen:\n  default: x\n")  # beside the template

    refused("evil", fragment)


def test_an_include_through_a_link_leaving_the_template_is_refused(
    source, refused, tmp_path
) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text("stolen:\n  default: the owner's secret\n")
    folder = _template(source, "evil", "---\n!include shared/*.yml\n", {"shared/ok.yml": "a: 1\n"})
    (folder / "shared" / "z.yml").symlink_to(secret)

    refused("evil", "a link outside the template folder")


def test_an_include_cycle_is_refused(source, refused) -> None:
    _template(source, "evil", "!include loop/a.yml\n", {"loop/a.yml": "!include loop/*.yml\n"})

    refused("evil", "include cycle")


def test_yaml_tags_in_an_included_file_are_not_constructed(source, refused, tmp_path) -> None:
    witness = tmp_path / "pwned"
    tagged = f"x: !!python/object/apply:os.system ['touch {witness}']\n"
    _template(source, "evil", "!include more.yml\n", {"more.yml": tagged})

    refused("evil", "cannot be read safely")

    assert not witness.exists()
