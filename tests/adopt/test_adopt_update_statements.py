"""``scaffold update`` in an adopted project: a contribution that changed is rewritten in place."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

COMPRESS = """\
name = "compress"
summary = "GZip for big bodies"
version = "{version}"
dependencies = ["{requirement}"]

[[contribute.middleware]]
cls = "fastapi.middleware.gzip:GZipMiddleware"
kwargs = {{ minimum_size = "{size}" }}
comment = "{comment}"

[[contribute.app_arguments]]
name = "title"
value = '"{title}"'
"""


def write_compress(
    folder: Path,
    version: str,
    *,
    size: int,
    title: str = "Compressed",
    comment: str = "Compress big bodies.",
    requirement: str = "brotli>=1",
) -> None:
    (folder / "compress").mkdir(parents=True, exist_ok=True)
    manifest = COMPRESS.format(
        version=version, size=size, title=title, comment=comment, requirement=requirement
    )
    (folder / "compress/blueprint.toml").write_text(manifest)


@pytest.fixture
def compressed(adopted: Path, tmp_path: Path, cli) -> tuple[Path, Path]:
    """The adopted project with compress 1.0.0 from a blueprint folder, and that folder."""
    source = tmp_path / "org-blueprints"
    write_compress(source, "1.0.0", size=500)
    result = cli("add", "compress", "--source", source, "-C", adopted)
    assert result.exit_code == 0, result.output
    return adopted, source


def test_changed_kwargs_and_keyword_are_rewritten(compressed, cli) -> None:
    project, source = compressed
    main = project / "app/main.py"
    before = main.read_text()
    write_compress(source, "1.1.0", size=700, title="Squeezed", comment="Compress more.")

    result = cli("update", "-C", project)

    assert result.exit_code == 0, result.output
    after = main.read_text()
    assert after == (
        before.replace("minimum_size=500", "minimum_size=700")
        .replace('title="Compressed"', 'title="Squeezed"')
        .replace("# Compress big bodies.", "# Compress more.")
    )
    memory = json.loads((project / ".scaffold/adopted.json").read_text())
    assert memory["statements"][0]["args"] == ["GZipMiddleware", "minimum_size=700"]
    assert memory["keywords"][0]["value"] == '"Squeezed"'


def test_updating_twice_changes_nothing_the_second_time(compressed, cli, snapshot) -> None:
    project, source = compressed
    write_compress(source, "1.1.0", size=700)
    assert cli("update", "-C", project).exit_code == 0
    before = snapshot(project)

    result = cli("update", "-C", project)

    assert result.exit_code == 0, result.output
    assert snapshot(project) == before


def test_an_owners_edit_is_kept_and_said_so(compressed, cli) -> None:
    project, source = compressed
    main = project / "app/main.py"
    main.write_text(main.read_text().replace("minimum_size=500", "minimum_size=10"))
    write_compress(source, "1.1.0", size=700)

    result = cli("update", "--json", "-C", project)

    assert result.exit_code == 0, result.output
    notes = json.loads(result.stdout)["notes"]
    assert any(
        "kept your statement that adds GZipMiddleware: you changed it since the 'compress' "
        "blueprint added it, so scaffold did not update it" in note
        for note in notes
    ), notes
    text = main.read_text()
    assert "app.add_middleware(GZipMiddleware, minimum_size=10)" in text
    assert "minimum_size=700" not in text
    assert text.count("add_middleware") == 1


def test_an_owners_keyword_is_kept_and_said_so(compressed, cli) -> None:
    project, source = compressed
    main = project / "app/main.py"
    main.write_text(main.read_text().replace('title="Compressed"', 'title="Mine"'))
    write_compress(source, "1.1.0", size=500, title="Squeezed")

    result = cli("update", "-C", project)

    assert result.exit_code == 0, result.output
    assert 'kept your title="Mine"' in " ".join(result.stdout.split())
    assert 'title="Mine"' in main.read_text()


def test_a_changed_requirement_replaces_the_one_scaffold_added(compressed, cli) -> None:
    project, source = compressed
    requirements = project / "requirements.txt"
    assert requirements.read_text() == "fastapi[standard]>=0.115\nbrotli>=1\n"
    write_compress(source, "1.1.0", size=500, requirement="zstandard>=0.22")

    assert cli("update", "-C", project).exit_code == 0

    assert requirements.read_text() == "fastapi[standard]>=0.115\nzstandard>=0.22\n"


def test_remove_after_update_gives_the_module_back(compressed, cli, main_py: str) -> None:
    project, source = compressed
    write_compress(source, "1.1.0", size=700, title="Squeezed")
    assert cli("update", "-C", project).exit_code == 0

    result = cli("remove", "compress", "-C", project)

    assert result.exit_code == 0, result.output
    assert (project / "app/main.py").read_text() == main_py
    assert (project / "requirements.txt").read_text() == "fastapi[standard]>=0.115\n"
