"""Hostile input on the command line and in answers files, and blueprint names Windows refuses.

``-O`` values and answers files are read with bounds: deep nesting, integers of thousands of
digits and bytes that are not UTF-8 are one line and exit 2. Options are typed strictly enough
to matter: a bool is not a number, and an origin is an ``http(s)://`` origin, never ``null``.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)

DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "9" * 5000


def _new(cli, out, *args: object):
    return cli("new", "x", "-b", "middleware", "-b", "websockets", "--no-input", "-o", out, *args)


@pytest.mark.parametrize(
    ("option", "fragment"),
    [
        (f"middleware.cors_origins={DEEP}", "nested too deeply"),
        # As with copier's -d, a scalar stays text until the option's type reads it, so these
        # are refused by the option's type: a number too long, text that is no number or origin.
        (f"middleware.gzip_minimum_size={HUGE}", "maximum size"),
        ("middleware.gzip_minimum_size=true", "valid integer"),
        ("middleware.cors_origins=null", "pattern"),
        ('middleware.cors_origins=["null"]', "pattern"),
        ('middleware.cors_origins=["file:///etc"]', "pattern"),
        ('middleware.cors_origins=["https://a.example/path"]', "pattern"),
        ('websockets.allowed_origins=["null"]', "pattern"),
        ('websockets.allowed_origins=["javascript:alert(1)"]', "pattern"),
        ('websockets.allowed_origins=["*"]', "pattern"),
    ],
)
def test_a_hostile_option_value_is_one_line_and_exit_2(
    cli, error_line, out, option, fragment
) -> None:
    result = _new(cli, out, "-O", option)

    assert result.exit_code == 2, result.output
    assert fragment in error_line(result)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "origins", ['["https://app.example.com"]', '["http://localhost:3000", "https://a.b:8443"]']
)
def test_real_origins_are_still_accepted(cli, out, origins) -> None:
    result = _new(cli, out, "-O", f"websockets.allowed_origins={origins}", "--dry-run")

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("a.yaml", b"blueprints: [\xff]\n", "not UTF-8"),
        ("a.toml", b'description = "caf\xe9"\n', "not UTF-8"),
        ("deep.yaml", f"options: {DEEP}\n".encode(), "nested too deeply"),
        ("deep.toml", f"options = {DEEP}\n".encode(), "nested too deeply"),
        ("huge.yaml", f"python: {HUGE}\n".encode(), "digits"),
        ("huge.toml", f"python = {HUGE}\n".encode(), "digits"),
        ("bool.yaml", b"options: {middleware: {gzip_minimum_size: true}}\n", "not true or false"),
        ("null.yaml", b"options: {websockets: {allowed_origins: ['null']}}\n", "pattern"),
    ],
)
def test_a_hostile_answers_file_is_one_line_and_exit_2(
    cli, error_line, tmp_path, out, name, content, fragment
) -> None:
    answers = tmp_path / name
    answers.write_bytes(content)

    result = _new(cli, out, "--answers", answers)

    assert result.exit_code == 2, result.output
    assert fragment in error_line(result)
    assert list(out.iterdir()) == []


def test_an_answers_file_that_is_a_fifo_is_not_read(cli, error_line, tmp_path, out) -> None:
    import os

    answers = tmp_path / "answers.yaml"
    os.mkfifo(answers)

    result = _new(cli, out, "--answers", answers)

    assert result.exit_code == 2, result.output
    assert "not a regular file" in error_line(result)


@pytest.mark.parametrize(
    ("file_name", "fragment"),
    [
        ("CON.py", "reserved device name"),
        ("nul", "reserved device name"),
        ("aux.txt", "reserved device name"),
        ("sub/com1.json", "reserved device name"),
        ("LPT9", "reserved device name"),
        ("x.", "ends in a dot"),
        ("notes ", "ends in a dot or a space"),
        ("{{ 'Nul' }}.md", "reserved device name"),
    ],
)
def test_a_blueprint_file_windows_cannot_check_out_is_refused(
    source, refused, file_name, fragment
) -> None:
    source.add("evil", files={file_name: "x"})

    refusal = refused("evil", fragment)

    assert "windows" in refusal.line.lower()
