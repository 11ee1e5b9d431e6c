"""The line-based three-way merge, for files one blueprint owns whole and text without structure.

diff3, as ``git merge-file`` does it (Bazaar's merge3, pure Python): clean when the changes do
not touch the same or adjacent lines, else standard conflict markers, ``yours`` first.
"""

from __future__ import annotations

import re

START, MIDDLE, END = "<<<<<<< yours", "=======", ">>>>>>> scaffold"


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


# Marker lines, scaffold's own or git's (``<<<<<<< HEAD``), with Unix or Windows line endings.
_MARKERS = (
    re.compile(rb"<<<<<<<(?: .*)?"),
    re.compile(rb"======="),
    re.compile(rb">>>>>>>(?: .*)?"),
)


def has_conflict_markers(content: bytes) -> bool:
    """Say whether a file still holds a start, middle and end marker line, in that order.

    One pass over the lines (a file full of start markers costs no more than any other), and
    Windows line endings (CRLF) end a line as a newline does.
    """
    wanted = 0
    for line in content.splitlines():
        if _MARKERS[wanted].fullmatch(line.removesuffix(b"\r")):
            wanted += 1
            if wanted == len(_MARKERS):
                return True
    return False
