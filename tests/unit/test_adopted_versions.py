"""The version gate reads the project as the change will leave it, not only the disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scaffold.adopted_versions import version_blockers

if TYPE_CHECKING:
    from pathlib import Path

OLD = b'[project]\nname = "x"\nrequires-python = ">=3.12"\ndependencies = ["fastapi==0.65.2"]\n'
NEW = b'[project]\nname = "x"\nrequires-python = ">=3.12"\ndependencies = ["fastapi>=0.115"]\n'


def test_the_disk_is_read_when_no_view_is_given(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(OLD)

    (blocker,) = version_blockers(tmp_path)

    assert blocker.startswith(
        "the project allows fastapi 0.65.2 (pyproject.toml [project].dependencies: ==0.65.2)"
    )


def test_a_view_of_the_merged_project_wins_over_the_disk(tmp_path: Path) -> None:
    # On disk, the foundation template's old version pins an old FastAPI; the version being
    # merged in raises it. The gate judges what the project will be.
    (tmp_path / "pyproject.toml").write_bytes(OLD)
    view = {"pyproject.toml": NEW}

    assert version_blockers(tmp_path, read=view.get) == []
    assert version_blockers(tmp_path, read={"pyproject.toml": OLD}.get) != []


def test_a_folder_view_reads_the_folders_files_and_requirements(tmp_path: Path) -> None:
    (tmp_path / "backend").mkdir()
    (tmp_path / "backend/requirements.txt").write_text("fastapi==0.100\n")
    view = {
        "backend/pyproject.toml": b'[project]\nname = "x"\nrequires-python = ">=3.8"\n',
        "backend/requirements.txt": b"fastapi==0.99.1\n",
    }

    blockers = version_blockers(tmp_path, folder="backend", read=view.get)

    assert any("Python 3.8 (backend/requires-python: >=3.8)" in b for b in blockers), blockers
    assert any("fastapi 0.99.1 (backend/requirements.txt: ==0.99.1)" in b for b in blockers)
