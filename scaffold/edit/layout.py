"""Lay out what scaffold changed in an owner's module as the owner's formatter would.

The libcst edits keep every byte of the owner's and write their own lines in ruff's default
style. That is not always enough for the owner's ``ruff check`` and ``ruff format --check``:

* a ``from x import A, B, C`` that scaffold wrote or added a name to can outgrow the line;
* a statement placed in a factory's body is indented one level deeper than it was rendered;
* the owner's configuration may ask for another width or quote style.

So each region of lines the edit changed is formatted with ``ruff format --range`` under the
owner's configuration (their ``ruff.toml``/``[tool.ruff]``; else black's ``line-length``; else
ruff's defaults). A region's formatting is kept only when no line outside the region moved:
ruff widens a range to whole statements, and the owner's lines are theirs even where their
formatter would disagree with them. Anything ruff cannot do leaves the edit as it was.

Ruff does not wrap comments, so a comment line of scaffold's that is longer than the owner's
width is wrapped into several; :func:`scaffold.cst_edit._comment_run` still knows it as
scaffold's when the statement goes.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import tempfile
import textwrap
import tomllib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

_PYPROJECT = "pyproject.toml"
DEFAULT_WIDTH = 88  # ruff's and black's
_COMMENT_LINE = re.compile(r"^(?P<indent>[ \t]*)#\s?(?P<text>.*?)(?P<newline>\r?\n?)$")


def changed_regions(before: str, after: str) -> list[tuple[int, int]]:
    """Return the 0-based, end-exclusive line ranges of ``after`` that differ from ``before``."""
    return [(start, end) for start, end, _ in _regions(before, after)]


def _regions(before: str, after: str) -> list[tuple[int, int, bool]]:
    """Return the changed line ranges of ``after``, each with whether it only adds lines."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    regions: list[tuple[int, int, bool]] = []
    for tag, _, _, start, end in matcher.get_opcodes():
        if tag in ("replace", "insert") and end > start:
            added = tag == "insert"
            if regions and regions[-1][1] == start:
                regions[-1] = (regions[-1][0], end, regions[-1][2] and added)
            else:
                regions.append((start, end, added))
    return regions


def lay_out(
    before: str,
    after: str,
    *,
    path: str,
    config: Mapping[str, bytes],
    pyproject: bytes | None = None,
) -> str:
    """Return ``after`` with the regions that differ from ``before`` formatted (see above).

    ``path``: the module's path in the project (ruff applies per-file settings by it);
    ``config``: the owner's ruff configuration files by name (``ruff.toml``, ``pyproject.toml``);
    ``pyproject``: the owner's ``pyproject.toml``, for black's width when ruff has none.
    """
    width = owner_width(config, pyproject)
    regions = [
        (start, end)
        for start, end, added in _regions(before, after)
        # An owner's line scaffold changed (a keyword, an imported name) keeps the owner's
        # layout unless it outgrew the width: then ``remove`` gives it back byte for byte.
        if added or any(len(line) > width for line in after.splitlines()[start:end])
    ]
    if not regions:
        return _wrap_comments(before, after, width)
    fallback = ["--isolated", "--line-length", str(width)]  # no configuration, or a broken one
    # the owner's configuration first, when there is one
    attempts: list[list[str]] = [[], fallback] if config else [fallback]
    with tempfile.TemporaryDirectory(prefix="scaffold-layout-") as folder:
        root = Path(folder)
        for name, content in config.items():
            (root / name).write_bytes(content)
        text = after
        for start, end in reversed(regions):  # bottom up: the regions above keep their lines
            text = _format_region(text, start, end, root=root, path=path, attempts=attempts)
    return _wrap_comments(before, text, width)


def owner_width(config: Mapping[str, bytes], pyproject: bytes | None) -> int:
    """Return the owner's line width: ruff's ``line-length``, else black's, else 88."""
    for name, content in config.items():
        data = _toml(content)
        table = data.get("tool", {}).get("ruff", {}) if name == _PYPROJECT else data
        width = table.get("line-length") if isinstance(table, dict) else None
        if isinstance(width, int) and width > 0:
            return width
    return black_line_length(pyproject) or DEFAULT_WIDTH


def _toml(content: bytes | None) -> dict[str, Any]:
    if content is None:
        return {}
    try:
        return tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _wrap_comments(before: str, after: str, width: int) -> str:
    """Wrap the comment lines scaffold wrote that are longer than ``width``."""
    lines = after.splitlines(keepends=True)
    for start, end in reversed(changed_regions(before, after)):
        for index in range(end - 1, start - 1, -1):
            match = _COMMENT_LINE.match(lines[index])
            if match is None or len(lines[index].rstrip("\r\n")) <= width:
                continue
            indent, newline = match["indent"], match["newline"] or "\n"
            room = max(width - len(indent) - 2, 20)
            parts = textwrap.wrap(match["text"], room, break_long_words=False)
            lines[index : index + 1] = [f"{indent}# {part}{newline}" for part in parts]
            if not match["newline"]:
                lines[index + len(parts) - 1] = lines[index + len(parts) - 1].rstrip("\r\n")
    return "".join(lines)


def black_line_length(pyproject: bytes | None) -> int | None:
    """Return ``[tool.black] line-length`` from the owner's pyproject, if it sets one."""
    width = _toml(pyproject).get("tool", {}).get("black", {}).get("line-length")
    return width if isinstance(width, int) and 1 <= width <= 320 else None  # noqa: PLR2004  # ruff's range


def _format_region(
    text: str, start: int, end: int, *, root: Path, path: str, attempts: list[list[str]]
) -> str:
    lines = text.splitlines(keepends=True)
    last = lines[end - 1].rstrip("\r\n")
    region = f"{start + 1}:1-{end}:{len(last) + 1}"
    formatted = None
    for options in attempts:  # a configuration ruff cannot use here (extend = "../x.toml")
        formatted = _ruff_format(text, region, root=root, path=path, options=options)
        if formatted is not None:
            break
    if formatted is None or formatted == text:
        return text
    new_lines = formatted.splitlines(keepends=True)
    below = len(lines) - end
    above_kept = new_lines[:start] == lines[:start]
    below_kept = below == 0 or new_lines[-below:] == lines[end:]
    if not (above_kept and below_kept and len(new_lines) >= start + below):
        return text  # ruff reached into the owner's lines: keep scaffold's own layout
    return formatted


def _ruff_format(
    text: str, region: str, *, root: Path, path: str, options: list[str]
) -> str | None:
    from scaffold.errors import FormatError
    from scaffold.format import ruff_binary

    try:
        binary = ruff_binary()
    except FormatError:
        return None
    stdin_name = str(root / PurePosixPath(path))
    arguments = [binary, "format", *options, f"--range={region}", "--stdin-filename", stdin_name]
    try:
        completed = subprocess.run(
            [*arguments, "-"],
            cwd=root,
            input=text.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.decode("utf-8")
