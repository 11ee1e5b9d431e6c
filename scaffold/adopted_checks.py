"""What an adopted project's change is checked against before anything is written.

:func:`adoption_blockers` names, in one message, every reason the arriving blueprints cannot
go into the owner's app as asked (a Python or FastAPI older than they need, allowed hosts
scaffold cannot guess); :func:`verified_notes` imports the changed app in the project's own
environment (:mod:`scaffold.verify`). :func:`refused_by_pins` runs the same version gate for
every blueprint at once, so that ``adopt`` can say what ``add`` will refuse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scaffold.record import RECORD_DIR

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

    from scaffold.adopted import Rendered
    from scaffold.catalog import Catalog
    from scaffold.compose import Selection
    from scaffold.models import ProjectSpec
    from scaffold.plan import Plan
    from scaffold.project import Project
    from scaffold.record import Adopted


def pins_refusing(root: Path, arriving: Collection[str]) -> list[str]:
    """Say each version the project's pins allow that is older than ``arriving`` need.

    The one gate for ``add`` and for ``adopt``'s forecast: only the settings blueprint needs
    pydantic 2, so it counts only when settings arrives (itself or required by another).
    """
    from scaffold.adopted_versions import version_blockers

    return version_blockers(root, settings="settings" in arriving)


def refused_by_pins(root: Path, catalog: Catalog) -> dict[str, list[str]]:
    """Return, for each blueprint ``add`` would refuse on the project's pins, the reasons."""
    from scaffold.compose import brought_by
    from scaffold.errors import BlueprintError

    refused: dict[str, list[str]] = {}
    for blueprint in catalog:
        if blueprint.manifest.always:  # in every project already; never added
            continue
        try:
            arriving = brought_by(catalog, blueprint.name)
        except BlueprintError:  # requires a blueprint no source has: add says so itself
            continue
        if reasons := pins_refusing(root, arriving):
            refused[blueprint.name] = reasons
    return refused


def adoption_blockers(project: Project, spec: ProjectSpec, selection: Selection) -> list[str]:
    """Say every reason the arriving blueprints cannot go into the owner's app as asked."""
    arriving = [name for name in selection.names if name not in project.record.blueprints]
    if not [name for name in arriving if name != "base"]:
        return []
    versions = pins_refusing(project.root, arriving)
    blockers = [f"cannot add {', '.join(arriving)}: {'; '.join(versions)}"] if versions else []
    if "middleware" in arriving and "allowed_hosts" not in spec.blueprints.get("middleware", {}):
        blockers.append(
            "the middleware blueprint's HostCheckMiddleware answers 400 to every Host not "
            "in allowed_hosts, and scaffold does not know your app's host names: pass them, "
            """as -O 'middleware.allowed_hosts=["api.example.com"]'"""
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
    )
    owners = {entry.ref: rendered.owner("routers", entry.ref) for entry in composition.routers}
    owners |= {entry.path: rendered.owner("mounts", entry.path) for entry in composition.mounts}
    return verify_change(plan.project.root, changes, adopted, expected, blueprints=owners).notes
