"""A hostile record: ``.scaffold/`` is the project's, so a pull request can write anything there.

Every recorded path is contained as a rendered path is, damage is one line and exit 2 (never a
traceback), and what is read is bounded: regular files only, with a size cap, and a base
archive that cannot expand without limit. Nothing outside the project is read or written.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

RECORD = ".scaffold/project.toml"
BASE = ".scaffold/base.zip"


def _zip(entries: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _refused(cli, error_line, root, *args: object) -> str:
    result = cli(*args, "-C", root)
    assert result.exit_code == 2, (result.exit_code, result.output)
    return error_line(result)


@pytest.mark.parametrize("entry", ["../outside.txt", "/tmp/abs-outside.txt", "a/../../x", "C:x"])
@pytest.mark.parametrize("command", [("update",), ("add", "static"), ("status",)])
def test_a_base_entry_outside_the_project_is_refused(
    project, cli, error_line, snapshot, tmp_path, entry, command
) -> None:
    root = project()
    victim = root.parent / "outside.txt"
    victim.write_text("someone else's file\n")
    with zipfile.ZipFile(root / BASE) as archive:
        base = {name: archive.read(name) for name in archive.namelist()}
    base[entry] = b"someone else's file\n"
    (root / BASE).write_bytes(_zip(base))
    before = snapshot(tmp_path)

    line = _refused(cli, error_line, root, *command)

    assert "outside the project" in line
    assert snapshot(tmp_path) == before
    assert not Path("/tmp/abs-outside.txt").exists()


@pytest.mark.parametrize("key", ["module", "package_dir"])
def test_an_adopted_path_outside_the_project_is_refused(
    project, cli, error_line, snapshot, tmp_path, key
) -> None:
    root = project()
    other = root.parent / "other"
    other.mkdir()
    (other / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    values = {"module": "app/main.py", "package_dir": "app", key: "../other"}
    if key == "module":
        values["module"] = "../other/main.py"
    table = "\n[adopted]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items())
    table += 'app = "app"\npackage = "app"\n'
    (root / RECORD).write_text((root / RECORD).read_text() + table)
    before = snapshot(tmp_path)

    line = _refused(cli, error_line, root, "add", "static")

    assert "outside the project" in line
    assert snapshot(tmp_path) == before


DAMAGED_RECORDS = {
    "not UTF-8": b"\xff\xfe[scaffold]\nformat = 1\n",
    "wrong type: blueprints": None,  # filled in from the real record below
    "unparsable version": None,
    "options not a table": None,
    "deeply nested": b"[scaffold]\nformat = 1\nx = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
}


def _damage(text: str, how: str) -> bytes:
    if how == "wrong type: blueprints":
        return ('blueprints = "all of them"\n' + text.split("[blueprints.", maxsplit=1)[0]).encode()
    if how == "unparsable version":
        damaged = re.sub(
            r'(\[blueprints\.base\]\nversion = )"[^"]*"', r'\1"1.0.0rc1; rm -rf /"', text, count=1
        )
        assert damaged != text, "the record names no version to damage"
        return damaged.encode()
    if how == "options not a table":
        return text.replace("options = {}", "options = 5", 1).encode()
    raise AssertionError(how)


@pytest.mark.parametrize("how", list(DAMAGED_RECORDS))
@pytest.mark.parametrize("command", [("status",), ("check",), ("add", "static"), ("update",)])
def test_a_damaged_record_is_one_line_and_exit_2(
    project, cli, error_line, snapshot, how, command
) -> None:
    root = project()
    damaged = DAMAGED_RECORDS[how] or _damage((root / RECORD).read_text(), how)
    (root / RECORD).write_bytes(damaged)
    before = snapshot(root)

    line = _refused(cli, error_line, root, *command)

    assert "project.toml" in line
    assert snapshot(root) == before


def test_a_record_that_is_a_folder_is_one_line(project, cli, error_line) -> None:
    root = project()
    (root / RECORD).unlink()
    (root / RECORD).mkdir()

    assert "folder" in _refused(cli, error_line, root, "status")


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
@pytest.mark.parametrize("path", [RECORD, BASE])
def test_a_record_file_that_is_not_a_regular_file_is_not_read(
    project, cli, error_line, target, path
) -> None:
    root = project()
    (root / path).unlink()
    if target == "fifo":
        os.mkfifo(root / path)  # opening it for reading would block forever
    else:
        (root / path).symlink_to(target)

    line = _refused(cli, error_line, root, "status")

    assert "cannot read" in line


def test_a_record_linked_outside_the_project_is_not_read(project, cli, error_line) -> None:
    root = project()
    elsewhere = root.parent / "elsewhere.toml"
    elsewhere.write_bytes((root / RECORD).read_bytes())
    (root / RECORD).unlink()
    (root / RECORD).symlink_to(elsewhere)

    assert "leaves the project" in _refused(cli, error_line, root, "status")


def _corrupt_deflate(base: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        info = archive.infolist()[0]
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(base)
    for offset in range(start, start + min(info.compress_size, 40)):
        damaged[offset] ^= 0x5A
    return bytes(damaged)


def _encrypted(base: bytes) -> bytes:
    damaged = bytearray(base)
    damaged[6] |= 0x1  # the local header's "encrypted" flag
    central = base.rindex(b"PK\x01\x02")
    first_central = base.index(b"PK\x01\x02")
    assert central >= first_central
    damaged[first_central + 8] |= 0x1  # ... and the central directory's
    return bytes(damaged)


@pytest.mark.parametrize(
    "archive",
    [
        pytest.param(lambda base: base[: len(base) // 2], id="truncated"),
        pytest.param(lambda base: b"PK\x03\x04" + b"\x00" * 200, id="garbage"),
        pytest.param(_corrupt_deflate, id="corrupt deflate stream"),
        pytest.param(_encrypted, id="encrypted entry"),
        pytest.param(lambda base: _zip({"x": b"\x00" * (40 * 1024 * 1024)}), id="zip bomb"),
        pytest.param(lambda base: _zip({".git/config": b"[core]\n"}), id="a .git entry"),
    ],
)
def test_a_damaged_base_is_one_line_and_exit_2(project, cli, error_line, snapshot, archive) -> None:
    root = project()
    (root / BASE).write_bytes(archive((root / BASE).read_bytes()))
    before = snapshot(root)

    line = _refused(cli, error_line, root, "add", "static")

    assert "base.zip" in line
    assert snapshot(root) == before


def test_a_deeply_nested_adopted_json_is_one_line(project, cli, error_line) -> None:
    root = project()
    record = (root / RECORD).read_text()
    record += '\n[adopted]\nmodule = "evil_app/main.py"\napp = "app"\npackage = "evil_app"\n'
    record += 'package_dir = "evil_app"\n'
    (root / RECORD).write_text(record)
    (root / ".scaffold/adopted.json").write_text("[" * 100_000 + "]" * 100_000)

    result = cli("add", "static", "-C", root)

    assert result.exit_code == 2, result.output
    assert "adopted.json" in error_line(result)


def test_the_json_error_names_the_damage(project, cli_json) -> None:
    root = project()
    (root / RECORD).write_bytes(b"\xff")

    code, document = cli_json("status", "-C", root)

    assert code == 2
    assert "UTF-8" in json.dumps(document)
