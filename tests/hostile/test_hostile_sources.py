"""Hostile sources: two folders offering one blueprint name, and answers files with YAML tags.

A blueprint name offered by two sources (or by a source and scaffold itself) is an error naming
both, never a silent pick. The answers file is read with ``yaml.safe_load``: a tag that would
build a Python object or run a command is refused; the manifest is TOML, which has no tags.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


def test_two_sources_offering_the_same_blueprint_name_are_refused(cli, tmp_path, out) -> None:
    first = tmp_path / "first"
    second = tmp_path / "second"
    for root, text in ((first, "one"), (second, "two")):
        (root / "dup" / "files").mkdir(parents=True)
        (root / "dup" / "blueprint.toml").write_text(
            'name = "dup"\nsummary = "s"\nversion = "1.0.0"\n'
        )
        (root / "dup" / "files" / "who.txt").write_text(text)

    result = cli(
        "new", "x", "--source", first, "--source", second, "-b", "dup", "--no-input", "-o", out
    )

    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "'dup'" in lines[0]
    assert str(first) in lines[0]
    assert str(second) in lines[0]
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["base", "settings", "tests"])
def test_a_source_cannot_shadow_a_built_in_blueprint(source, refused, name) -> None:
    source.add(name, files={"README.md": "mine"})

    refusal = refused(name, "offered by both")

    assert "built-in" in refusal.line
    assert str(source.root) in refusal.line


TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
    "!!python/name:os.system",
    "!!python/object/new:type ['X', [], {{}}]",
    "!!python/module:os",
    "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
]


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("key", ["description", "blueprints", "options"])
def test_yaml_tags_in_an_answers_file_are_refused(source, refused, tmp_path, tag, key) -> None:
    marker = tmp_path / "pwned"
    source.add("fine", files={"x.txt": "x"})
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"{key}: {tag.format(marker=marker)}\n")

    refusal = refused(None, "answers file", "--answers", answers)

    assert "not valid YAML" in refusal.line
    assert not marker.exists()


def test_a_yaml_tag_nested_deep_in_options_is_refused(source, refused, tmp_path) -> None:
    marker = tmp_path / "pwned"
    source.add("fine", '[options.name]\ntype = "str"\ndefault = "x"\n', {"x.txt": "x"})
    answers = tmp_path / "answers.yml"
    answers.write_text(
        "blueprints: [fine]\noptions:\n  fine:\n    name:\n"
        f"      - !!python/object/apply:os.system ['touch {marker}']\n"
    )

    refused(None, "not valid YAML", "--answers", answers)

    assert not marker.exists()


def test_a_yaml_alias_bomb_is_refused_quickly(source, refused, tmp_path) -> None:
    # "billion laughs": 9**10 strings once expanded. safe_load keeps aliases as shared
    # references, so the document is small in memory; the value must be refused without ever
    # being expanded into text (the option wants a string)
    source.add("fine", '[options.name]\ntype = "str"\ndefault = "x"\n', {"x.txt": "x"})
    levels = ["  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "description: A bomb\nlaughs:\n" + "\n".join(levels) + "\n"
        "blueprints: [fine]\noptions:\n  fine:\n    name: *l9\n"
    )

    refused(None, "answers file", "--answers", answers)


def test_a_yaml_alias_bomb_in_an_option_is_refused_quickly(source, refused, tmp_path) -> None:
    source.add("fine", '[options.name]\ntype = "str"\ndefault = "x"\n', {"x.txt": "x"})
    levels = ["    - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"    - &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
    answers = tmp_path / "answers.yaml"
    answers.write_text("blueprints: [fine]\noptions:\n  fine:\n    name:\n" + "\n".join(levels))

    refusal = refused(None, "fine.name", "--answers", answers)

    assert len(refusal.line) < 500


def test_a_toml_answers_file_has_no_tags(source, refused, tmp_path) -> None:
    # TOML has no tags: the text is a plain string, refused as an unknown blueprint name
    marker = tmp_path / "pwned"
    source.add("fine", files={"x.txt": "x"})
    answers = tmp_path / "answers.toml"
    answers.write_text(f"blueprints = [\"!!python/object/apply:os.system ['touch {marker}']\"]\n")

    refused(None, "unknown blueprint", "--answers", answers)

    assert not marker.exists()


def test_a_manifest_is_toml_and_a_yaml_tag_in_it_is_only_text(source, cli, out) -> None:
    source.add(
        "fine",
        '[options.name]\ntype = "str"\ndefault = "!!python/object/apply:os.system [\'x\']"\n',
        {"x.txt.jinja": "{{ name }}"},
    )

    result = cli("new", "x", "--source", source.root, "-b", "fine", "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert (out / "x" / "x.txt").read_text() == "!!python/object/apply:os.system ['x']"


def test_a_manifest_that_is_not_toml_is_refused(source, refused) -> None:
    folder = source.add("evil")
    (folder / "blueprint.toml").write_text("!!python/object/apply:os.system ['true']\n")

    refused("evil", "not valid TOML")
