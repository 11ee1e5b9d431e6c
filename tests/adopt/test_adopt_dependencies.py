"""Requirements added to the owner's pyproject.toml or requirements.txt, by the smallest edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from scaffold.adopted_edits import _with_settings
from scaffold.dependency_edit import (
    add_requirements,
    append_lines,
    remove_lines,
    requirement_name,
)

if TYPE_CHECKING:
    from collections.abc import Callable

WANTED = ["websockets>=12", "jinja2>=3.1"]


def files(**content: str) -> Callable[[str], bytes | None]:
    """A project reader: ``pyproject_toml="..."`` is the file pyproject.toml."""
    by_path = {name.replace("_", "."): text.encode() for name, text in content.items()}
    return by_path.get


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (
            'dependencies = ["fastapi"]',
            'dependencies = ["fastapi", "websockets>=12", "jinja2>=3.1"]',
        ),
        ("dependencies = []", 'dependencies = ["websockets>=12", "jinja2>=3.1"]'),
        (
            'dependencies = [\n  "fastapi",  # the web framework\n  "Jinja2==3.0"\n]',
            # the owner's last item had no trailing comma, nor has the new last one
            'dependencies = [\n  "fastapi",  # the web framework\n  "Jinja2==3.0",\n'
            '  "websockets>=12"\n]',
        ),
    ],
)
def test_pyproject_arrays_keep_their_layout(before: str, after: str) -> None:
    head = '[project]\nname = "svc"\n'
    tail = '\n\n[tool.other]\ndependencies = ["not-this"]\n'

    edit = add_requirements(files(pyproject_toml=head + before + tail), WANTED)

    assert edit.path == "pyproject.toml"
    assert edit.content == (head + after + tail).encode()


def test_present_requirements_are_not_added_again() -> None:
    text = '[project]\nname = "svc"\ndependencies = ["WebSockets==11", "jinja2"]\n'

    edit = add_requirements(files(pyproject_toml=text), WANTED)

    assert edit.content == text.encode()
    assert edit.added == []


def test_poetry_projects_fall_back_to_requirements_txt() -> None:
    edit = add_requirements(
        files(pyproject_toml='[tool.poetry]\nname = "svc"\n', requirements_txt="fastapi"),
        WANTED,
    )

    assert edit.path == "requirements.txt"
    # the owner's file had no final newline, and it still has none
    assert edit.content == b"fastapi\nwebsockets>=12\njinja2>=3.1"


def test_without_either_file_the_owner_gets_a_note() -> None:
    edit = add_requirements(files(), WANTED)

    assert edit.path is None
    assert edit.notes == [
        "no [project].dependencies in pyproject.toml and no requirements.txt: add these "
        "requirements yourself: websockets>=12, jinja2>=3.1"
    ]


def test_requirement_names_are_normalised() -> None:
    assert requirement_name("Pydantic_Settings[dotenv]>=2") == "pydantic-settings"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("settings.allowed_hosts", ("get_settings().allowed_hosts", True)),
        ('["GET", "POST"]', ('["GET", "POST"]', False)),
        ("other.settings", ("other.settings", False)),
        ('f("é", settings.a)', ('f("é", get_settings().a)', True)),
    ],
)
def test_settings_in_expressions_read_get_settings(expression: str, expected) -> None:
    assert _with_settings(expression) == expected


@pytest.mark.parametrize(
    "owners",
    [
        b"",
        b"fastapi",
        b"fastapi\n",
        b"# caf\xe9, not UTF-8\r\nfastapi\r\n",  # Latin-1 bytes are not re-encoded
        b"fastapi\r\n# last, no newline",
    ],
)
def test_appended_lines_come_out_byte_for_byte(owners: bytes) -> None:
    added = append_lines("requirements.txt", owners, WANTED).content
    assert added is not None
    assert added.count(b"websockets>=12") == 1

    assert remove_lines(added, WANTED) == owners
