"""``scaffold new NAME --from TEMPLATE``: a copier template as the project's foundation.

A template that writes a whole project (its ``pyproject.toml``, README, app) is not a feature
beside base's app: it takes base's place. So the template is rendered alone (by copier, as
``copier copy`` would write it); the FastAPI app it wrote is found as ``scaffold adopt`` finds
one; and the project is recorded as an adopted project whose *foundation* is the template. The
other blueprints chosen are then added through the adopted engine, which edits the template's
app module in place; ``add``, ``remove``, ``update`` (to the template's next tag), ``status``
and ``check`` work on it as on any adopted project, the template's files being scaffold's to
merge three-way.

A template without a FastAPI app (a library template) cannot stand in for base: base's app is
added beside it, as ``-b TEMPLATE`` does, and a note says so.

Everything happens in a private folder; the destination is written once, at the end, by the
same writer as ``new`` (nothing is written on error, Ctrl-C or ``--dry-run``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold.errors import BlueprintError

if TYPE_CHECKING:
    from collections.abc import Callable

    from scaffold.apply import WriteResult
    from scaffold.catalog import Blueprint, Catalog
    from scaffold.copier_render import LocalState
    from scaffold.models import ProjectSpec
    from scaffold.pipeline import Generated
    from scaffold.record import Adopted


def foundation_blueprint(catalog: Catalog, source: str) -> Blueprint:
    """Return the one copier template that ``--from SOURCE`` names in ``catalog``."""
    from scaffold.sources import parse_source

    parsed = parse_source(source, base=Path.cwd())
    recorded = parsed.spelling or parsed.location
    found: list[Blueprint] = [
        bp for bp in catalog if bp.source == recorded and bp.engine == "copier"
    ]
    if not found:
        msg = f"--from {source}: no copier template there (a folder or repository with copier.yml)"
        raise BlueprintError(msg, hint="give a copier template's folder or git URL, with @TAG")
    if len(found) > 1:
        names = ", ".join(bp.name for bp in found)
        msg = f"--from {source} holds several templates ({names}); it must name one"
        raise BlueprintError(msg, hint="give the folder of the one template you mean")
    return found[0]


def _without_blueprints(spec: ProjectSpec) -> ProjectSpec:
    """Return ``spec`` with no blueprints: what an adopted project records before ``add``."""
    from scaffold.models import ProjectSpec

    data = spec.model_dump(exclude={"blueprints", "automatic"})
    return ProjectSpec.model_validate({**data, "blueprints": {}, "automatic": set()})


def _as_blueprint(spec: ProjectSpec, blueprint: Blueprint) -> str:
    """Say how to use a template whose app cannot be the foundation: as a blueprint beside base.

    The template's files are not the user's to move before the project exists, so "move the
    app" is no advice here; ``-b`` composes the template with base's app, whatever its layout.
    """
    import shlex

    source = f"{blueprint.source}@{blueprint.ref}" if blueprint.ref else blueprint.source
    return (
        f"use the template as a blueprint instead, beside base's app: scaffold new {spec.name} "
        f"-b {blueprint.name} --source {shlex.quote(source)}"
    )


def _the_app(root: Path, template: str, *, instead: str) -> Adopted | None:
    """Find the app the template wrote, as ``adopt`` would; None when it wrote none.

    ``instead``: what to do when the template's app cannot be extended.
    """
    from scaffold.adopt import AdoptError, find_candidates, package_of
    from scaffold.record import Adopted

    candidates = find_candidates(root)
    if not candidates:
        return None
    apps = [c for c in candidates if c.found.problem is None and c.found.name is not None]
    if len(apps) != 1:
        listing = "; ".join(
            f"{c.describe()}: {c.found.problem}" if c.found.problem else c.describe()
            for c in candidates
        )
        msg = (
            f"template '{template}' writes {len(candidates)} FastAPI apps scaffold could "
            f"extend only one of ({listing})"
            if len(apps) > 1
            else f"template '{template}' writes a FastAPI app scaffold cannot extend: {listing}"
        )
        raise AdoptError(msg, hint=instead)
    app = apps[0]
    try:
        package, package_dir = package_of(root, app.path)
    except AdoptError as error:  # its advice is to move the app: not the user's to do here
        msg = f"template '{template}' cannot be the foundation: {error.message}"
        raise AdoptError(msg, hint=instead) from None
    assert app.found.name is not None  # noqa: S101  # filtered above
    return Adopted(app.path, app.found.name, package, package_dir, foundation=template)


def generate_from(
    spec: ProjectSpec,
    destination: Path,
    *,
    template: str,
    catalog: Catalog,
    force: bool = False,
    dry_run: bool = False,
) -> tuple[Generated, list[str]]:
    """Generate ``spec`` into ``destination`` on the foundation ``template``; return the notes."""
    from scaffold.apply import check_destination
    from scaffold.copier_render import as_given, copier_memo, copier_run

    check_destination(destination, force=force)  # fail before any work
    # what the template's tasks make for this machine (git init, a .venv) is the project's, as
    # copier leaves it
    with (
        copier_run(destination=as_given(destination), dry_run=dry_run, keep_local=True) as run,
        copier_memo(),  # the template renders once (its tasks run once), however often asked
        tempfile.TemporaryDirectory(prefix="scaffold-from-") as work,
    ):
        root = Path(work) / destination.absolute().name
        alone = _render_alone(spec, catalog, root)
        adopted = _the_app(root, template, instead=_as_blueprint(spec, catalog.get(template)))
        writing = _Writing(destination, run.local, force=force, dry_run=dry_run)
        if adopted is None:
            note = (
                f"template '{template}' writes no FastAPI app, so base's app was added beside "
                "its files"
            )
            return _beside_base(spec, catalog, writing), [note]
        return _on_foundation(spec, root, catalog, found=(adopted, alone), writing=writing)


@dataclass(frozen=True)
class _Writing:
    """Where and how the project is written once it is known."""

    destination: Path
    local: Callable[[], LocalState | None]  # what the template's tasks made for this machine
    force: bool
    dry_run: bool

    def write(self, files: dict[str, bytes]) -> WriteResult:
        from scaffold.apply import write_project

        return write_project(
            files,
            self.destination,
            force=self.force,
            dry_run=self.dry_run,
            local=self.local(),
        )


def _render_alone(spec: ProjectSpec, catalog: Catalog, root: Path) -> dict[str, bytes]:
    """Render the template, as the whole project will, into ``root``; return its files.

    The other blueprints render too (copier sees the same context, so this render is the
    one the project gets), but only the template's files are kept: its app is not known yet.
    """
    from scaffold.adopted import render_adopted
    from scaffold.apply import write_tree
    from scaffold.record import Adopted

    provisional = Adopted("", "app", spec.package, spec.package)
    rendered = render_adopted(spec, provisional, (), catalog)
    mine = rendered.selection.copier_paths
    alone = {path: content for path, content in rendered.tree.items() if path in mine}
    root.mkdir(parents=True)
    write_tree(root, alone)
    return alone


def _beside_base(spec: ProjectSpec, catalog: Catalog, writing: _Writing) -> Generated:
    """Write the template's files with base's app beside them, as ``-b TEMPLATE`` does."""
    from scaffold.pipeline import render_and_write

    return render_and_write(
        spec,
        writing.destination,
        catalog=catalog,
        force=writing.force,
        dry_run=writing.dry_run,
        local=writing.local,
    )


def _on_foundation(
    spec: ProjectSpec,
    root: Path,
    catalog: Catalog,
    *,
    found: tuple[Adopted, dict[str, bytes]],
    writing: _Writing,
) -> tuple[Generated, list[str]]:
    """Record the template's project as adopted, add the rest through the adopted engine.

    ``found``: the template's app, and the files it wrote (already in ``root``).
    """
    from scaffold import __version__
    from scaffold.adopted import plan_adopted_change, resolve_adopted
    from scaffold.adopted_memory import MEMORY_PATH, Memory, dump_memory
    from scaffold.apply import write_tree
    from scaffold.pipeline import Generated
    from scaffold.project import open_project
    from scaffold.record import record_files

    adopted, alone = found
    destination = writing.destination
    bare = _without_blueprints(spec)
    selection, _ = resolve_adopted(bare, adopted, (), catalog)
    record = record_files(bare, selection, {}, __version__, adopted, root=destination)
    record[MEMORY_PATH] = dump_memory(Memory())
    write_tree(root, record)
    plan = plan_adopted_change(
        open_project(root), spec, catalog=catalog, verify=False, record_root=destination
    )
    files = dict(alone)
    for merge in plan.merges:
        if merge.content is None:
            files.pop(merge.path, None)
        elif merge.content != alone.get(merge.path):
            files[merge.path] = merge.content
    result = writing.write(files)
    generated = Generated(
        spec=spec,
        selection=plan.selection,
        destination=destination,
        files=result.files,
        written=result.written,
        adopted=adopted,
    )
    return generated, list(plan.notes)
