"""Every command's help wraps by paragraph at 80 and 120 columns: no sentence breaks mid-line."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

import pytest
import typer.main

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, command in sorted(getattr(group, "commands", {}).items()):
        yield from _commands(command, (*path, name))


def _all_commands() -> list[tuple[str, ...]]:
    from scaffold.cli import app

    return list(_commands(typer.main.get_command(app)))


def _description(help_text: str) -> list[list[str]]:
    """The paragraphs between the usage line and the first panel, as lists of lines."""
    lines = help_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    end = next((i for i, line in enumerate(lines) if line.lstrip().startswith("╭")), len(lines))
    paragraphs: list[list[str]] = [[]]
    for line in lines[start:end]:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def _is_prose(line: str) -> bool:
    return not line.startswith("  ")  # rich indents the help by one; examples by more


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("command", _all_commands(), ids=lambda path: " ".join(path) or "root")
def test_help_wraps_by_paragraph(cli, monkeypatch, clear_consoles, command, columns) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    clear_consoles()
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    paragraphs = _description(result.stdout)
    assert paragraphs, f"no description in:\n{result.stdout}"
    usable = columns - 2  # rich pads the help by one column on each side
    for paragraph in paragraphs:
        for line in paragraph:
            assert len(line) <= columns, f"wider than {columns}: {line!r}"
        for line, following in pairwise(paragraph):
            if not (_is_prose(line) and _is_prose(following)):
                continue
            next_word = following.split()[0]
            assert len(line.rstrip()) + 1 + len(next_word) > usable, (
                f"'scaffold {' '.join(command)} --help' at {columns} columns breaks a line early:"
                f"\n{line!r}\n{following!r}\n\n{result.stdout}"
            )


def test_reflow_keeps_examples_and_joins_prose() -> None:
    from scaffold.cli_help import reflow

    doc = """Summary line.

    One sentence wrapped
    in the source. Another.

    Examples:
      scaffold new a

      scaffold new b
    """
    assert reflow(doc) == (
        "Summary line.\n\nOne sentence wrapped in the source. Another.\n\n"
        "Examples:\n  scaffold new a\n\n  scaffold new b"
    )
