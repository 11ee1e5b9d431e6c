"""The compiled-template cache: a speed cache only, trusted only when private."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from scaffold import render
from scaffold.models import ProjectSpec
from scaffold.pipeline import build_tree

if TYPE_CHECKING:
    from pathlib import Path

SPEC = ProjectSpec(name="cached", blueprints={"settings": {}, "tests": {}})


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SCAFFOLD_CACHE_DIR", str(tmp_path / "cache"))
    render._code_cache_dir.cache_clear()
    yield tmp_path / "cache" / "templates"
    render._code_cache_dir.cache_clear()


def test_private_cache_is_filled_and_gives_the_same_tree(cache_dir: Path) -> None:
    _, first = build_tree(SPEC)
    entries = list(cache_dir.glob("*.code"))
    _, second = build_tree(SPEC)

    assert entries, "no compiled template was cached"
    assert second == first


def test_cache_others_can_write_is_not_used(cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True)
    cache_dir.chmod(0o777)

    _, tree = build_tree(SPEC)

    assert render._code_cache_dir() is None
    assert list(cache_dir.iterdir()) == []
    assert "cached/config.py" in tree


def test_corrupt_entries_are_recompiled(cache_dir: Path) -> None:
    _, expected = build_tree(SPEC)
    for entry in cache_dir.glob("*.code"):
        entry.write_bytes(b"not marshal data")

    _, tree = build_tree(SPEC)

    assert tree == expected
