"""copier's ``_migrations`` on ``update``: run as copier runs them, in a staging copy.

When ``update`` moves a copier blueprint from the tag the project records to a newer one, the
new template's migrations run as ``copier update`` runs them: those whose ``version`` is above
the old tag and at most the new one (and those without a version), in the order the template
declares them, the ``before`` stage before the merge and the ``after`` stage after it, in the
project's folder, with copier's variables (``$STAGE``, ``$VERSION_FROM``, ``$VERSION_TO``,
``$VERSION_CURRENT``, ``$VERSION_PEP440_*``). copier's own code selects, renders and runs them
(:func:`scaffold.copier_worker._migrate`), in the child process with its deadline.

Where they run, and why there: a migration is a program that may change any file, and
scaffold promises that nothing touches the disk until the whole result is known. Running the
``before`` stage in the project itself would change it before the merge is even computed, and
the journal cannot roll back files it was never told about. So the project is copied into a
private staging folder named as the project (``basename $PWD`` and ``_copier_conf.dst_path``
are the project's name), without ``.git``, virtual environments and caches (as the import check
copies it); ``before`` runs there, the three-way merge takes the migrated copy as the owner's
side, the merged files are written into the copy, ``after`` runs there, and what then differs
from the project becomes the plan: written once, through the journal, like any other change;
a failing migration writes nothing. ``--dry-run`` never runs them. The price: a migration sees
no ``.git`` (``git mv`` fails there; ``mv`` works), nor the virtual environment.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold.errors import BlueprintError, TrustError

if TYPE_CHECKING:
    from collections.abc import Callable

    from scaffold.compose import Selection
    from scaffold.merge import FileMerge
    from scaffold.project import Project


@dataclass(frozen=True)
class Migration:
    """One copier blueprint moving from one tag to another, with migrations that may run."""

    name: str
    template: Path  # the new version's checkout
    data: dict[str, Any]  # what copier was given to render it
    old: str  # the tag the project records (``v1.0.0``)
    new: str  # the tag it moves to


def _version(tag: str | None) -> Any:
    """Return the tag as a PEP 440 version, as copier reads it, or None."""
    from packaging.version import InvalidVersion, Version

    if not tag:
        return None
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def _may_run(migrations: Any, old: Any, new: Any) -> bool:
    """Whether any of ``_migrations`` applies between the two versions (as copier selects)."""
    if not isinstance(migrations, list):
        return False
    for migration in migrations:
        if not isinstance(migration, dict) or "version" not in migration:
            return True  # a command without a version runs on every update
        current = _version(str(migration["version"]))
        if current is not None and new >= current > old:
            return True
    return False


def pending_migrations(project: Project, selection: Selection) -> list[Migration]:
    """Return the copier blueprints whose migrations may run in this change, in order.

    Only a blueprint that moves to another tag: copier knows a template's version only from
    git, so a folder source has none and never migrates (copier runs none either). A version
    that goes back is refused later, and runs nothing here.
    """
    from scaffold.copier_config import read_copier_config
    from scaffold.copier_render import copier_file

    found = []
    for item in selection.items:
        recorded = project.record.blueprints.get(item.name)
        blueprint = item.blueprint
        if blueprint.engine != "copier" or recorded is None or item.name in selection.tasks_skipped:
            continue
        old, new = _version(recorded.ref), _version(blueprint.ref)
        if old is None or new is None or not new > old:
            continue
        config_path = copier_file(blueprint.root)
        if config_path is None:
            continue
        if not _may_run(read_copier_config(config_path).get("_migrations"), old, new):
            continue
        if not blueprint.trusted:  # rendering refused it already; never run untrusted code
            msg = f"blueprint '{item.name}' from {blueprint.source} runs code (migrations)"
            raise TrustError(msg, hint="review it, then pass --trust")
        data = selection.copier_data.get(item.name, {})
        versions = (str(recorded.ref), str(blueprint.ref))
        found.append(Migration(item.name, blueprint.root, data, *versions))
    return found


def describe(migrations: list[Migration]) -> str:
    """Name the blueprints and versions, for notes: ``acme (v1.0.0 -> v1.2.0)``."""
    return ", ".join(f"{m.name} ({m.old} -> {m.new})" for m in migrations)


def migrate_and_merge(
    project: Project,
    migrations: list[Migration],
    merge: Callable[[Project], list[FileMerge]],
) -> list[FileMerge]:
    """Run ``before``, merge into the migrated copy, run ``after``; return the whole change.

    ``merge`` computes the three-way merge with the given project as the owner's side. The
    result holds the merges of the files scaffold writes (their outcome kept where migrations
    left them as merged) and a ``migrated`` change for every other file a migration changed,
    each with the project's current content as ``before``.
    """
    with tempfile.TemporaryDirectory(prefix="scaffold-migrate-") as work:
        staging = Path(work) / project.root.resolve().name
        _copy_project(project.root, staging)
        for migration in migrations:
            _run_stage(migration, "before", staging)
        migrated = replace(project, root=staging)
        merges = merge(migrated)
        _write_merges(staging, merges, migrated)
        for migration in migrations:
            _run_stage(migration, "after", staging)
        changed = _changed(project.root, staging)
        final = {path: migrated.read(path) for path in changed}
    return _combine(project, merges, final)


def _ignored(folder: str, names: list[str]) -> set[str]:
    from scaffold.verify import ignored_in_copy

    return ignored_in_copy(folder, names)


def _copy_project(root: Path, staging: Path) -> None:
    from scaffold.verify import copy_regular

    try:
        shutil.copytree(root, staging, ignore=_ignored, symlinks=True, copy_function=copy_regular)
    except (shutil.Error, OSError) as error:
        msg = f"cannot copy the project to run its migrations: {error}"
        raise BlueprintError(msg, hint="nothing was written; check the project's files") from None


def _walk(root: Path) -> set[str]:
    """Return the files (and links) under ``root`` that the copy holds."""
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):  # links to folders are listed, never followed
        skipped = _ignored(folder, dirs)
        here = Path(folder).relative_to(root)
        links = [d for d in dirs if Path(folder, d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in skipped and d not in links]
        found |= {(here / name).as_posix() for name in [*files, *links]}
    return {p.removeprefix("./") for p in found}


def _same(left: Path, right: Path) -> bool:
    import filecmp

    if left.is_symlink() or right.is_symlink():
        both = left.is_symlink() and right.is_symlink()
        return both and left.readlink() == right.readlink()
    if any(path.exists() and not _regular(path) for path in (left, right)):
        return True  # a FIFO, socket or device: never copied, never scaffold's to change
    if _regular(left) != _regular(right):
        return False  # made or deleted
    return not _regular(left) or filecmp.cmp(left, right, shallow=False)


def _regular(path: Path) -> bool:
    import stat

    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _changed(root: Path, staging: Path) -> set[str]:
    """Return the files that differ between the project and the migrated copy."""
    from scaffold.record import RECORD_DIR

    paths = _walk(root) | _walk(staging)
    return {
        p for p in paths if not p.startswith(f"{RECORD_DIR}/") and not _same(root / p, staging / p)
    }


def _write_merges(staging: Path, merges: list[FileMerge], migrated: Project) -> None:
    """Put the merged files into the migrated copy, for the ``after`` stage to see."""
    from scaffold.apply import write_file

    for merge in merges:
        if merge.content == migrated.read(merge.path):
            continue
        target = staging / merge.path
        if target.is_symlink() or target.is_file():
            target.unlink()
        if merge.content is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, merge.content)


def _combine(
    project: Project, merges: list[FileMerge], final: dict[str, bytes | None]
) -> list[FileMerge]:
    """Return the change against the project: each file as the migrated copy ends up."""
    from scaffold.merge import FileMerge

    combined = []
    for merge in merges:
        before = project.read(merge.path)
        content = final.get(merge.path, before)
        if content == merge.content:  # as merged (kept as the merge made it: modes, links)
            touched = merge.outcome in {"unchanged", "kept"} and content != before
            outcome = "migrated" if touched else merge.outcome
            combined.append(FileMerge(merge.path, merge.content, outcome, before, merge.notes))
        else:  # an 'after' migration changed the merged file
            combined.append(FileMerge(merge.path, content, "migrated", before, merge.notes))
    done = {merge.path for merge in combined}
    combined += [
        FileMerge(path, content, "migrated", project.read(path))
        for path, content in sorted(final.items())
        if path not in done
    ]
    return combined


def _run_stage(migration: Migration, stage: str, staging: Path) -> None:
    request = {
        "mode": "migrate",
        "src": str(migration.template),
        "dst": str(staging),
        "data": migration.data,
        "stage": stage,
        "from": migration.old,
        "to": migration.new,
    }
    from scaffold.copier_render import WorkerTimeoutError, run_worker

    # git must not find a repository above the copy (a project inside a larger work tree)
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(staging.parent)}
    try:
        done = run_worker(request, env=env)
    except WorkerTimeoutError as error:
        took = f"its {stage} migrations did not finish within {error.seconds:.0f} s"
        msg = f"blueprint '{migration.name}': {took}"
        raise BlueprintError(msg, hint="nothing was written") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        msg = f"blueprint '{migration.name}': a {stage} migration failed: {reason}"
        raise BlueprintError(msg, hint="nothing was written; fix the template's _migrations")
