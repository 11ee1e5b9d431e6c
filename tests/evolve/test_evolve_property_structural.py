"""Property: the one engine, on the owner's structural edits, never conflicts and loses nothing.

Each example takes the project of a random selection of blueprints as scaffold renders it (in
process, cached), makes some of the owner's first-week edits on it (their own router, a
settings field, an env variable, a fixture, a dependency with a comment, an item in another
table's array, a ``.gitignore`` line, a README section) and random tagged comment lines at
statement starts and anywhere in the other text files, then merges every file towards another
random selection, exactly as ``add``/``remove`` do (``merge_file``). It asserts:

* no Python or TOML edit is refused, and only a file the random comments touched outside
  Python and TOML may have conflict markers;
* every owner line is still a line of its file (a comment in a block scaffold takes out moves
  above the next statement, re-indented);
* every merged module compiles, and every line scaffold's new version adds is there;
* the merged projects are ruff-clean (one ruff run over all of a test's examples at its end).

Four tests of 250 examples each: 1,000 examples per run of the suite.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold.edit import UnsafeEditError
from scaffold.merge import merge_file
from scaffold.models import ProjectSpec
from scaffold.pipeline import render_project

if TYPE_CHECKING:
    from collections.abc import Callable

NAME, PACKAGE = "evo-app", "evo_app"
OPTIONAL = ("settings", "lifespan", "static", "templates", "websockets", "middleware", "tests")
KINDS = ("router", "setting", "env", "fixture", "dependency", "array", "gitignore", "readme")
MARKER = "<<<<<<< yours"
EXAMPLES = 250


@functools.cache
def rendered(names: frozenset[str]) -> dict[str, str]:
    """The project scaffold renders for these blueprints (requirements added), as text."""
    spec = ProjectSpec(name=NAME, blueprints={name: {} for name in sorted(names)})
    _, tree = render_project(spec)
    return {path: content.decode("utf-8") for path, content in tree.items()}


def random_comments(
    data: st.DataObject, tree: dict[str, str], statement_starts: Callable[[str], list[Any]]
) -> tuple[dict[str, list[str]], set[str]]:
    """Insert tagged comment lines; return path -> lines, and the non-Python files touched."""
    lines: dict[str, list[str]] = {}
    touched: set[str] = set()
    editable = sorted(p for p in tree if p.endswith((".py", ".toml", ".md", ".example", "ignore")))
    for number in range(data.draw(st.integers(0, 4), label="comments")):
        path = data.draw(st.sampled_from(editable), label="commented file")
        text = tree[path].splitlines(keepends=True)
        if path.endswith(".py"):
            starts = statement_starts(tree[path])
            if not starts:
                continue
            position, indent = data.draw(st.sampled_from(starts), label="at")
        else:
            position, indent = data.draw(st.integers(0, len(text)), label="at"), 0
            touched.add(path)
        line = " " * indent + f"# owner-{number}-c0ffee"
        text[position:position] = [line + "\n"]
        tree[path] = "".join(text)
        lines.setdefault(path, []).append(line)
    return lines, touched


def scaffolds_additions(base: str, new: str) -> set[str]:
    """The code lines scaffold's new version of a module adds (imports aside: they regroup)."""
    before = {line.strip() for line in base.splitlines()}
    return {
        line.strip()
        for line in new.splitlines()
        if line.strip()
        and line.strip() not in before
        and not line.lstrip().startswith(("from ", "import ", "#", ")"))
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """Folders of merged projects, ruff-checked together when the module's tests are done."""
    folder = tmp_path_factory.mktemp("structural")
    yield folder
    ruff = str(Path(sys.executable).parent / "ruff")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    for arguments in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        done = subprocess.run(
            [ruff, *arguments], cwd=folder, capture_output=True, text=True, check=False, env=env
        )
        assert done.returncode == 0, f"ruff {arguments[0]}:\n{done.stdout[-5000:]}"


def merged_files(
    base: dict[str, str], ours: dict[str, str], new: dict[str, str], touched: set[str]
) -> dict[str, str]:
    """Merge every file as ``add``/``remove`` do; fail on a refusal or an unexpected conflict."""
    merged: dict[str, str] = {}
    for path in sorted(base.keys() | ours.keys() | new.keys()):
        sides = [side.get(path) for side in (base, ours, new)]
        try:
            result = merge_file(
                path, *(s.encode() if s is not None else None for s in sides), package=PACKAGE
            )
        except UnsafeEditError as error:
            pytest.fail(f"refused: {error}")
        if result.outcome == "conflict":
            assert path in touched, path
            assert not path.endswith((".py", ".toml")), path
        if result.content is not None:
            merged[path] = result.content.decode()
    return merged


def assert_owner_lines_kept(owner: dict[str, list[str]], merged: dict[str, str]) -> None:
    """Every line the owner wrote is still a line of its file."""
    for path, lines in owner.items():
        assert path in merged, f"{path}, which the owner edited, is gone"
        # A comment inside a block scaffold takes out moves above the next statement, at its
        # indentation: the line's text is kept, its indentation need not be.
        present = {line.strip() for line in merged[path].splitlines()}
        assert not [line for line in lines if line.strip() not in present], (path, merged[path])


def assert_modules_complete(
    base: dict[str, str], new: dict[str, str], merged: dict[str, str]
) -> None:
    """Every merged module compiles and, without conflict markers, has scaffold's additions."""
    for path, text in merged.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
            if path in base and path in new and MARKER not in text:
                present = {line.strip() for line in text.splitlines()}
                missing = scaffolds_additions(base[path], new[path]) - present
                assert not missing, (path, missing, text)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.parametrize("run", range(4))
def test_structural_owner_edits_merge_without_conflict(
    run, data, collected, first_week_tree, statement_starts
) -> None:
    start = frozenset(data.draw(st.sets(st.sampled_from(OPTIONAL)), label="start"))
    toggled = data.draw(st.sets(st.sampled_from(OPTIONAL), min_size=1, max_size=3), label="toggle")
    target = start ^ toggled
    base, new = rendered(start), rendered(target)
    ours = dict(base)
    kinds = tuple(data.draw(st.sets(st.sampled_from(KINDS), min_size=1), label="kinds"))
    owner = first_week_tree(ours, PACKAGE, "owner", kinds)
    comments, touched = random_comments(data, ours, statement_starts)
    for path, lines in comments.items():
        owner.setdefault(path, []).extend(lines)

    merged = merged_files(base, ours, new, touched)
    assert_owner_lines_kept(owner, merged)
    assert_modules_complete(base, new, merged)
    if not any(MARKER in text for text in merged.values()):
        folder = collected / f"run{run}-{len(list(collected.iterdir()))}"
        for path, text in merged.items():
            if path not in new:
                # scaffold dropped it and the owner had edited it: it stays whole, with a note
                # saying to delete it if unused (it may import what went); the owner's to judge
                assert text == ours[path], path
                continue
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_text(text)
