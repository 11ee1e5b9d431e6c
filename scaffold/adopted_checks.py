"""What an adopted project's change is checked against before anything is written.

:func:`adoption_blockers` names, in one message, every reason the arriving blueprints cannot
go into the owner's app as asked (a Python or FastAPI older than they need, allowed hosts
scaffold cannot guess, a route of theirs that a path the owner's app module already serves
would hide, or a route name one of their mounts has, read from the source by
:mod:`scaffold.edit.routes`); :func:`verified_notes` imports the changed app in the project's
own environment (:mod:`scaffold.verify`).
:func:`refused_by_pins` runs the same version gate for every blueprint at once, so that
``adopt`` can say what ``add`` will refuse.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from scaffold.record import RECORD_DIR

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator
    from pathlib import Path

    from scaffold.adopted import Rendered
    from scaffold.catalog import Catalog
    from scaffold.edit.routes import Served
    from scaffold.models import ProjectSpec
    from scaffold.plan import Plan
    from scaffold.project import Project
    from scaffold.record import Adopted


def pins_refusing(
    root: Path,
    arriving: Collection[str],
    folder: str = "",
    read: Callable[[str], bytes | None] | None = None,
) -> list[str]:
    """Say each version the project's pins allow that is older than ``arriving`` need.

    The one gate for ``add`` and for ``adopt``'s forecast: only the settings blueprint needs
    pydantic 2, so it counts only when settings arrives (itself or required by another).
    ``read``: the project's files as the change leaves them (the disk when not given).
    """
    from scaffold.adopted_versions import version_blockers

    return version_blockers(root, settings="settings" in arriving, folder=folder, read=read)


def refused_by_pins(root: Path, catalog: Catalog, folder: str = "") -> dict[str, list[str]]:
    """Return, for each blueprint ``add`` would refuse on the project's pins, the reasons."""
    from scaffold.compose import brought_by
    from scaffold.errors import BlueprintError

    refused: dict[str, list[str]] = {}
    # The gate has two answers (with settings arriving or not): read the pins once for each,
    # not once per blueprint (a uv.lock or poetry.lock can be large).
    answers: dict[bool, list[str]] = {}
    for blueprint in catalog:
        if blueprint.manifest.always:  # in every project already; never added
            continue
        try:
            arriving = brought_by(catalog, blueprint.name)
        except BlueprintError:  # requires a blueprint no source has: add says so itself
            continue
        with_settings = "settings" in arriving
        if with_settings not in answers:
            answers[with_settings] = pins_refusing(root, arriving, folder)
        if reasons := answers[with_settings]:
            refused[blueprint.name] = reasons
    return refused


def adoption_blockers(project: Project, spec: ProjectSpec, rendered: Rendered) -> list[str]:
    """Say every reason the arriving blueprints cannot go into the owner's app as asked."""
    arriving = [name for name in rendered.selection.names if name not in project.record.blueprints]
    if not [name for name in arriving if name != "base"]:
        return []
    from scaffold.adopted import owners_folder

    adopted = project.record.adopted
    folder = owners_folder(project.read, adopted) if adopted is not None else ""
    # The pins of the folder the app runs from (backend/), not of a workspace root above it,
    # read through the project as this change leaves it: a foundation template's new version
    # may raise (or lower) them.
    versions = pins_refusing(project.root, arriving, folder, project.read)
    blockers = [f"cannot add {', '.join(arriving)}: {'; '.join(versions)}"] if versions else []
    if "middleware" in arriving and "allowed_hosts" not in spec.blueprints.get("middleware", {}):
        blockers.append(
            "the middleware blueprint's HostCheckMiddleware answers 400 to every Host not "
            "in allowed_hosts, and scaffold does not know your app's host names: pass them, "
            """as -O 'middleware.allowed_hosts=["api.example.com"]'"""
        )
    return (
        blockers
        + _workflow_blockers(project, rendered)
        + route_blockers(project, rendered, arriving)
    )


def _workflow_blockers(project: Project, rendered: Rendered) -> list[str]:
    """Refuse workflows written below the repository's root, where GitHub never reads them.

    An app adopted from ``backend/`` of a larger repository would get a
    ``backend/.github/workflows/`` that no CI runs, and the command would say "ok".
    """
    templates = rendered.selection.copier_paths  # a foundation's own: where copier puts them
    workflows = sorted(
        p
        for p in rendered.tree
        if p.startswith(".github/workflows/") and p not in templates and project.read(p) is None
    )
    if not workflows:
        return []
    here = project.root.resolve()
    repository = next((f for f in (here, *here.parents) if (f / ".git").exists()), None)
    if repository is None or repository == here:
        return []
    return [
        f"{workflows[0]} would be written in {here}, but GitHub runs only the workflows at the "
        f"repository's root ({repository}): adopt the project from there "
        f"(scaffold adopt -C {repository}) to add them, or leave that blueprint out"
    ]


def _blueprint_routes(
    rendered: Rendered, adopted: Adopted, arriving: Collection[str]
) -> Iterator[tuple[str, str, str, str]]:
    """Yield (blueprint, file, method, path) for each route an arriving blueprint's router has."""
    import libcst as cst

    from scaffold.edit.routes import routes_of_router

    for entry in rendered.composition.routers:
        blueprint = rendered.owner("routers", entry.ref)
        if blueprint not in arriving:
            continue
        module, _, name = entry.ref.partition(":")
        stem = module.replace(".", "/")
        for path in (adopted.on_disk(f"{stem}.py"), adopted.on_disk(f"{stem}/__init__.py")):
            if (code := rendered.tree.get(path)) is not None:
                for method, route in routes_of_router(cst.parse_module(code.decode()), name):
                    yield blueprint, path, method, route


def _clash(owners: list[Served], module: str, blueprint: str) -> str:
    """Say how the owner's routes meet scaffold's, and what to do about it."""
    first = [owner for owner in owners if not owner.catch_all]
    yours = " and ".join(f"your {o.code} at {module}:{o.line}" for o in first or owners)
    if first:
        clash = f"would never answer: {yours} {'answer' if len(first) > 1 else 'answers'} it first"
    else:  # scaffold's routes go before a catch-all mount: the page there would be scaffold's
        clash = f"would take that path from {yours}, which serves it"
    return f"{clash}; move yours to another path or leave {blueprint} out (nothing was written)"


def route_blockers(project: Project, rendered: Rendered, arriving: Collection[str]) -> list[str]:
    """Say each arriving route that a path the owner's app module serves would hide.

    Read from the source, so that it holds without an environment to import the app in (the
    verification after it sees more, such as routers of other modules, when there is one).
    """
    from scaffold.cst_edit import parse
    from scaffold.edit.factory import find_factory
    from scaffold.edit.routes import blocking, served_by_app

    adopted = project.record.adopted
    content = project.read(adopted.module) if adopted is not None else None
    try:
        text = content.decode("utf-8-sig") if content is not None else None
    except UnicodeDecodeError:
        text = None
    if adopted is None or text is None:
        return []  # no app module, or not text: the edit of it refuses, saying so
    module = parse(text, adopted.module)
    factory = find_factory(module, adopted.app)
    served = served_by_app(module, factory.inner if factory else adopted.app)
    blockers = []
    for blueprint, path, method, route in _blueprint_routes(rendered, adopted, arriving):
        if owners := blocking(served, method, route):
            ours = f"scaffold's {method} {route} ({blueprint}, {path})"
            blockers.append(f"{ours} {_clash(owners, adopted.module, blueprint)}")
    return blockers + _name_blockers(rendered, adopted.module, served, arriving)


def _name_blockers(
    rendered: Rendered, module: str, served: Collection[Served], arriving: Collection[str]
) -> list[str]:
    """Say each arriving mount whose name a mount of the owner's app module has.

    Starlette's ``url_path_for`` returns the first route of a name: one of the two mounts
    would silently change what ``url_for("static", path=...)`` gives. (The verification
    compares every route name of the imported app; this sees the module's own mounts
    without an environment.)
    """
    blockers = []
    for entry in rendered.composition.mounts:
        blueprint = rendered.owner("mounts", entry.path)
        if blueprint not in arriving:
            continue
        for mount in (s for s in served if s.mount and s.name == entry.name):
            blockers.append(
                f"scaffold's mount at {entry.path} ({blueprint}) would share the route "
                f"name {entry.name!r} with your {mount.code} at {module}:{mount.line}, and "
                f"url_path_for({json.dumps(entry.name)}, ...) finds only one of them; "
                f"rename yours or leave {blueprint} out (nothing was written)"
            )
    return blockers


def verified_notes(plan: Plan, adopted: Adopted, rendered: Rendered) -> list[str]:
    """Import the changed app in the project's environment; raise if it breaks."""
    from scaffold.verify import Expected, verify_change

    changes = {m.path: m.content for m in plan.changes if not m.path.startswith(RECORD_DIR)}
    if not changes:
        return []
    composition = rendered.composition
    expected = Expected(
        routers=tuple(entry.ref for entry in composition.routers),
        mounts=tuple(entry.path for entry in composition.mounts),
        requirements=tuple(composition.dependencies),
    )
    owners = {entry.ref: rendered.owner("routers", entry.ref) for entry in composition.routers}
    owners |= {entry.path: rendered.owner("mounts", entry.path) for entry in composition.mounts}
    return verify_change(plan.project.root, changes, adopted, expected, blueprints=owners).notes
