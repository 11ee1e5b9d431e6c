"""Looking at a project without changing it: ``status`` and ``check``.

``status`` says what the project is made of and which generated files the owner edited.
``check`` is for CI: it lists drift, the things a platform team wants to fail a pipeline on:
a recorded blueprint with a newer version available (or none at all), a file a blueprint
manages verbatim that differs from what would be rendered now, and leftover conflict markers.
The owner's ordinary edits to generated files are not drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Literal

from scaffold.edit.lines import has_conflict_markers
from scaffold.gitsource import newest, version_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scaffold.catalog import Catalog
    from scaffold.project import Project

DriftKind = Literal["outdated", "ahead", "unknown-blueprint", "verbatim", "conflict", "retagged"]


@dataclass(frozen=True)
class BlueprintState:
    """A recorded blueprint next to the version available now."""

    name: str
    recorded: str
    available: str | None
    source: str
    automatic: bool


@dataclass(frozen=True)
class Drift:
    """One reason for ``check`` to fail."""

    kind: DriftKind
    blueprint: str | None
    path: str | None
    detail: str


@dataclass(frozen=True)
class Status:
    """What ``status`` reports."""

    blueprints: list[BlueprintState]
    edited: list[str]
    missing: list[str]
    conflicts: list[str]


def blueprint_states(
    project: Project, catalog: Catalog, latest: Mapping[str, str] | None = None
) -> list[BlueprintState]:
    """Each recorded blueprint with the version available now.

    ``latest`` holds, for blueprints from git sources, the newest version tag (the catalog
    holds them at their recorded tag, which is what the project is made of).
    """
    states = []
    for name, recorded in project.record.blueprints.items():
        available = catalog.get(name).manifest.version if name in catalog else None
        if latest and name in latest:
            available = latest[name]
        states.append(
            BlueprintState(name, recorded.version, available, recorded.source, recorded.automatic)
        )
    return states


def project_status(
    project: Project, catalog: Catalog, latest: Mapping[str, str] | None = None
) -> Status:
    """Compare the project with what scaffold generated last time."""
    base = project.base()
    edited, missing, conflicts = [], [], []
    for path, generated in sorted(base.items()):
        current = project.read(path)
        if current is None:
            missing.append(path)
        elif current != generated:
            edited.append(path)
            if has_conflict_markers(current):
                conflicts.append(path)
    return Status(blueprint_states(project, catalog, latest), edited, missing, conflicts)


def _version_drift(states: list[BlueprintState]) -> list[Drift]:
    drift = []
    for state in states:
        if state.available is None:
            detail = f"recorded at {state.recorded}, but no source offers it now"
            drift.append(Drift("unknown-blueprint", state.name, None, detail))
        elif version_key(state.available) > version_key(state.recorded):
            detail = f"{state.recorded} -> {state.available} available; run 'scaffold update'"
            drift.append(Drift("outdated", state.name, None, detail))
        elif version_key(state.available) < version_key(state.recorded):
            detail = f"recorded at {state.recorded}, newer than the available {state.available}"
            drift.append(Drift("ahead", state.name, None, detail))
    return drift


def _verbatim_drift(project: Project, catalog: Catalog) -> list[Drift]:
    patterns = {
        name: catalog.get(name).manifest.verbatim
        for name in project.record.blueprints
        if name in catalog and catalog.get(name).manifest.verbatim
    }
    if not patterns:
        return []  # nothing to render: check stays a quick look at the record
    from scaffold.errors import TrustError
    from scaffold.pipeline import render_project
    from scaffold.render import Renderer

    spec = project.spec()
    renderer = Renderer(spec)
    try:
        _, tree = render_project(spec, catalog=catalog)
    except TrustError as error:  # check never runs blueprint code: say what was not compared
        detail = f"verbatim files not compared: {error.message}"
        return [Drift("verbatim", name, None, detail) for name in patterns]
    drift = []
    for name, globs in patterns.items():
        rendered_globs = [renderer.render_string(glob, {}) for glob in globs]
        for path in sorted(tree):
            if any(fnmatchcase(path, glob) for glob in rendered_globs):
                current = project.read(path)
                if current != tree[path]:
                    detail = (
                        "missing" if current is None else "differs from what the blueprint renders"
                    )
                    drift.append(Drift("verbatim", name, path, detail))
    return drift


def check_project(
    project: Project, catalog: Catalog, releases: GitReleases | None = None
) -> list[Drift]:
    """List every drift; an empty list means the project passes.

    ``catalog`` holds the blueprints at the project's recorded versions (what verbatim files
    are compared with); ``releases``, what the git sources' remotes say now.
    """
    releases = releases or GitReleases()
    drift = _version_drift(blueprint_states(project, catalog, releases.latest))
    drift += releases.retagged
    drift += _verbatim_drift(project, catalog)
    for path in sorted(project.base()):
        current = project.read(path)
        if current is not None and has_conflict_markers(current):
            drift.append(Drift("conflict", None, path, "unresolved conflict markers"))
    return drift


@dataclass
class GitReleases:
    """What the remotes of a project's git sources say now."""

    latest: dict[str, str] = field(default_factory=dict)  # blueprint -> version to be at
    retagged: list[Drift] = field(default_factory=list)  # recorded tags that moved


def git_releases(
    project: Project, catalog: Catalog, wanted: Mapping[str, str] | None = None
) -> GitReleases:
    """Ask each git source's remote for its tags (one ``git ls-remote`` per repository).

    ``latest`` holds the version each recorded blueprint should be at: the newest version tag,
    unless ``wanted`` (git URL -> ref, from flags or config files) pins the repository to a
    tag. A pin to a commit or branch has no version, so such blueprints are not listed.
    ``retagged`` lists recorded tags that now point to another commit than the one the project
    was made from: a rewritten release, which CI should not let pass unnoticed.
    """
    from scaffold.gitsource import blueprint_versions

    wanted = wanted or {}
    tags_of: dict[str, dict[str, tuple[str, str]]] = {}
    releases = GitReleases()
    for source in project.sources():
        if source.kind != "git":
            continue
        if source.location not in tags_of:
            tags_of[source.location] = blueprint_versions(source.location)
        known = tags_of[source.location]
        target = _target_version(known, wanted.get(source.location))
        for name in sorted(source.pins):
            if target is not None and name in catalog:
                releases.latest[name] = target
            now = next((c for tag, c in known.values() if tag == source.ref), None)
            if source.commit and now is not None and now != source.commit:
                detail = (
                    f"tag {source.ref} now points to {now[:12]}, not the recorded "
                    f"{source.commit[:12]}: the release was rewritten; review it, then "
                    "'scaffold update'"
                )
                releases.retagged.append(Drift("retagged", name, None, detail))
    return releases


def _target_version(known: Mapping[str, tuple[str, str]], ref: str | None) -> str | None:
    """Return the newest version, or the one ``ref`` (a tag or its version) names."""
    if ref is None:
        return newest(known)
    return next((v for v, (tag, _) in known.items() if ref in {tag, v}), None)
