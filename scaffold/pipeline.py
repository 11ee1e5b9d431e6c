"""The pipeline: from a validated spec to a project on disk (or, dry, to what it would be).

The pipeline: resolve -> compose -> render (in memory) -> record -> stage, format, write once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scaffold import __version__
from scaffold.apply import check_destination, write_project
from scaffold.catalog import load_catalog
from scaffold.compose import Selection, compose, resolve
from scaffold.errors import ResolutionError
from scaffold.format import format_tree
from scaffold.record import record_files
from scaffold.render import Renderer, Tree, render_selection

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from scaffold.catalog import Catalog, SourceLike
    from scaffold.copier_render import LocalState
    from scaffold.models import ProjectSpec
    from scaffold.record import Adopted


@dataclass(frozen=True)
class Generated:
    """The outcome of a generation run."""

    spec: ProjectSpec
    selection: Selection
    destination: Path
    files: dict[str, bytes]
    written: bool
    adopted: Adopted | None = None  # new --from: the template's app, which stands for base's


def build_tree(
    spec: ProjectSpec, *, sources: tuple[SourceLike, ...] = (), catalog: Catalog | None = None
) -> tuple[Selection, Tree]:
    """Resolve, compose and render the project in memory (unformatted, without the record).

    ``catalog``, when the caller already loaded it from the same sources, saves loading it again.
    """
    if catalog is None:
        catalog = load_catalog(sources)
    renderer = Renderer(spec)
    selection = resolve(spec, catalog, renderer)
    renderer.bind(selection)
    composition = compose(selection, renderer)
    renderer.bind(selection, composition)
    return selection, render_selection(selection, renderer)


def render_project(
    spec: ProjectSpec, *, sources: tuple[SourceLike, ...] = (), catalog: Catalog | None = None
) -> tuple[Selection, Tree]:
    """Render and format the project: exactly what scaffold generates, without the record."""
    selection, tree = build_tree(spec, sources=sources, catalog=catalog)
    return selection, format_tree(tree, keep=selection.copier_paths)


def generate(
    spec: ProjectSpec,
    destination: Path,
    *,
    sources: tuple[SourceLike, ...] = (),
    catalog: Catalog | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> Generated:
    """Generate the project described by ``spec`` into ``destination``."""
    check_destination(destination, force=force)  # fail before any work
    from scaffold.copier_render import as_given, copier_run

    # what a template's tasks make for this machine (git init, a .venv) is the project's, as
    # copier leaves it, unless the destination has its own
    with copier_run(destination=as_given(destination), dry_run=dry_run, keep_local=True) as run:
        return render_and_write(
            spec,
            destination,
            sources=sources,
            catalog=catalog,
            force=force,
            dry_run=dry_run,
            local=run.local,
        )


def render_and_write(
    spec: ProjectSpec,
    destination: Path,
    *,
    sources: tuple[SourceLike, ...] = (),
    catalog: Catalog | None = None,
    force: bool,
    dry_run: bool,
    local: Callable[[], LocalState | None],
) -> Generated:
    """Render the project with its record and write it once, inside the command's copier run.

    ``local``: asked once the templates rendered, what their tasks made for this machine
    (``.git``, a ``.venv``; moved into the new project).
    """
    selection, tree = render_project(spec, sources=sources, catalog=catalog)
    refuse_shadowed_packages(spec, selection, tree)
    files = tree | record_files(spec, selection, tree, __version__, root=destination)
    result = write_project(files, destination, force=force, dry_run=dry_run, local=local())
    return Generated(
        spec=spec,
        selection=selection,
        destination=destination,
        files=result.files,
        written=result.written,
    )


def refuse_shadowed_packages(spec: ProjectSpec, selection: Selection, tree: Tree) -> None:
    """Refuse a project where one import name is two modules (``demo/`` and ``src/demo/``).

    Base's app is the package named after the project, at the root; a library template may
    have its own package of that name under ``src/``. Only one of them is importable (the
    root's, from the project's folder; the installed one elsewhere), so the template's tests
    would import base's app. Checked before anything is written.
    """
    for name, spots in sorted(_import_spots(tree).items()):
        if len(spots) < 2:  # noqa: PLR2004  # one place: the module, however many write it
            continue
        where = " and ".join(sorted(spots))
        msg = f"this project would have {where}: 'import {name}' finds only one of them"
        hint = (
            _another_name(spec, selection)
            if name == spec.package
            else f"leave out one of the blueprints that write {where}"
        )
        raise ResolutionError(msg, hint=hint)


def _another_name(spec: ProjectSpec, selection: Selection) -> str:
    """Say how to name the project so that base's app and the template's package differ."""
    hint = (
        f"base's app is the package named after the project; name the project apart from the "
        f"template's package: {spec.name}-api gives the package {spec.package}_api"
    )
    # A template told the project's name as its project_name names its package after it too:
    # renaming the project alone would clash again, unless the template keeps its answer.
    asking = [
        item.name
        for item in selection.items
        if item.blueprint.engine == "copier" and "project_name" in item.blueprint.manifest.options
    ]
    if asking:
        hint += f", and -O {asking[0]}.project_name={spec.name} keeps the template's"
    return hint


def _import_spots(tree: Tree) -> dict[str, set[str]]:
    """Map each top-level import name to where the project has it (``demo/``, ``src/demo.py``)."""
    spots: dict[str, set[str]] = {}
    for path in tree:
        parts = path.split("/")
        prefix = "src/" if parts[0] == "src" and len(parts) > 1 else ""
        rest = parts[1:] if prefix else parts
        if not rest[-1].endswith(".py") or len(rest) > 2:  # noqa: PLR2004  # a package's modules
            continue
        name = rest[0].removesuffix(".py")
        if name.isidentifier():
            spots.setdefault(name, set()).add(prefix + (rest[0] if len(rest) == 1 else f"{name}/"))
    return spots
