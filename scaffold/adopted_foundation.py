"""A project made ``--from`` a copier template: the template's files are its foundation.

Such a project is adopted (:mod:`scaffold.adopted`) with ``[adopted].foundation`` naming the
template. The template's files, its app module and ``pyproject.toml`` included, are scaffold's:
merged three-way on update like any blueprint's file (base: what the template wrote last
time). Scaffold's own edits of those files (mounts, routers, requirements, fixtures) then
start from that merge, read through :class:`Merged`; a file merged first and edited after is
one change (:func:`one_per_file`). What copier leaves to the owner stays theirs, as in a
generated project (:mod:`scaffold.evolve`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from scaffold.project import Project

if TYPE_CHECKING:
    from scaffold.adopted import Rendered
    from scaffold.adopted_memory import Memory
    from scaffold.compose import Selection
    from scaffold.merge import FileMerge, Outcome
    from scaffold.record import Adopted


def carry_copier_state(own: Selection, selection: Selection) -> None:
    """Keep what rendering ``own`` learnt of its copier templates on the whole selection.

    The record reads it there: the answers copier computed, the paths it wrote alone (so the
    files the template's ``.gitignore`` excludes stay out of ``base.zip``).
    """
    selection.computed.update(own.computed)
    selection.copier_data.update(own.copier_data)
    selection.copier_paths.update(own.copier_paths)
    selection.tasks_skipped.update(own.tasks_skipped)
    selection.skip_if_exists.extend(
        p for p in own.skip_if_exists if p not in selection.skip_if_exists
    )


def left_to_template(
    project: Project, rendered: Rendered, base: dict[str, bytes], previous: Memory
) -> set[str]:
    """Take out of ``rendered`` the template's files that stay as they are on disk; return them.

    As in a generated project (:mod:`scaffold.evolve`): those the template's ``.gitignore``
    excludes (a ``.env``) and its ``_skip_if_exists`` names are the owner's once they exist;
    a template rendered again only to merge another blueprint's change, without its tasks,
    stands for its files as last time (the base's version, and those its tasks wrote).
    """
    from scaffold.evolve import left_to_owner, replayed_only  # one rule for both engines

    kept = left_to_owner(project, rendered.selection, rendered.tree)
    for path in kept:
        del rendered.tree[path]
    if replayed_only(rendered.selection, base, rendered.tree):
        kept |= {p for p in previous.foundation_files if p in base and p not in rendered.tree}
    return kept


def foundation_paths(rendered: Rendered, adopted: Adopted) -> set[str]:
    """Return the files the project's foundation template writes (none without one).

    They are scaffold's, its app module and ``pyproject.toml`` included: merged three-way on
    update like any blueprint's file, then edited like the owner's.
    """
    if adopted.foundation is None or adopted.foundation not in rendered.selection.names:
        return set()
    return rendered.selection.copier_paths & set(rendered.tree)


@dataclass(frozen=True)
class Merged(Project):
    """The project as it will be once its foundation's files are merged: edits start there."""

    merged: dict[str, bytes | None] = field(default_factory=dict)

    def read(self, relative: str) -> bytes | None:
        """Return the merged content of a foundation file, else what is on disk."""
        if relative in self.merged:
            return self.merged[relative]
        return super().read(relative)


def merged_foundation(project: Project, merges: list[FileMerge], foundation: set[str]) -> Project:
    """Return ``project`` read through its foundation's merged files; refuse a conflict there.

    The app module, ``pyproject.toml`` and the conftest are edited after the merge, and an
    edit of a file holding conflict markers would not parse.
    """
    if not foundation:
        return project
    conflicted = [m.path for m in merges if m.path in foundation and m.outcome == "conflict"]
    if conflicted:
        from scaffold.adopted import AdoptedChangeError

        msg = (
            f"the template's new version and your edits conflict in {', '.join(conflicted)}, "
            "which scaffold must edit after merging"
        )
        raise AdoptedChangeError(msg, hint="make your change there smaller, or update by hand")
    merged = {m.path: m.content for m in merges if m.path in foundation}
    return Merged(project.root, project.record, project.recovered, merged=merged)


def one_per_file(merges: list[FileMerge]) -> list[FileMerge]:
    """Fold the merges of one file (the foundation's merge, then scaffold's edit) into one.

    The last holds the content; the first read what is on disk now.
    """
    by_path: dict[str, list[FileMerge]] = {}
    for merge in merges:
        by_path.setdefault(merge.path, []).append(merge)
    folded = []
    for group in by_path.values():
        first, last = group[0], group[-1]
        if len(group) == 1:
            folded.append(last)
            continue
        outcome: Outcome = "merged"
        if any(m.outcome == "conflict" for m in group):
            outcome = "conflict"
        elif last.content == first.before:
            outcome = "unchanged"
        elif last.content is None:
            outcome = "deleted"
        elif first.before is None:
            outcome = "new"
        notes = tuple(note for m in group for note in m.notes)
        folded.append(replace(last, before=first.before, outcome=outcome, notes=notes))
    return folded
