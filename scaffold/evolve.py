"""Changing an existing project: ``add``, ``remove`` and ``update`` as one three-way merge.

Each command computes a new spec, renders it (formatted) in memory, and merges it file by file
with the base (what scaffold generated last time, from the project's record) and what is on
disk. The plan is applied atomically, or shown as a diff with ``--dry-run``. The record is
rewritten last: the new base is what scaffold generated now, not the merged result, so the next
merge again separates the owner's lines from scaffold's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scaffold import __version__
from scaffold.errors import ResolutionError
from scaffold.merge import FileMerge, merge_file
from scaffold.pipeline import render_project
from scaffold.plan import Plan
from scaffold.record import RECORD_DIR, record_files
from scaffold.uv_lock import stale_lock_notes

if TYPE_CHECKING:
    from collections.abc import Callable

    from scaffold.catalog import Catalog, SourceLike
    from scaffold.compose import Selection
    from scaffold.merge import Outcome
    from scaffold.models import ProjectSpec
    from scaffold.project import Project
    from scaffold.sources import Source


def plan_change(
    project: Project,
    spec: ProjectSpec,
    *,
    sources: tuple[SourceLike, ...] = (),
    catalog: Catalog | None = None,
) -> Plan:
    """Merge what ``spec`` generates now into the project; nothing is written.

    ``catalog``: the blueprints to use (the CLI loads them with the configured sources and
    trust); without it, the record's sources and ``sources`` are loaded.
    """
    if project.record.adopted is not None:  # the owner's app module stands in for main.py
        from scaffold.adopted import plan_adopted_change
        from scaffold.copier_render import copier_memo

        with copier_memo():  # a template renders (and its tasks run) once, migrations or not
            plan = plan_adopted_change(project, spec, sources=sources, catalog=catalog)
            if plan.selection.copier_data:
                return _adopted_migrated(plan, sources=sources, catalog=catalog)
        return plan
    selection, new_tree = render_project(spec, sources=project.sources() + sources, catalog=catalog)
    base = project.base()
    replayed = replayed_only(selection, base, new_tree)

    def merge(ours: Project) -> list[FileMerge]:
        """Merge base and new into ``ours``: the project, or its copy the migrations changed."""
        owners_own = left_to_owner(ours, selection, new_tree)
        return [
            FileMerge(path, ours.read(path), "kept", ours.read(path))
            if path in owners_own or (path in base and path not in new_tree and replayed)
            else merge_file(
                path, base.get(path), ours.read(path), new_tree.get(path), package=spec.package
            )
            for path in sorted(set(base) | set(new_tree))
            if not path.startswith(f"{RECORD_DIR}/")
        ]

    notes: list[str] = []
    merges = _migrated(project, selection, merge, notes) if selection.copier_data else None
    if merges is None:
        merges = merge(project)
    if replayed:  # what the record gets: the template's files as its tasks left them
        new_tree = {**new_tree, **{p: base[p] for p in base if p not in new_tree}}
    for path, content in record_files(
        spec, selection, new_tree, __version__, root=project.root
    ).items():
        before = project.read(path)
        merges.append(
            FileMerge(path, content, "unchanged" if before == content else "replaced", before)
        )
    notes += [note for merge in merges for note in merge.notes]
    notes += stale_lock_notes(project, merges)
    return Plan(project=project, spec=spec, selection=selection, merges=merges, notes=notes)


def _adopted_migrated(
    plan: Plan, *, sources: tuple[SourceLike, ...], catalog: Catalog | None
) -> Plan:
    """Plan an adopted project's change again around the migrations of its moving templates.

    A project made ``--from`` a template is adopted: its template's ``_migrations`` run as in
    a generated project (:func:`_migrated`), the adopted engine's plan as the merge, planned
    again on the migrated copy (and verified there: the app imports). The templates' renders
    are the ones ``plan`` made (:func:`scaffold.copier_render.copier_memo`).
    """
    from dataclasses import replace

    from scaffold.adopted import plan_adopted_change

    project = plan.project
    inner: list[Plan] = []

    def merge(ours: Project) -> list[FileMerge]:
        replanned = plan_adopted_change(
            ours, plan.spec, sources=sources, catalog=catalog, record_root=project.root
        )
        inner.append(replanned)
        return [m for m in replanned.merges if not m.path.startswith(f"{RECORD_DIR}/")]

    notes: list[str] = []
    merges = _migrated(project, plan.selection, merge, notes)
    if merges is None:
        return replace(plan, notes=[*plan.notes, *notes])
    for merge_ in inner[-1].merges:
        if merge_.path.startswith(f"{RECORD_DIR}/"):
            before = project.read(merge_.path)
            outcome: Outcome = "unchanged" if before == merge_.content else "replaced"
            merges.append(replace(merge_, before=before, outcome=outcome))
    return Plan(project, plan.spec, inner[-1].selection, merges, notes=[*inner[-1].notes, *notes])


def _migrated(
    project: Project,
    selection: Selection,
    merge: Callable[[Project], list[FileMerge]],
    notes: list[str],
) -> list[FileMerge] | None:
    """Merge around the ``_migrations`` of the copier blueprints that move, when any may run.

    They run in a staging copy of the project (:mod:`scaffold.copier_migrate` says why), never
    in a dry run. None when there are none to run.
    """
    from scaffold.copier_migrate import describe, migrate_and_merge, pending_migrations
    from scaffold.copier_render import current_run

    migrations = pending_migrations(project, selection)
    if not migrations:
        return None
    if not current_run().run_tasks:
        notes.append(f"dry run: the migrations of {describe(migrations)} were not run")
        return None
    notes.append(f"ran the migrations of {describe(migrations)}")
    return migrate_and_merge(project, migrations, merge)


def replayed_only(selection: Selection, base: dict[str, bytes], new_tree: dict[str, bytes]) -> bool:
    """Take the base's version of the files of copier blueprints that were only replayed.

    A copier blueprint this command neither adds nor updates renders again without its tasks
    (no code of its runs); its files are as last time, so the base's version, which holds
    what its tasks did, stands for them, and nothing of the base is deleted. Says whether any
    blueprint was replayed.
    """
    if not selection.tasks_skipped:
        return False
    for path in selection.copier_paths & set(base):
        new_tree[path] = base[path]
    return True


def left_to_owner(project: Project, selection: Selection, new_tree: dict[str, bytes]) -> set[str]:
    """Return the files a copier template leaves to the owner once they exist.

    Those its own ``.gitignore`` excludes (a ``.env`` with passwords, never in the base) and
    those its ``_skip_if_exists`` names: copier leaves them alone on update, and so does this.
    """
    from scaffold.copier_render import ignored_by_template

    if not selection.copier_paths:
        return set()
    owners = ignored_by_template(new_tree, selection.copier_paths)
    if selection.skip_if_exists:
        import pathspec

        spec = pathspec.PathSpec.from_lines("gitignore", selection.skip_if_exists)
        owners |= {p for p in new_tree if spec.match_file(p)}
    return {p for p in owners if project.read(p) is not None}


def spec_with(project: Project, added: dict[str, dict[str, Any]]) -> ProjectSpec:
    """Return the project's spec with blueprints added (or their options changed)."""
    from scaffold.models import ProjectSpec

    current = project.spec()
    blueprints = {name: dict(options) for name, options in current.blueprints.items()}
    for name, options in added.items():
        blueprints[name] = {**blueprints.get(name, {}), **options}
    automatic = current.automatic - set(added)
    return ProjectSpec.model_validate(
        {
            **current.model_dump(exclude={"blueprints", "automatic"}),
            "blueprints": blueprints,
            "automatic": automatic,
        }
    )


def spec_without(project: Project, removed: list[str]) -> ProjectSpec:
    """Return the project's spec without ``removed``."""
    from scaffold.models import ProjectSpec

    current = project.spec()
    blueprints = {k: v for k, v in current.blueprints.items() if k not in removed}
    return ProjectSpec.model_validate(
        {
            **current.model_dump(exclude={"blueprints", "automatic"}),
            "blueprints": blueprints,
            "automatic": current.automatic - set(removed),
        }
    )


def check_removable(plan: Plan, removed: list[str]) -> None:
    """Refuse a removal that the remaining blueprints undo by requiring what was removed."""
    for item in plan.selection.items:
        if item.name in removed:
            if item.blueprint.manifest.always:
                msg = f"'{item.name}' is part of every project and cannot be removed"
                raise ResolutionError(msg)
            needers = [
                other.name
                for other in plan.selection.items
                if item.name in other.blueprint.manifest.requires
            ]
            msg = f"cannot remove '{item.name}': {', '.join(needers)} requires it"
            raise ResolutionError(msg, hint=f"remove {', '.join(needers)} too, or keep it")


def retarget(project: Project, names: list[str], version: str) -> tuple[Source, ...]:
    """Return sources putting the git-sourced blueprints among ``names`` at ``version``."""
    from dataclasses import replace

    moved = tuple(
        replace(source, ref=version, commit=None, layer="flag")
        for source in project.sources(moving=names)
        if source.kind == "git" and source.pins & set(names)
    )
    if not moved:
        others = ", ".join(f"{n} ({project.record.blueprints[n].source})" for n in names[:3])
        msg = f"--to needs a blueprint from a git source; {others} have no tags to choose"
        raise ResolutionError(msg, hint="name a blueprint that came from a git repository")
    return moved


def check_not_downgraded(project: Project, plan: Plan) -> None:
    """Refuse to move any blueprint to a version older than the one the project records."""
    from scaffold.gitsource import version_key

    for item in plan.selection.items:
        recorded = project.record.blueprints.get(item.name)
        new = item.blueprint.manifest.version
        if recorded is not None and version_key(new) < version_key(recorded.version):
            msg = f"refusing to move '{item.name}' back from {recorded.version} to {new}"
            hint = (
                "scaffold only moves blueprints forward; pick a newer --to, or remove and "
                "add the blueprint again"
            )
            raise ResolutionError(msg, hint=hint)
