"""Command help that wraps by paragraph, whatever the terminal's width.

Typer's rich mode keeps every line break of a docstring, so a sentence wrapped at 100 columns
in the source breaks again mid-line on an 80-column terminal. :func:`reflow_commands` joins the
lines of each prose paragraph before Typer sees them, and rich then wraps each paragraph to the
terminal. Indented lines (examples, lists) keep their own lines.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


def reflow(docstring: str) -> str:
    """``docstring`` with each prose paragraph on one line; indented lines stay as written."""
    paragraphs = inspect.cleandoc(docstring).split("\n\n")
    return "\n\n".join(_reflow_paragraph(p) for p in paragraphs if p.strip())


def _reflow_paragraph(paragraph: str) -> str:
    lines: list[str] = []
    for line in paragraph.splitlines():
        indented = line.startswith((" ", "\t"))
        if lines and not indented and not lines[-1].startswith((" ", "\t")):
            lines[-1] = f"{lines[-1]} {line.strip()}"
        else:
            lines.append(line.rstrip())
    return "\n".join(lines)


def reflow_commands(app: typer.Typer) -> None:
    """Give every command of ``app`` its docstring reflowed as its help (unless it has one)."""
    for command in app.registered_commands:
        if command.help is None and command.callback is not None:
            docstring = inspect.getdoc(command.callback)
            if docstring:
                command.help = reflow(docstring)
