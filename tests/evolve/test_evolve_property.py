"""Property: whatever the owner edited, add / remove / update never lose a line of theirs.

Each example copies a pristine project, makes random owner edits (half the time first the
first week's structural ones: an own router, a settings field, an env variable, a fixture, a
dependency with a comment, another table's array item, a .gitignore line, a README section;
then uniquely tagged comment lines inserted at statement boundaries of .py files and anywhere
in .toml and .md files, lines appended, a generated file deleted), then runs a random
sequence of one to three commands among the built-in optional blueprints through the CLI.
It asserts:

* every owner line is still in its file, merged or inside conflict markers, and a file the
  owner deleted stays deleted unless a conflict about it is reported;
* a command exits 1 exactly when it lists conflicts, and only listed files carry markers;
* a refused command (removing settings while middleware needs it) changes nothing;
* running the last command again changes nothing;
* when no command reported conflicts, the project is ruff-clean and (in a smaller test) its
  own pytest suite passes.
"""

from __future__ import annotations

import ast
import itertools
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

if TYPE_CHECKING:
    from collections.abc import Callable

OPTIONAL = ("settings", "lifespan", "static", "templates", "websockets", "middleware", "tests")
STARTS = (
    ("tests",),
    ("settings", "tests"),
    ("middleware", "static", "tests"),
    ("websockets", "templates", "lifespan", "settings", "tests"),
)
EDITABLE_SUFFIXES = (".py", ".toml", ".md")
# Files whose deletion cannot break the project's own tests.
DELETABLE = ("README.md", ".gitignore", "tests/test_health.py")
MARKER = "<<<<<<< yours"

COMMANDS = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(OPTIONAL)),
    st.tuples(st.just("remove"), st.sampled_from(OPTIONAL)),
    st.just(("update",)),
)

_SETTINGS = settings(
    max_examples=20,
    deadline=None,
    database=None,  # nothing written into the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Owner:
    """The owner's edits so far: which tagged line went into which file."""

    root: Path
    lines: dict[str, list[str]] = field(default_factory=dict)  # path -> lines added
    deleted: set[str] = field(default_factory=set)  # generated files the owner deleted
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def tag(self) -> str:
        return f"owner-{next(self.counter):03d}-c0ffee"

    def editable(self) -> list[str]:
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file()
            and p.suffix in EDITABLE_SUFFIXES
            and not p.relative_to(self.root).as_posix().startswith(".scaffold/")
        )

    def insert(self, path: str, position: int, line: str, *, blank_before: int = 0) -> None:
        target = self.root / path
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[position:position] = ["\n"] * blank_before + [line + "\n"]
        target.write_text("".join(lines), encoding="utf-8")
        self.lines.setdefault(path, []).append(line)

    def delete(self, path: str) -> None:
        (self.root / path).unlink()
        self.lines.pop(path, None)  # the owner deleted their own lines with it
        self.deleted.add(path)


def owner_edits(data: st.DataObject, owner: Owner, tools: Tools) -> None:
    """Draw and make one to six owner edits, after (half the time) the first week's."""
    if data.draw(st.booleans(), label="first-week edits"):
        for path, lines in tools.first_week(owner.root).items():
            owner.lines.setdefault(path, []).extend(lines)
    for _ in range(data.draw(st.integers(1, 6), label="number of edits")):
        kind = data.draw(st.sampled_from(["insert", "insert", "append", "delete"]), label="edit")
        if kind == "delete":
            present = [p for p in DELETABLE if (owner.root / p).is_file()]
            if present:
                owner.delete(data.draw(st.sampled_from(present), label="deleted"))
            continue
        path = data.draw(st.sampled_from(owner.editable()), label="file")
        text = (owner.root / path).read_text(encoding="utf-8")
        count = len(text.splitlines())
        blank_before = 0
        if kind == "append":
            # After a function at the end of a module, a comment needs two blank lines.
            position, indent = count, 0
            has_code = path.endswith(".py") and bool(ast.parse(text).body)
            blank_before = 2 if has_code else 0
        elif path.endswith(".py"):
            position, indent = data.draw(st.sampled_from(tools.statement_starts(text)), label="at")
        else:
            position, indent = data.draw(st.integers(0, count), label="at"), 0
        owner.insert(path, position, " " * indent + "# " + owner.tag(), blank_before=blank_before)


@dataclass
class Run:
    """The outcome of a sequence of commands."""

    conflicts: bool = False
    last: tuple[str, ...] | None = None
    reports: list[dict[str, Any]] = field(default_factory=list)


def run_commands(
    data: st.DataObject,
    project: Path,
    cli_json: Callable[..., tuple[int, dict[str, Any]]],
    snapshot: Callable[[Path], dict[str, bytes | None]],
) -> Run:
    """Draw one to three commands and run them; check each one's exit code and report."""
    run = Run()
    for command in data.draw(st.lists(COMMANDS, min_size=1, max_size=3), label="commands"):
        before = snapshot(project)
        code, report = cli_json(*command, "-C", project)
        run.reports.append(report)
        if "error" in report:
            # The only refusal possible here: removing what a remaining blueprint requires.
            assert code == 2, report
            assert command[0] == "remove", report
            assert "requires it" in report["error"]["message"], report
            assert snapshot(project) == before
            continue
        assert code == (1 if report["conflicts"] else 0), report
        run.conflicts = run.conflicts or bool(report["conflicts"])
        run.last = command
        for path in report["conflicts"]:
            assert MARKER in (project / path).read_text(encoding="utf-8"), path
    return run


def assert_owner_lines_survive(owner: Owner) -> None:
    for path, lines in owner.lines.items():
        target = owner.root / path
        assert target.is_file(), f"{path}, which the owner edited, was deleted"
        # A comment in a block scaffold takes out moves above the next statement, at that
        # statement's indentation: its text is the owner's line, its indentation need not be.
        present = {line.strip() for line in target.read_text(encoding="utf-8").splitlines()}
        lost = [line for line in lines if line.strip() not in present]
        assert not lost, f"owner lines lost from {path}: {lost}"


def assert_deletions_survive(owner: Owner, run: Run) -> None:
    """A file the owner deleted comes back only as a reported conflict (scaffold changed it)."""
    reported = {path for report in run.reports for path in report.get("conflicts", [])}
    for path in owner.deleted - reported:
        assert not (owner.root / path).exists(), f"{path}, which the owner deleted, came back"


def assert_markers_only_where_reported(project: Path, run: Run) -> None:
    reported = {path for report in run.reports for path in report.get("conflicts", [])}
    for path in project.rglob("*"):
        if path.is_file() and path.suffix in (*EDITABLE_SUFFIXES, ".html", ".css", ".example"):
            relative = path.relative_to(project).as_posix()
            if MARKER in path.read_text(encoding="utf-8"):
                assert relative in reported, f"{relative} has markers no command reported"


KEPT_LEFTOVER = ": kept: you edited it and scaffold no longer writes it; delete it if unused"


def delete_kept_leftovers(project: Path, run: Run) -> None:
    """Do what the note says for files scaffold dropped but kept whole because they were edited.

    They may import what went (a test of a removed blueprint): the owner deletes them, as told.
    """
    for report in run.reports:
        for note in report.get("notes", []):
            if note.endswith(KEPT_LEFTOVER):
                (project / note.removesuffix(KEPT_LEFTOVER)).unlink(missing_ok=True)


@dataclass(frozen=True)
class Tools:
    """The suite's helpers an example needs (one fixture keeps the signatures short)."""

    pristine: Callable[[tuple[str, ...]], Path]
    cli_json: Callable[..., tuple[int, dict[str, Any]]]
    snapshot: Callable[[Path], dict[str, bytes | None]]
    ruff_clean: Callable[[Path], None]
    project_tests_pass: Callable[[Path], None]
    first_week: Callable[[Path], dict[str, list[str]]]
    statement_starts: Callable[[str], list[tuple[int, int]]]


@pytest.fixture
def tools(
    pristine, cli_json, snapshot, ruff_clean, project_tests_pass, first_week, statement_starts
) -> Tools:
    return Tools(
        pristine, cli_json, snapshot, ruff_clean, project_tests_pass, first_week, statement_starts
    )


def evolve_example(data: st.DataObject, workdir: Path, tools: Tools) -> tuple[Path, Run]:
    """One example: copy, edit, run commands, and check the invariants every example keeps."""
    start = data.draw(st.sampled_from(STARTS), label="start")
    project = workdir / "evo-app"
    shutil.copytree(tools.pristine(start), project)
    owner = Owner(project)
    owner_edits(data, owner, tools)
    tools.ruff_clean(project)  # the owner's edits alone are clean: any mess later is scaffold's

    run = run_commands(data, project, tools.cli_json, tools.snapshot)
    event("with conflicts" if run.conflicts else "clean")  # see --hypothesis-show-statistics

    assert_owner_lines_survive(owner)
    assert_deletions_survive(owner, run)
    assert_markers_only_where_reported(project, run)
    if run.last is not None:
        before = tools.snapshot(project)
        code, report = tools.cli_json(*run.last, "-C", project)
        assert code == 0, report
        assert report["changed"] is False, report
        assert tools.snapshot(project) == before
    return project, run


@_SETTINGS
@given(data=st.data())
def test_owner_lines_survive_any_sequence_of_changes(data, tmp_path, tools) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        project, run = evolve_example(data, Path(folder), tools)
        if not run.conflicts:
            delete_kept_leftovers(project, run)
            tools.ruff_clean(project)


@settings(_SETTINGS, max_examples=5)
@given(data=st.data())
def test_without_conflicts_the_evolved_project_passes_its_own_tests(data, tmp_path, tools) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        project, run = evolve_example(data, Path(folder), tools)
        if not run.conflicts:
            delete_kept_leftovers(project, run)
            tools.ruff_clean(project)
            tools.project_tests_pass(project)


def test_statement_starts_skip_continuation_lines(statement_starts) -> None:
    text = 'import os\n\n\n@decorator\ndef f():\n    """Doc."""\n    x = (\n        1\n    )\n'

    assert statement_starts(text) == [(3, 0), (5, 4), (6, 4)]
    assert statement_starts("") == [(0, 0)]
