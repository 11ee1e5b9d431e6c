"""Three-way merge of one file.

The sides: what scaffold generated last time (base), what is on disk (ours), and what scaffold
would generate now (new).

The rules, per file (``None`` means the file does not exist on that side):

* ours == new: nothing to do.
* ours == base: the owner did not touch it: take new (create, replace or delete).
* base == new: scaffold did not change it: keep the owner's version, edits and deletion alike.
* otherwise, when all three sides exist, a structured merge by what the file is made of
  (:mod:`scaffold.edit`): Python by syntax tree, TOML by key, env files by variable, line
  sets by line, Markdown by section. A Python edit that cannot be made safely raises
  :class:`~scaffold.edit.UnsafeEditError`: the command writes nothing.
* otherwise a line merge (diff3, as ``git merge-file``): clean when the changes do not touch
  the same or adjacent lines, else the file gets standard conflict markers.
* A file the owner edited is never deleted: when scaffold drops it, it stays whole, with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scaffold.edit.lines import merge_text

# "migrated": a copier template's _migrations changed the file (scaffold.copier_migrate)
Outcome = Literal[
    "unchanged", "new", "replaced", "merged", "conflict", "deleted", "kept", "migrated"
]


@dataclass(frozen=True)
class FileMerge:
    """The merged content of one file (``None``: the file is absent) and what happened."""

    path: str
    content: bytes | None
    outcome: Outcome
    before: bytes | None  # what is on disk now
    notes: tuple[str, ...] = ()  # what the owner should know (a statement of theirs kept)

    @property
    def changes_disk(self) -> bool:
        """Whether applying this merge changes the working tree."""
        return self.content != self.before


def merge_file(
    path: str,
    base: bytes | None,
    ours: bytes | None,
    new: bytes | None,
    *,
    package: str = "",
) -> FileMerge:
    """Merge one file; see the module docstring for the rules.

    ``package``: the project's import package, so that imports land in the first-party group.
    """
    if ours == new:
        return FileMerge(path, ours, "unchanged", ours)
    if ours == base:
        if new is None:
            return FileMerge(path, None, "deleted", ours)
        return FileMerge(path, new, "new" if ours is None else "replaced", ours)
    if base == new:
        return FileMerge(path, ours, "kept", ours)
    if new is None and base is not None and ours is not None:
        # A file scaffold drops but the owner edited stays whole: their code may import it, and
        # stripping scaffold's statements out of it would break that without a word.
        note = f"{path}: kept: you edited it and scaffold no longer writes it; delete it if unused"
        return FileMerge(path, ours, "kept", ours, (note,))
    if base is not None and ours is not None and new is not None:
        structured = _merge_structured(path, base, ours, new, package=package)
        if structured is not None:
            return structured
    if base is None and ours is not None and new is not None and keyed_text(path):
        # The owner's own .env.example or .gitignore where a blueprint writes one: by variable
        # or line, scaffold's go in, theirs stay (a variable both have stays theirs).
        structured = _merge_structured(path, b"", ours, new, package=package)
        if structured is not None:
            return structured
    return _merge_lines(path, base, ours, new)


def keyed_text(path: str) -> bool:
    """Say whether the file merges by keyed pieces (env variables, lines, sections)."""
    from scaffold.edit.text import chunker_for

    return chunker_for(path) is not None


def _merge_structured(
    path: str, base: bytes, ours: bytes, new: bytes, *, package: str
) -> FileMerge | None:
    """Merge by the file's structure, or ``None`` when it has none scaffold knows."""
    try:
        base_text, ours_text, new_text = (side.decode("utf-8") for side in (base, ours, new))
    except UnicodeDecodeError:
        return None
    if path.endswith(".py"):
        from scaffold.edit.python import merge_python

        merged = merge_python(base_text, ours_text, new_text, origin=path, package=package)
        if merged is None:
            return None
        return _outcome(path, merged.code, ours, conflicted=False, notes=merged.notes)
    if path.endswith(".toml"):
        from scaffold.edit.toml import merge_toml

        toml = merge_toml(base_text, ours_text, new_text, origin=path)
        if toml is None:
            return None
        return _outcome(path, toml.text, ours, conflicted=False, notes=toml.notes)
    from scaffold.edit.text import chunker_for, merge_chunks

    chunker = chunker_for(path)
    if chunker is None:
        return None
    text = merge_chunks(base_text, ours_text, new_text, chunker, origin=path)
    return _outcome(path, text.text, ours, conflicted=text.conflicted, notes=text.notes)


def _outcome(path: str, text: str, ours: bytes, *, conflicted: bool, notes: list[str]) -> FileMerge:
    content = text.encode("utf-8")
    outcome: Outcome = "conflict" if conflicted else "merged" if content != ours else "kept"
    return FileMerge(path, content, outcome, ours, tuple(notes))


def _merge_lines(path: str, base: bytes | None, ours: bytes | None, new: bytes | None) -> FileMerge:
    try:
        texts = [(side or b"").decode("utf-8") for side in (base, ours, new)]
    except UnicodeDecodeError:
        # Not text: no merge can keep both sides. Keeping the owner's file while the record
        # moves on would drop the blueprint's change without a word; so nothing is written.
        from scaffold.untrusted import UnreadableError

        msg = f"cannot merge {path}: it is not UTF-8 text, and both you and scaffold changed it"
        hint = "nothing was changed; restore scaffold's version or convert the file to UTF-8"
        raise UnreadableError(msg, hint=hint) from None
    base_text, ours_text, new_text = texts
    merged, conflicted = merge_text(base_text, ours_text, new_text)
    if not conflicted and new is None and not merged.strip():
        return FileMerge(path, None, "deleted", ours)
    return FileMerge(path, merged.encode("utf-8"), "conflict" if conflicted else "merged", ours)
