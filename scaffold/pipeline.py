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
    from scaffold.copier_render import copier_run

    # what a template's tasks make for this machine (git init, a .venv) is the project's, as
    # copier leaves it, unless the destination has its own
    with copier_run(
        destination=destination.absolute().name, dry_run=dry_run, keep_local=True
    ) as run:
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
    files = tree | record_files(spec, selection, tree, __version__, root=destination)
    result = write_project(files, destination, force=force, dry_run=dry_run, local=local())
    return Generated(
        spec=spec,
        selection=selection,
        destination=destination,
        files=result.files,
        written=result.written,
    )
