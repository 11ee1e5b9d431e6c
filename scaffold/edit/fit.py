"""Fit scaffold's new modules to an owner's narrower line width: comments and docstrings.

Blueprints are written for scaffold's own width (100). In an adopted project whose ruff
configuration asks for less (79, 88) and selects ``E501``, ``ruff format`` rewraps the code
but not prose: a comment or docstring line stays too long and the owner's ``ruff check``
fails on a file scaffold wrote. So, after formatting, each full-line comment and each plain
docstring paragraph longer than the width is re-flowed at it. Lists, examples and indented
blocks in a docstring are left as they are (their line breaks mean something), and so is
code: ruff owns that.
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

_COMMENT = re.compile(r"^(?P<indent>[ \t]*)#[ \t]?(?P<text>.*)$")
_STRUCTURED = re.compile(r"^\s*(?:[-*+|]|>>>|\d+[.)]|\.\.|[A-Za-z_]+:$)")
_QUOTES = '"""'
_MIN_ROOM = 20  # below this, wrapping makes things worse


def fit_to_width(code: str, width: int) -> str:
    """Return ``code`` with over-long comment lines and docstring paragraphs re-flowed."""
    lines = code.splitlines(keepends=True)
    if all(len(line.rstrip("\r\n")) <= width for line in lines):
        return code
    try:
        docstrings = _docstring_spans(code)
    except SyntaxError:
        return code
    for first, last in sorted(docstrings, reverse=True):
        lines[first : last + 1] = _fit_docstring(lines[first : last + 1], width)
    # Each pass reads where the strings are afresh: the one before moved lines.
    lines = _split_strings(lines, width, skip=_string_rows(lines))
    return "".join(_fit_comments(lines, width, skip=_string_rows(lines)))


def _string_rows(lines: list[str]) -> set[int]:
    """Return the 0-based lines a string spanning several lines covers (text, not code)."""
    import io
    import tokenize

    starts = {tokenize.STRING}
    ends = {tokenize.STRING}
    if hasattr(tokenize, "FSTRING_START"):  # Python 3.12 tokenizes f-strings in pieces
        starts.add(getattr(tokenize, "FSTRING_START"))  # noqa: B009  # absent before 3.12
        ends.add(getattr(tokenize, "FSTRING_END"))  # noqa: B009
    rows: set[int] = set()
    opened: list[int] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            first = token.start[0]
            if token.type in starts and token.type not in ends:
                opened.append(first)
                continue
            if token.type in ends and token.type not in starts:
                first = opened.pop() if opened else first
            if token.type in ends and token.end[0] > first:
                rows |= set(range(first - 1, token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return set(range(len(lines)))  # unreadable: touch nothing
    return rows


def _split_strings(lines: list[str], width: int, *, skip: set[int]) -> list[str]:
    """Split a long one-line string literal into parenthesized parts that fit, as ruff lays them.

    Only a literal that is alone on its line between code (an argument, an assignment's value),
    plain or f, without escapes across the split: ``"a b c"`` becomes ``("a b " "c")``.
    """
    out: list[str] = []
    for number, line in enumerate(lines):
        body = line.rstrip("\r\n")
        found = None if number in skip or len(body) <= width else _LONE_STRING.match(body)
        following = lines[number + 1].lstrip() if number + 1 < len(lines) else ""
        if found is None or "\\" in found["text"] or _STRING_START.match(following):
            # an implicit concatenation goes on below: parentheses would cut it in two
            out.append(line)
            continue
        indent = found["indent"] + "    "
        prefix = found["prefix"].lower()
        room = width - len(indent) - len(prefix) - 2
        parts = _string_parts(found["text"], room, braces="f" in prefix)
        if not parts or max(len(part) for part in parts) > room:  # no cut makes it fit
            out.append(line)
            continue
        newline = line[len(body) :]
        out.append(f"{found['head']}(\n")
        for part in parts:
            kind = prefix if "{" in part or "}" in part else prefix.replace("f", "")
            out.append(f"{indent}{kind}{found['quote']}{part}{found['quote']}\n")
        out.append(f"{found['indent']}){found['tail']}{newline or ''}")
    return out


_STRING_START = re.compile(r"""^[rRbBuUfF]{0,2}["']""")
_LONE_STRING = re.compile(
    r"^(?P<head>(?P<indent>[ \t]*)(?:[\w.]+ = |[\w]+=|return |raise \w+\())"
    r"""(?P<prefix>[fF]?)(?P<quote>["'])(?P<text>(?:(?!(?P=quote)).)*)(?P=quote)"""
    r"(?P<tail>,?\)?,?)$"
)


def _string_parts(text: str, room: int, *, braces: bool) -> list[str]:
    """Cut ``text`` after spaces into parts of at most ``room``, never inside ``{...}``."""
    parts: list[str] = []
    current = ""
    depth = 0
    word = ""
    for char in text:
        word += char
        if braces and char == "{":
            depth += 1
        elif braces and char == "}":
            depth = max(depth - 1, 0)
        if char == " " and depth == 0:
            if current and len(current) + len(word) > room:
                parts.append(current)
                current = ""
            current += word
            word = ""
    if current and len(current) + len(word) > room:
        parts.append(current)
        current = ""
    current += word
    if current:
        parts.append(current)
    return parts


def _docstring_spans(code: str) -> list[tuple[int, int]]:
    """Return the 0-based first and last line of each module, class and function docstring."""
    spans = []
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
            and body[0].end_lineno is not None
        ):
            spans.append((body[0].lineno - 1, body[0].end_lineno - 1))
    return spans


def _fit_comments(lines: list[str], width: int, *, skip: set[int]) -> list[str]:
    """Re-flow each paragraph of full-line comments that has a line over ``width``.

    A paragraph is a run of comment lines at one indent, up to a bare ``#``, a list item or
    a line that is not a comment; it is wrapped as one text, so a long line's end joins the
    next line rather than standing alone ("# lists").
    """
    fitted: list[str] = []
    number = 0
    while number < len(lines):
        run = _comment_run(lines, number, skip)
        if not run:
            fitted.append(lines[number])
            number += 1
            continue
        fitted += _rewrapped(lines[number : number + run], width)
        number += run
    return fitted


def _prose(line: str, number: int, skip: set[int]) -> re.Match[str] | None:
    """Match a full-line comment of plain prose (not a pragma, a list item or a bare ``#``)."""
    match = None if number in skip else _COMMENT.match(line.rstrip("\r\n"))
    if match is None or not match["text"].strip():
        return None
    if match["text"].startswith(("!", "noqa", "type:", "fmt:")) or _STRUCTURED.match(match["text"]):
        return None
    return match


def _comment_run(lines: list[str], start: int, skip: set[int]) -> int:
    """Return how many lines from ``start`` form one paragraph of prose comments (0: none)."""
    first = _prose(lines[start], start, skip)
    if first is None:
        return 0
    end = start + 1
    while end < len(lines):
        match = _prose(lines[end], end, skip)
        if match is None or match["indent"] != first["indent"]:
            break
        end += 1
    return end - start


def _rewrapped(run: list[str], width: int) -> list[str]:
    if all(len(line.rstrip("\r\n")) <= width for line in run):
        return run
    first = _COMMENT.match(run[0].rstrip("\r\n"))
    assert first is not None  # noqa: S101  # _comment_run matched every line
    indent = first["indent"]
    room = width - len(indent) - 2
    if room < _MIN_ROOM:
        return run
    last = run[-1]
    newline = last[len(last.rstrip("\r\n")) :]
    words = " ".join(
        m["text"].strip() for line in run if (m := _COMMENT.match(line.rstrip("\r\n")))
    )
    parts = textwrap.wrap(words, room, break_long_words=False, break_on_hyphens=False)
    return [f"{indent}# {part}\n" for part in parts[:-1]] + [f"{indent}# {parts[-1]}{newline}"]


def _fit_docstring(lines: list[str], width: int) -> list[str]:
    """Re-flow the plain paragraphs of one docstring; anything unusual stays as it is."""
    text = "".join(lines)
    indent = text[: len(text) - len(text.lstrip(" "))]
    stripped = text.strip()
    if not (stripped.startswith(_QUOTES) and stripped.endswith(_QUOTES)) or len(stripped) < len(
        _QUOTES * 2
    ):
        return lines  # r""", u""", ''' or one line of other code: left alone
    if all(len(line.rstrip("\r\n")) <= width for line in lines):
        return lines
    inner = stripped[3:-3]
    room = width - len(indent)
    if room < _MIN_ROOM:
        return lines
    paragraphs = _paragraphs(inner.splitlines(), indent)
    out: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if not paragraph:
            out.append("")
            continue
        lead = _QUOTES if index == 0 else ""
        if _structured(paragraph):
            out += [lead + paragraph[0], *paragraph[1:]] if lead else paragraph
            continue
        words = " ".join(part.strip() for part in paragraph)
        wrapped = textwrap.wrap(
            words, room, initial_indent=lead, break_long_words=False, break_on_hyphens=False
        )
        out += wrapped
    if len(out) == 1 and len(out[0]) + len(_QUOTES) > room:
        # One line with its closing quotes too long: ruff would join a lone closing line
        # back, so the text itself takes two lines.
        out = textwrap.wrap(
            out[0], room - len(_QUOTES), break_long_words=False, break_on_hyphens=False
        )
    closing_alone = inner.endswith("\n") or len(out) > 1
    body = [f"{indent}{line}" if line else "" for line in out]
    if closing_alone:
        body.append(f"{indent}{_QUOTES}")
    else:
        body[-1] += _QUOTES
    newline = "\r\n" if lines[-1].endswith("\r\n") else "\n"
    return [line + newline for line in body]


def _paragraphs(raw: list[str], indent: str) -> list[list[str]]:
    """Split the docstring's lines into paragraphs (lists of lines, dedented); '' between."""
    result: list[list[str]] = []
    current: list[str] = []
    for line in raw:
        text = line.removeprefix(indent) if line.startswith(indent) else line.lstrip()
        if not text.strip():
            if current:
                result.append(current)
                current = []
            if result and result[-1]:
                result.append([])
            continue
        current.append(text.rstrip())
    if current:
        result.append(current)
    while result and not result[-1]:
        result.pop()
    return result


def _structured(paragraph: list[str]) -> bool:
    """Say whether the paragraph's line breaks mean something (a list, an example, a block)."""
    return any(_STRUCTURED.match(line) or line.startswith(" ") for line in paragraph)


def mark_long_lines(code: str, width: int) -> str:
    """Add ``# noqa: E501`` to the lines still over ``width`` (a URL, a word without spaces).

    Only for an owner whose ruff selects E501: what nothing can fit must not fail their lint.
    """
    lines = code.splitlines(keepends=True)
    inside = _string_rows(lines)
    for index, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if len(body) > width and "noqa" not in body and index not in inside:
            lines[index] = f"{body}  # noqa: E501{line[len(body) :]}"
    return "".join(lines)


def selects_long_lines(config: Mapping[str, bytes]) -> bool:
    """Say whether the owner's ruff configuration selects E501 (line too long)."""
    import tomllib

    for name, content in config.items():
        try:
            data = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        table = data.get("tool", {}).get("ruff", {}) if name == "pyproject.toml" else data
        lint = table.get("lint", {}) if isinstance(table, dict) else {}
        chosen = [
            str(code)
            for where in (table, lint)
            if isinstance(where, dict)
            for key in ("select", "extend-select")
            for code in where.get(key, []) or []
        ]
        ignored = [
            str(code)
            for where in (table, lint)
            if isinstance(where, dict)
            for key in ("ignore", "extend-ignore")
            for code in where.get(key, []) or []
        ]
        picked = any(code == "ALL" or "E501".startswith(code) for code in chosen)
        dropped = any("E501".startswith(code) for code in ignored)
        return picked and not dropped
    return False
