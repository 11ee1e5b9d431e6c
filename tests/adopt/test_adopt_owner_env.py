"""An adopted project's own ``.env.example`` is merged by variable, not refused."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from scaffold.adopted_memory import KeyedFile, Memory, dump_memory, load_memory

if TYPE_CHECKING:
    from pathlib import Path

OWNER_ENV = "# The owner's database\nDATABASE_URL=postgres://localhost/app\n"


def test_the_owners_env_example_keeps_its_lines_and_gains_the_blueprints(
    bigger, cli, cli_json
) -> None:
    (bigger / ".env.example").write_text(OWNER_ENV)
    assert cli("adopt", "-C", bigger).exit_code == 0

    code, report = cli_json("add", "settings", "-C", bigger)

    assert code == 0, report
    text = (bigger / ".env.example").read_text()
    assert text.startswith(OWNER_ENV)
    assert "APP_DEBUG=false" in text
    assert text.count("DATABASE_URL=") == 1


@pytest.mark.parametrize(
    "owners",
    [
        OWNER_ENV.encode(),
        b"# The owner's database\nDATABASE_URL=postgres://localhost/app",  # no final newline
        b"# Copy to .env\r\n\r\nDATABASE_URL=postgres://localhost/app\r\n# the end\r\n\r\n",
    ],
)
def test_remove_gives_the_owners_env_example_back_byte_for_byte(
    bigger: Path, cli, owners: bytes
) -> None:
    env = bigger / ".env.example"
    env.write_bytes(owners)
    assert cli("adopt", "-C", bigger).exit_code == 0
    assert cli("add", "settings", "-C", bigger).exit_code == 0
    assert b"APP_DEBUG=false" in env.read_bytes()

    result = cli("remove", "settings", "-C", bigger)

    assert result.exit_code == 0, result.output
    assert env.read_bytes() == owners


def test_a_variable_of_scaffolds_the_owner_edited_stays_and_is_named(bigger: Path, cli) -> None:
    env = bigger / ".env.example"
    env.write_text(OWNER_ENV)
    assert cli("adopt", "-C", bigger).exit_code == 0
    assert cli("add", "settings", "-C", bigger).exit_code == 0
    env.write_text(env.read_text().replace("APP_DEBUG=false", "APP_DEBUG=true"))

    result = cli("remove", "settings", "-C", bigger)

    assert result.exit_code == 0, result.output
    text = env.read_text()
    assert text.startswith(OWNER_ENV)
    assert "APP_DEBUG=true\n" in text
    assert "APP_APP_NAME" not in text
    assert ".env.example: kept 'APP_DEBUG': you changed it" in " ".join(result.stdout.split())


def test_a_variable_the_owner_had_as_scaffold_writes_it_stays(bigger: Path, cli) -> None:
    # The owner's own line, exactly as the settings blueprint would write it.
    owners = OWNER_ENV + "\n# Debug mode: tracebacks in error responses; never in production\n"
    owners += "APP_DEBUG=false\n"
    env = bigger / ".env.example"
    env.write_text(owners)
    assert cli("adopt", "-C", bigger).exit_code == 0
    assert cli("add", "settings", "-C", bigger).exit_code == 0
    assert env.read_text().count("APP_DEBUG=") == 1

    assert cli("remove", "settings", "-C", bigger).exit_code == 0

    assert env.read_text() == owners


def test_variables_of_two_blueprints_go_in_turn(bigger: Path, cli) -> None:
    owners = b"# The owner's database\nDATABASE_URL=postgres://localhost/app"
    env, memory = bigger / ".env.example", bigger / ".scaffold/adopted.json"
    env.write_bytes(owners)
    assert cli("adopt", "-C", bigger).exit_code == 0
    assert cli("add", "settings", "-C", bigger).exit_code == 0
    with_settings = env.read_bytes()
    assert cli("add", "proxy", "-C", bigger).exit_code == 0
    assert b"APP_ROOT_PATH=" in env.read_bytes()
    recorded = json.loads(memory.read_text())["keyed_files"]
    assert recorded == [
        {
            "path": ".env.example",
            "keys": ["APP_APP_NAME", "APP_DEBUG", "APP_ROOT_PATH"],
            "newline": True,
        }
    ]

    assert cli("remove", "proxy", "-C", bigger).exit_code == 0
    assert env.read_bytes() == with_settings
    assert cli("remove", "settings", "-C", bigger).exit_code == 0

    assert env.read_bytes() == owners
    assert "keyed_files" not in json.loads(memory.read_text())


def test_the_owners_keyed_files_are_remembered_as_written() -> None:
    memory = Memory(keyed_files=(KeyedFile(".env.example", ("B", "A"), newline=True),))

    loaded = load_memory(dump_memory(memory))

    assert loaded.keyed_files == (KeyedFile(".env.example", ("A", "B"), newline=True),)
    assert b"keyed_files" not in dump_memory(Memory())  # older records keep their bytes
