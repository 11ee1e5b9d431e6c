"""Three-way merge of one file.

The sides: what scaffold generated last time (base), what is on disk (ours), and what scaffold
would generate now (new).

The rules, per file (``None`` means the file does not exist on that side):

* ours == new: nothing to do.
* ours == base: the owner did not touch it: take new (create, replace or delete).
* base == new: scaffold did not change it: keep the owner's version, edits and deletion alike.
* otherwise a line merge (diff3, as ``git merge-file``): clean when the changes do not touch
  the same or adjacent lines, else the file gets standard conflict markers. A file the owner
  edited is never deleted: when scaffold drops it, the owner's lines stay inside markers.

``pyproject.toml`` first gets its dependency arrays merged by requirement, so that a dependency
a blueprint adds next to one the owner added is not a conflict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["unchanged", "new", "replaced", "merged", "conflict", "deleted", "kept"]
START, MIDDLE, END = "<<<<<<< yours", "=======", ">>>>>>> scaffold"


@dataclass(frozen=True)
class FileMerge:
    """The merged content of one file (``None``: the file is absent) and what happened."""

    path: str
    content: bytes | None
    outcome: Outcome
    before: bytes | None  # what is on disk now

    @property
    def changes_disk(self) -> bool:
        """Whether applying this merge changes the working tree."""
        return self.content != self.before


def merge_file(path: str, base: bytes | None, ours: bytes | None, new: bytes | None) -> FileMerge:
    """Merge one file; see the module docstring for the rules."""
    if ours == new:
        return FileMerge(path, ours, "unchanged", ours)
    if ours == base:
        if new is None:
            return FileMerge(path, None, "deleted", ours)
        return FileMerge(path, new, "new" if ours is None else "replaced", ours)
    if base == new:
        return FileMerge(path, ours, "kept", ours)
    return _merge_lines(path, base, ours, new)


def _merge_lines(path: str, base: bytes | None, ours: bytes | None, new: bytes | None) -> FileMerge:
    try:
        texts = [(side or b"").decode("utf-8") for side in (base, ours, new)]
    except UnicodeDecodeError:  # binary: keep the owner's file and report the conflict
        return FileMerge(path, ours, "conflict", ours)
    base_text, ours_text, new_text = texts
    if path == "pyproject.toml" or path.endswith("/pyproject.toml"):
        base_text, ours_text = _merge_requirements(base_text, ours_text, new_text)
    merged, conflicted = merge_text(base_text, ours_text, new_text)
    if not conflicted and new is None and not merged.strip():
        return FileMerge(path, None, "deleted", ours)
    return FileMerge(path, merged.encode("utf-8"), "conflict" if conflicted else "merged", ours)


def merge_text(base: str, ours: str, new: str) -> tuple[str, bool]:
    """Merge three texts line by line; return the result and whether it has conflicts."""
    from merge3 import Merge3  # imported only when a real merge is needed

    base_lines, ours_lines, new_lines = (t.splitlines(keepends=True) for t in (base, ours, new))
    merger = Merge3(base_lines, ours_lines, new_lines)
    lines = list(
        merger.merge_lines(
            name_a="yours",
            name_b="scaffold",
            start_marker="<<<<<<<",
            mid_marker="=======",
            end_marker=">>>>>>>",
        )
    )
    # A side without a final newline would glue the marker onto its last line.
    fixed: list[str] = []
    for line in lines:
        if line.startswith((MIDDLE, ">>>>>>>")) and fixed and not fixed[-1].endswith("\n"):
            fixed[-1] += "\n"
        fixed.append(line)
    text = "".join(fixed)
    return text, any(line.startswith("<<<<<<< yours") for line in fixed)


def has_conflict_markers(content: bytes) -> bool:
    """Say whether a file still holds conflict markers from a merge."""
    return bool(re.search(rb"^<<<<<<< yours$", content, flags=re.MULTILINE))


# --- pyproject.toml: dependencies merge by requirement ---------------------------------------

# An array's body is strings (which may hold "]", as in "fastapi[standard]") and other text.
_ARRAY = re.compile(
    r'^(?P<key>dependencies|dev)\s*=\s*\[(?P<body>(?:"(?:[^"\\\n]|\\.)*"|[^\]"])*)\]',
    flags=re.MULTILINE,
)
_ITEM = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _requirements(text: str) -> dict[str, list[str]]:
    return {m["key"]: _ITEM.findall(m["body"]) for m in _ARRAY.finditer(text)}


def _merge_requirements(base: str, ours: str, new: str) -> tuple[str, str]:
    """Apply scaffold's added and dropped requirements to the owner's arrays.

    Returns (base', ours'): ours' is the owner's file with each array edited line by line (the
    owner's items, order and comments stay); base' is base with new's arrays, so the line merge
    sees no change from scaffold there and keeps ours', and merges the rest of the file as usual.
    """
    base_sets, new_sets = _requirements(base), _requirements(new)
    new_arrays = {match["key"]: match.group(0) for match in _ARRAY.finditer(new)}

    def edit_ours(match: re.Match[str]) -> str:
        key = match["key"]
        if key not in new_sets:
            return match.group(0)
        added = [r for r in new_sets[key] if r not in base_sets.get(key, [])]
        dropped = set(base_sets.get(key, [])) - set(new_sets[key])
        return _edit_array(match, added, dropped)

    merged_base = _ARRAY.sub(lambda m: new_arrays.get(m["key"], m.group(0)), base)
    return merged_base, _ARRAY.sub(edit_ours, ours)


def _edit_array(match: re.Match[str], added: list[str], dropped: set[str]) -> str:
    key, body = match["key"], match["body"]
    present = _ITEM.findall(body)
    added = [item for item in added if item not in present]
    if not added and not dropped & set(present):
        return match.group(0)
    if "\n" not in body:  # an inline array: rewrite it inline
        items = [item for item in present if item not in dropped] + added
        return f"{key} = [" + ", ".join(f'"{item}"' for item in items) + "]"
    lines = body.split("\n")
    kept = [line for line in lines if not any(f'"{item}"' in line for item in dropped)]
    head, closing = kept[:-1], kept[-1]  # the last piece is the indentation before "]"
    last_item = max((i for i, line in enumerate(head) if _ITEM.search(line)), default=None)
    if last_item is not None:
        code, hash_, comment = head[last_item].partition("#")
        if not code.rstrip().endswith(","):
            head[last_item] = code.rstrip() + "," + (f"  {hash_}{comment}" if hash_ else "")
    head += [f'    "{item}",' for item in added]
    return f"{key} = [" + "\n".join([*head, closing]) + "]"
