"""Answers files (YAML and TOML) and -O flags: what they choose, and how they fail."""

from __future__ import annotations

import json
import tomllib

import pytest

from scaffold.answers import load_answers, merge_choices, parse_option_flag
from scaffold.errors import SpecError

WIDGETS = """
[options.size]
type = "int"
default = 3

[options.origins]
type = "list[str]"
default = []

[options.label]
type = "str"
default = "w"
"""


def _merge(answers, *, blueprints=(), options=(), description=None, python=None):
    return merge_choices(
        answers,
        blueprints=list(blueprints),
        option_flags=list(options),
        description=description,
        python=python,
    )


# --- -O BLUEPRINT.OPTION=VALUE ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("web.port=8000", ("web", "port", "8000")),  # the option's type reads it
        ("web.ratio=0.5", ("web", "ratio", "0.5")),
        ("web.python_version=3.10", ("web", "python_version", "3.10")),  # as copier's -d
        ("web.debug=true", ("web", "debug", "true")),
        ('web.origins=["https://a.io"]', ("web", "origins", ["https://a.io"])),
        ('web.extra={"a": 1}', ("web", "extra", {"a": 1})),
        ("web.name=hello world", ("web", "name", "hello world")),
        ("web.url=https://x.io/?a=b", ("web", "url", "https://x.io/?a=b")),
        ("web.list=a,b", ("web", "list", "a,b")),
        ("web.empty=", ("web", "empty", "")),
        ('web.quoted="007"', ("web", "quoted", "007")),
        (" web . port =1", ("web", "port", "1")),
    ],
)
def test_option_flag_values_are_json_lists_tables_strings_or_text(flag, expected) -> None:
    assert parse_option_flag(flag) == expected


@pytest.mark.parametrize("flag", ["web.port", "webport=1", ".port=1", "web.=1", "=1", ""])
def test_a_malformed_option_flag_is_a_spec_error(flag) -> None:
    with pytest.raises(SpecError, match=r"BLUEPRINT\.OPTION=VALUE"):
        parse_option_flag(flag)


# --- loading files ----------------------------------------------------------------------------


YAML_LIST = """
description: Widgets as a service
python: "3.12"
blueprints: [widgets]
options:
  widgets: {size: 5, origins: ["https://a.io"]}
"""
YAML_MAPPING = """
description: Widgets as a service
python: "3.12"
blueprints:
  widgets: {size: 5}
options:
  widgets: {origins: ["https://a.io"]}
"""
TOML_LIST = """
description = "Widgets as a service"
python = "3.12"
blueprints = ["widgets"]

[options.widgets]
size = 5
origins = ["https://a.io"]
"""
TOML_MAPPING = """
description = "Widgets as a service"
python = "3.12"

[blueprints.widgets]
size = 5
origins = ["https://a.io"]
"""
ANSWERS = {
    "answers.yaml": YAML_LIST,
    "answers.yml": YAML_MAPPING,
    "list.toml": TOML_LIST,
    "mapping.toml": TOML_MAPPING,
}
EXPECTED = {
    "blueprints": {"widgets": {"size": 5, "origins": ["https://a.io"]}},
    "description": "Widgets as a service",
    "python": "3.12",
}


@pytest.mark.parametrize(("filename", "text"), ANSWERS.items(), ids=list(ANSWERS))
def test_yaml_and_toml_answers_say_the_same_thing(tmp_path, filename, text) -> None:
    path = tmp_path / filename
    path.write_text(text)

    assert _merge(load_answers(path)) == EXPECTED


def test_an_empty_answers_file_chooses_nothing(tmp_path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("# nothing yet\n")

    assert _merge(load_answers(path)) == {"blueprints": {}}


def test_flags_win_over_the_file() -> None:
    answers = {
        "description": "From the file",
        "python": "3.12",
        "blueprints": {"widgets": {"size": 5, "label": "file"}},
    }

    raw = _merge(
        answers,
        blueprints=["other"],
        options=["widgets.size=9", "gadgets.mode=fast"],
        description="From a flag",
        python="3.13",
    )

    assert raw == {
        "blueprints": {
            "widgets": {"size": "9", "label": "file"},
            "other": {},
            "gadgets": {"mode": "fast"},
        },
        "description": "From a flag",
        "python": "3.13",
    }


@pytest.mark.parametrize(
    ("filename", "text", "fragment"),
    [
        ("a.yaml", "blueprints: [widgets\n", "not valid YAML"),
        ("a.yaml", "description: 'unclosed\n", "not valid YAML"),
        ("a.toml", "blueprints = [\n", "not valid TOML"),
        ("a.yaml", "- just\n- a list\n", "must hold a mapping"),
        ("a.yaml", "colour: red\n", "unknown key 'colour'"),
        ("a.toml", "blueprint = ['widgets']\n", "unknown key 'blueprint'"),
        ("a.yaml", "blueprints: widgets\n", "list of names or a mapping"),
        ("a.yaml", "blueprints: [1, 2]\n", "list of names or a mapping"),
        ("a.yaml", "blueprints: {widgets: 5}\n", "options for 'widgets'"),
        ("a.yaml", "blueprints: {widgets: [a, b]}\n", "options for 'widgets'"),
        ("a.yaml", "options: [widgets]\n", "'options' in the answers file"),
        ("a.yaml", "options: {widgets: 5}\n", "options for 'widgets'"),
        ("a.yaml", "!!python/object/apply:os.system ['true']\n", "not valid YAML"),
    ],
)
def test_a_bad_answers_file_is_a_one_line_spec_error(tmp_path, filename, text, fragment) -> None:
    path = tmp_path / filename
    path.write_text(text)

    with pytest.raises(SpecError) as caught:
        _merge(load_answers(path))

    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_answers_file_is_a_spec_error(tmp_path) -> None:
    with pytest.raises(SpecError, match="cannot read the answers file"):
        load_answers(tmp_path / "nope.yaml")


# --- through the command line -----------------------------------------------------------------


def _record(out, name):
    return tomllib.loads((out / name / ".scaffold" / "project.toml").read_text())


@pytest.mark.parametrize(("filename", "text"), ANSWERS.items(), ids=list(ANSWERS))
def test_cli_generates_from_an_answers_file(cli, source, out, filename, text) -> None:
    source.add("widgets", WIDGETS, {"widgets.txt.jinja": "{{ size }} {{ origins | join(',') }}"})
    answers = source.root.parent / filename
    answers.write_text(text)

    result = cli("new", "w", "--answers", answers, "--source", source.root, "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    record = _record(out, "w")
    assert record["project"]["description"] == "Widgets as a service"
    assert record["project"]["python"] == "3.12"
    assert record["blueprints"]["widgets"]["options"]["size"] == 5
    assert (out / "w" / "widgets.txt").read_text() == "5 https://a.io"


def test_cli_flags_override_the_answers_file(cli, source, out) -> None:
    source.add("widgets", WIDGETS)
    answers = source.root.parent / "answers.yaml"
    answers.write_text(YAML_LIST)

    result = cli(
        "new", "w", "--answers", answers, "--source", source.root, "--no-input", "-o", out,
        "--description", "From a flag", "--python", "3.13",
        "-O", "widgets.size=7", "-O", "widgets.origins=https://b.io,https://c.io",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    record = _record(out, "w")
    assert record["project"]["description"] == "From a flag"
    assert record["project"]["python"] == "3.13"
    assert record["blueprints"]["widgets"]["options"] == {
        "size": 7,
        "origins": ["https://b.io", "https://c.io"],
        "label": "w",
    }


@pytest.mark.parametrize(
    "case",
    [
        ("blueprints: [widgets\n", "not valid YAML"),
        ("colour: red\n", "unknown key 'colour'"),
        ("blueprints: {widgets: 5}\n", "options for 'widgets'"),
        ("description: [a, b]\n", "description"),
        ("description:\n", "description"),
        ("python: [3]\n", "python"),
        ("python: 3.9\n", "python"),
        ("options: {widgets: {size: many}}\n", "widgets.size"),
        ("options: {widgets: {colour: red}}\n", "has no option 'colour'"),
    ],
)
def test_cli_refuses_a_bad_answers_file(cli, error_line, source, out, case) -> None:
    text, fragment = case
    source.add("widgets", WIDGETS)
    answers = source.root.parent / "answers.yaml"
    answers.write_text(text)

    result = cli(
        "new", "w", "-b", "widgets", "--answers", answers, "--source", source.root,
        "--no-input", "-o", out,
    )  # fmt: skip

    assert result.exit_code == 2
    assert fragment in error_line(result)
    assert not out.exists()


def test_cli_refuses_a_malformed_option_flag(cli, error_line, out) -> None:
    result = cli("new", "w", "-O", "widgets.size", "--no-input", "-o", out)

    assert result.exit_code == 2
    assert "BLUEPRINT.OPTION=VALUE" in error_line(result)
    assert not out.exists()


def test_cli_json_reports_options_from_flags(cli, source, out) -> None:
    source.add("widgets", WIDGETS)

    result = cli(
        "new", "w", "-O", "widgets.size=11", "-O", 'widgets.origins=["https://a.io"]',
        "-O", "widgets.label=hello there", "-b", "widgets", "--source", source.root,
        "--no-input", "--json", "--dry-run", "-o", out,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    widgets = next(bp for bp in report["blueprints"] if bp["name"] == "widgets")
    assert widgets["options"] == {"size": 11, "origins": ["https://a.io"], "label": "hello there"}
