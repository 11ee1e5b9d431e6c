"""What a command would do to a project: the merges per file and the notes, before writing.

``add``, ``remove`` and ``update`` compute a :class:`Plan` (:mod:`scaffold.evolve`, and for an
adopted project :mod:`scaffold.adopted`); the CLI writes it with the one writer, or shows it
with ``--dry-run``, and reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scaffold.compose import Selection
    from scaffold.merge import FileMerge
    from scaffold.models import ProjectSpec
    from scaffold.project import Project


@dataclass
class Plan:
    """What a command would do to a project."""

    project: Project
    spec: ProjectSpec
    selection: Selection
    merges: list[FileMerge]
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[FileMerge]:
        """The merges that change the working tree (the record included)."""
        return [merge for merge in self.merges if merge.changes_disk]

    @property
    def conflicts(self) -> list[str]:
        """The files that get conflict markers (or, binary, could not be merged)."""
        return [merge.path for merge in self.merges if merge.outcome == "conflict"]
