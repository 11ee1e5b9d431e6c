"""Three-way merges of text files made of keyed pieces: env files, line sets, Markdown sections.

Each file is cut into chunks, some with a key: in an env file a variable with the comment lines
right above it (key: the variable's name), in a ``.gitignore`` a line (key: the line), in
Markdown a section from its heading to the next (key: the heading). The chunks without a key
(blank lines, the owner's free text) are the owner's and never move. scaffold's change between
base and new is applied chunk by chunk to the owner's file, as the Python merge does with
statements: a new chunk goes right after the one before it in scaffold's version (or before the
one after it, or at the end), a dropped chunk goes only while the owner left it as scaffold
wrote it, a changed one is replaced only while the owner did not change it too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TypeAlias

from scaffold.edit import match_keys

_VARIABLE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Chunk:
    """Consecutive lines (newlines kept) and the key they are matched by (None: unkeyed)."""

    key: str | None
    text: str


@dataclass
class TextMerge:
    """The merged text, whether a piece holds conflict markers, and notes for the owner."""

    text: str
    conflicted: bool = False
    notes: list[str] = field(default_factory=list)


Chunker: TypeAlias = Callable[[str], list[Chunk]]


def env_chunks(text: str) -> list[Chunk]:
    """Cut env text: each variable with the comment lines right above it; other lines unkeyed."""
    chunks: list[Chunk] = []
    comments: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("#"):
            comments.append(line)
            continue
        match = _VARIABLE.match(line)
        if match:
            chunks.append(Chunk(match[1], "".join([*comments, line])))
        else:
            chunks += [Chunk(None, c) for c in comments]
            chunks.append(Chunk(None, line))
        comments = []
    chunks += [Chunk(None, c) for c in comments]
    return chunks


def line_chunks(text: str) -> list[Chunk]:
    """Every non-blank line is keyed by itself; blank lines are unkeyed."""
    return [Chunk(line.strip() or None, line) for line in text.splitlines(keepends=True)]


def section_chunks(text: str) -> list[Chunk]:
    """Cut Markdown into sections, each from its ATX heading to the next; the preamble keyed ''."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            sections.append((f"{heading[1]} {heading[2]}", [line]))
        else:
            sections[-1][1].append(line)
    return [Chunk(key, "".join(lines)) for key, lines in sections if lines or key]


def chunker_for(path: str) -> Chunker | None:
    """Return the way to cut this file into keyed chunks, or None for a plain line merge."""
    name = PurePosixPath(path).name
    if name == ".env.example" or name.startswith(".env.") or name.endswith(".env"):
        return env_chunks
    if name.endswith("ignore"):  # .gitignore, .dockerignore, .prettierignore
        return line_chunks
    if name.lower().endswith((".md", ".markdown")):
        return section_chunks
    return None


def merge_chunks(base: str, ours: str, new: str, chunker: Chunker, *, origin: str) -> TextMerge:
    """Apply scaffold's change (base -> new) to the owner's text, chunk by chunk."""
    base_chunks, ours_chunks, new_chunks = chunker(base), chunker(ours), chunker(new)
    base_keys = [chunk.key for chunk in base_chunks]
    to_ours = match_keys(base_keys, [chunk.key for chunk in ours_chunks])
    to_new = match_keys(base_keys, [chunk.key for chunk in new_chunks])
    from_new = {n: b for b, n in to_new.items()}
    result: list[str | None] = [chunk.text for chunk in ours_chunks]
    outcome = TextMerge(text="")
    for b_index, chunk in enumerate(base_chunks):
        o_index = to_ours.get(b_index)
        if chunk.key is None or o_index is None:
            continue
        owners = ours_chunks[o_index].text
        if b_index not in to_new:
            if owners == chunk.text:
                result[o_index] = None
                _drop_blank_lines(result, ours_chunks, o_index, base_chunks, b_index)
            else:
                outcome.notes.append(f"{origin}: kept '{chunk.key}': you changed it")
            continue
        result[o_index] = _merged_chunk(
            chunk.text, owners, new_chunks[to_new[b_index]].text, outcome
        )
    matched = set(to_ours.values())
    theirs = {c.key for i, c in enumerate(ours_chunks) if c.key is not None and i not in matched}
    for n_index, chunk in enumerate(new_chunks):
        if chunk.key in theirs and n_index not in from_new:  # the owner has it: theirs stays
            outcome.notes.append(f"{origin}: kept your '{chunk.key}'; scaffold adds the same")
            new_chunks[n_index] = Chunk(None, "")
    pieces = _with_new_chunks(result, new_chunks, from_new=from_new, to_ours=to_ours)
    outcome.text = _joined(pieces)
    return outcome


def _with_new_chunks(
    result: list[str | None],
    new_chunks: list[Chunk],
    *,
    from_new: dict[int, int],
    to_ours: dict[int, int],
) -> list[str]:
    """Return the owner's chunks left in ``result``, with scaffold's new ones next to theirs."""
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    tail: list[str] = []
    for n_index, chunk in enumerate(new_chunks):
        if chunk.key is None or n_index in from_new:
            continue
        previous = _anchor(range(n_index - 1, -1, -1), new_chunks, from_new, to_ours, result)
        following = _anchor(
            range(n_index + 1, len(new_chunks)), new_chunks, from_new, to_ours, result
        )
        text = _blank_lines_before(new_chunks, n_index) + chunk.text
        if previous is not None:
            after.setdefault(previous, []).append(text)
        elif following is not None:
            before.setdefault(following, []).append(text)
        else:
            tail.append(text)
    pieces: list[str] = []
    for index, kept in enumerate(result):
        pieces += before.get(index, [])
        if kept is not None:
            pieces.append(kept)
        pieces += after.get(index, [])
    pieces += tail
    return pieces


def _anchor(
    indexes: range,
    new_chunks: list[Chunk],
    from_new: dict[int, int],
    to_ours: dict[int, int],
    result: list[str | None],
) -> int | None:
    for other in indexes:
        if new_chunks[other].key is None or other not in from_new:
            continue
        o_index = to_ours.get(from_new[other])
        if o_index is not None and result[o_index] is not None:
            return o_index
    return None


def _is_blank(chunk: Chunk) -> bool:
    return chunk.key is None and not chunk.text.strip()


def _drop_blank_lines(
    result: list[str | None],
    ours: list[Chunk],
    o_index: int,
    base: list[Chunk],
    b_index: int,
) -> None:
    """Take out the blank lines that came in with a dropped chunk (those before it in base)."""
    count = 0
    while b_index - count - 1 >= 0 and _is_blank(base[b_index - count - 1]):
        count += 1
    index = o_index - 1
    while count and index >= 0 and _is_blank(ours[index]) and result[index] is not None:
        result[index] = None
        count -= 1
        index -= 1


def _blank_lines_before(chunks: list[Chunk], index: int) -> str:
    """Return the blank lines between a new chunk and the one before it in scaffold's version."""
    blanks: list[str] = []
    for chunk in reversed(chunks[:index]):
        if chunk.key is not None or chunk.text.strip():
            break
        blanks.append(chunk.text)
    return "".join(blanks)


def _merged_chunk(base: str, ours: str, new: str, outcome: TextMerge) -> str:
    if ours == base:
        return new
    if new in (base, ours):
        return ours
    from scaffold.edit.lines import merge_text

    text, conflicted = merge_text(base, ours, new)
    outcome.conflicted |= conflicted
    return text


def _joined(pieces: list[str]) -> str:
    """Join chunks, giving a chunk that lacks its final newline one when another follows."""
    fixed = [
        p if p.endswith("\n") or i == len(pieces) - 1 else p + "\n" for i, p in enumerate(pieces)
    ]
    return "".join(fixed)
