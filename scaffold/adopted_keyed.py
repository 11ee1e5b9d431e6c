"""The owner's own keyed text files in an adopted project: an ``.env.example`` merged by variable.

When a blueprint writes an ``.env.example`` and the owner already has one, the blueprint's
variables are merged into theirs (:func:`scaffold.merge.merge_file`, against an empty base).
A file scaffold made is three-way merged as in any project, but this one is the owner's: when
the blueprint goes, the file stays, and only the pieces scaffold inserted come out. So the
memory (:class:`~scaffold.adopted_memory.KeyedFile`) keeps their keys, and whether scaffold gave
the owner's last line its final newline; ``base.zip`` keeps their text as scaffold wrote them.

This is for adopted projects only, on purpose: a generated project's ``.env.example`` is
scaffold's own, and the shared merge keeps an edited one whole when its blueprint goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scaffold.adopted_memory import KeyedFile
from scaffold.edit.text import chunker_for, merge_chunks
from scaffold.merge import FileMerge, Outcome

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scaffold.adopted_memory import Memory
    from scaffold.edit.text import Chunker


def plan_keyed_files(
    merges: list[FileMerge],
    *,
    base: Mapping[str, bytes],
    tree: Mapping[str, bytes],
    previous: Memory,
) -> tuple[list[FileMerge], tuple[KeyedFile, ...]]:
    """Return the merges, and what to remember of the owner's keyed files for next time.

    An owner's keyed file that no blueprint writes now loses scaffold's pieces, not the file.
    """
    recorded = {entry.path: entry for entry in previous.keyed_files}
    planned: list[FileMerge] = []
    remembered: list[KeyedFile] = []
    for merge in merges:
        entry = _owners_file(merge, recorded, base, tree)
        scaffolds, ours = base.get(merge.path), merge.before
        if entry is None:
            planned.append(merge)
        elif merge.path in tree:
            planned.append(merge)
            remembered.append(_after(entry, merge, tree[merge.path]))
        elif scaffolds is not None and ours is not None:
            # Not remembered: with scaffold's pieces out, the file is all the owner's again.
            planned.append(_taken_out(entry, scaffolds, ours))
        else:
            planned.append(merge)
    return planned, tuple(remembered)


def _owners_file(
    merge: FileMerge,
    recorded: Mapping[str, KeyedFile],
    base: Mapping[str, bytes],
    tree: Mapping[str, bytes],
) -> KeyedFile | None:
    """Return the record of an owner's keyed file, a new one when a blueprint's meets it first."""
    if merge.path in recorded:
        return recorded[merge.path]
    first_meeting = merge.path in tree and merge.path not in base and merge.before is not None
    return KeyedFile(merge.path) if first_meeting and chunker_for(merge.path) else None


def _keys(path: str, content: bytes | None) -> list[str]:
    chunker = chunker_for(path)
    if chunker is None or content is None:
        return []
    text = content.decode("utf-8", "replace")
    return [chunk.key for chunk in chunker(text) if chunk.key is not None]


def _after(entry: KeyedFile, merge: FileMerge, new: bytes) -> KeyedFile:
    """Return what to remember: the keys of scaffold's pieces in the merged file.

    A key the owner had before scaffold's arrived stays theirs, even when scaffold writes the
    same; one scaffold inserted stays scaffold's while the merged file still has it.
    """
    had = set(_keys(merge.path, merge.before))
    merged = set(_keys(merge.path, merge.content))
    keys = tuple(
        key
        for key in _keys(merge.path, new)
        if key in merged and (key in entry.keys or key not in had)
    )
    before, after = merge.before or b"", merge.content or b""
    newline = bool(before) and not before.endswith(b"\n") and after.startswith(before + b"\n")
    return KeyedFile(merge.path, keys, bool(keys) and (entry.newline or newline))


def _taken_out(entry: KeyedFile, scaffolds: bytes, ours: bytes) -> FileMerge:
    """Take scaffold's pieces out of the owner's file, the ones the owner changed aside.

    The structural merge does it, with scaffold's side losing exactly the recorded pieces: a
    piece still as scaffold wrote it goes with the blank lines it came with, a changed one stays
    with a note, and the owner's own pieces are not scaffold's to take.
    """
    chunker = chunker_for(entry.path)
    try:
        base, text = scaffolds.decode("utf-8"), ours.decode("utf-8")
    except UnicodeDecodeError:
        chunker = None
    if chunker is None:
        note = f"{entry.path}: kept whole: it is not UTF-8 text, so scaffold's lines stay in it"
        return FileMerge(entry.path, ours, "kept", ours, (note,))
    remaining = "".join(c.text for c in chunker(base) if c.key not in entry.keys)
    merged = merge_chunks(base, text, remaining, chunker, origin=entry.path)
    result = _owners_ending(entry, text, merged.text, chunker)
    content = result.encode("utf-8")
    outcome: Outcome = "merged" if content != ours else "kept"
    return FileMerge(entry.path, content, outcome, ours, tuple(merged.notes))


def _owners_ending(entry: KeyedFile, ours: str, result: str, chunker: Chunker) -> str:
    """Give back the owner's missing final newline, when scaffold's pieces were last and all go.

    Then what is left is the start of the file, ending in the newline scaffold added.
    """
    left = {chunk.key for chunk in chunker(result)}
    tail_gone = ours.startswith(result) and result != ours and not left & set(entry.keys)
    if entry.newline and tail_gone and result.endswith("\n"):
        return result[:-1]
    return result
