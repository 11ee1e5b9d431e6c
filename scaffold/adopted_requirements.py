"""Requirements in an adopted project: runtime ones and development ones, in and out.

Where each kind goes is :mod:`scaffold.dependency_edit`'s and
:mod:`scaffold.dev_dependency_edit`'s business; this module pairs what scaffold added last time
(the memory) with what the blueprints need now, takes out what nothing needs, adds what is
missing, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold.dependency_edit import add_requirements, remove_requirements, requirement_name
from scaffold.dev_dependency_edit import add_dev_requirements, remove_dev_requirements
from scaffold.merge import FileMerge, Outcome

if TYPE_CHECKING:
    from collections.abc import Callable

    from scaffold.adopted import Rendered
    from scaffold.adopted_memory import Memory
    from scaffold.project import Project


@dataclass(frozen=True)
class RequirementsChange:
    """The requirement files' merges, what to say, and what to remember as scaffold's."""

    merges: list[FileMerge]
    notes: list[str]
    added: tuple[str, ...]  # the requirement lines scaffold added and still wants
    dev_added: tuple[str, ...] = ()  # the same for development requirements


@dataclass(frozen=True)
class _RequirementsStep:
    notes: list[str]
    added: tuple[str, ...]


def plan_requirements(
    project: Project,
    rendered: Rendered,
    previous: Memory,
    *,
    keep_retired: bool = False,
    folder: str = "",
) -> RequirementsChange:
    """Plan the requirement edits.

    ``keep_retired``: files of scaffold's stay, so the requirements no blueprint needs now stay
    too (those files may need them), as the owner's. ``folder``: where the owner's project
    files are (``backend``; ``""`` for the root), see :func:`scaffold.adopted.owners_folder`.
    """
    edited: dict[str, bytes] = {}  # by path in the folder

    def read(path: str) -> bytes | None:
        return edited[path] if path in edited else project.read(_in(folder, path))

    composition = rendered.composition
    retired = _retired(composition.dependencies, previous.requirements) if keep_retired else []
    runtime = _requirements_step(
        read,
        edited,
        composition.dependencies,
        tuple(item for item in previous.requirements if item not in retired),
        development=False,
        folder=folder,
    )
    if retired:
        runtime.notes.append(
            f"kept the requirements {', '.join(retired)}: the files scaffold kept may need "
            "them, so they are yours now"
        )
    development = _requirements_step(
        read,
        edited,
        composition.dev_dependencies,
        previous.dev_requirements,
        development=True,
        folder=folder,
    )
    merges = []
    for path, content in sorted(edited.items()):
        before = project.read(_in(folder, path))
        outcome: Outcome = "merged" if content != before else "unchanged"
        merges.append(FileMerge(_in(folder, path), content, outcome, before))
    notes = [*runtime.notes, *development.notes]
    return RequirementsChange(merges, notes, runtime.added, development.added)


def _in(folder: str, path: str) -> str:
    return f"{folder}/{path}" if folder else path


def _retired(wanted: list[str], previous: tuple[str, ...]) -> list[str]:
    needed = {requirement_name(item) for item in wanted}
    return [item for item in previous if requirement_name(item) not in needed]


def _requirements_step(
    read: Callable[[str], bytes | None],
    edited: dict[str, bytes],
    wanted: list[str],
    previous: tuple[str, ...],
    *,
    development: bool,
    folder: str,
) -> _RequirementsStep:
    """Take out the requirements no blueprint needs now, then add the missing ones."""
    add, remove = (
        (add_dev_requirements, remove_dev_requirements)
        if development
        else (add_requirements, remove_requirements)
    )
    what = "development requirements" if development else "requirements"
    needed = {requirement_name(item) for item in wanted}
    retired = _retired(wanted, previous)
    removal = remove(read, retired)
    if retired and removal.path is not None and removal.content != read(removal.path):
        taken_from = _in(folder, removal.path)
        removal.notes.append(f"{what} taken out of {taken_from}: {', '.join(retired)}")
    if removal.path is not None and removal.content is not None:
        edited[removal.path] = removal.content
    addition = add(read, wanted)
    if addition.path is not None and addition.content is not None:
        edited[addition.path] = addition.content
    notes = [*removal.notes, *addition.notes]
    if addition.added:
        added = ", ".join(addition.added)
        notes.append(f"{what} added to {_in(folder, addition.path or '')}: {added}; install them")
    kept = (item for item in previous if requirement_name(item) in needed)
    return _RequirementsStep(notes, (*kept, *addition.added))
