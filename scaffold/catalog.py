"""Finding blueprints: the built-in folder shipped with scaffold, and folders given as sources.

A blueprint is a folder holding ``blueprint.toml`` and, optionally, ``files/``. Adding one is
adding a folder: nothing in ``scaffold/`` names a blueprint.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import ValidationError

from scaffold.errors import BlueprintError
from scaffold.models import BlueprintManifest, describe_validation_error
from scaffold.sources import (
    BUILTIN_SOURCE,
    ENTRY_POINT_GROUP,
    Source,
    is_trusted,
    merge_sources,
    parse_source,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from importlib.metadata import EntryPoint

MANIFEST = "blueprint.toml"


@dataclass(frozen=True)
class Blueprint:
    """A manifest together with the folder it was loaded from and where that came from."""

    manifest: BlueprintManifest
    root: Path
    source: str  # the source as a project records it ("built-in", a folder, a git URL)
    ref: str | None = None  # git: the tag (or commit) the files come from
    commit: str | None = None  # git: the commit checked out
    engine: Literal["scaffold", "copier"] = "scaffold"  # who renders files/: scaffold or copier
    trusted: bool = False  # may run code (copier tasks, jinja extensions)

    @property
    def name(self) -> str:
        """The blueprint's name."""
        return self.manifest.name

    @property
    def files_dir(self) -> Path:
        """The folder whose tree is rendered into the project."""
        return self.root / "files"


def builtin_blueprints_dir() -> Path:
    """Return the built-in blueprints folder, inside the wheel or at the top of a checkout."""
    package_dir = Path(__file__).resolve().parent
    shipped = package_dir / "blueprints"
    return shipped if shipped.is_dir() else package_dir.parent / "blueprints"


def _manifest_from(data: dict[str, object], origin: Path) -> BlueprintManifest:
    try:
        return BlueprintManifest.model_validate(data)
    except ValidationError as error:
        msg = f"{origin}: {describe_validation_error(error)}"
        raise BlueprintError(msg) from None


def load_blueprint(
    folder: Path, *, source: str, name: str | None = None, version: str | None = None
) -> Blueprint:
    """Load and validate one blueprint folder: scaffold's own, or a copier template.

    ``name`` and ``version`` name a copier template that has no ``blueprint.toml`` (its folder
    or repository, and its git tag).
    """
    from scaffold.copier_render import copier_file

    manifest_path = folder / MANIFEST
    copier_yml = copier_file(folder)
    if copier_yml is not None and not manifest_path.is_file():
        from scaffold.copier_config import read_copier_config
        from scaffold.copier_render import manifest_data

        config = read_copier_config(copier_yml)
        data = manifest_data(config, name=name or folder.name, version=version)
        manifest = _manifest_from(data, copier_yml)
        return Blueprint(manifest=manifest, root=folder, source=source, engine="copier")
    try:
        data = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{folder} has no {MANIFEST}"
        raise BlueprintError(msg, hint="a blueprint folder needs a manifest") from None
    except tomllib.TOMLDecodeError as error:
        msg = f"{manifest_path} is not valid TOML: {error}"
        raise BlueprintError(msg) from None
    if copier_yml is not None and "options" not in data:  # copier's questions are the options
        from scaffold.copier_config import read_copier_config
        from scaffold.copier_render import manifest_data

        questions = manifest_data(read_copier_config(copier_yml), name="x", version=None)
        data = {**data, "options": questions["options"]}
    manifest = _manifest_from(data, manifest_path)
    if manifest.name != folder.name and name is None:
        msg = f"{manifest_path} names '{manifest.name}' but its folder is '{folder.name}'"
        raise BlueprintError(msg, hint="rename one so they match")
    engine: Literal["scaffold", "copier"] = "copier" if copier_yml is not None else "scaffold"
    return Blueprint(manifest=manifest, root=folder, source=source, engine=engine)


class Catalog:
    """The blueprints available to this run, by name."""

    def __init__(self, blueprints: dict[str, Blueprint]) -> None:
        """Hold blueprints keyed by name."""
        self._blueprints = dict(sorted(blueprints.items()))

    def __contains__(self, name: object) -> bool:
        """Say whether a blueprint of this name exists."""
        return name in self._blueprints

    def __iter__(self):  # type: ignore[no-untyped-def]  # noqa: ANN204
        """Iterate over blueprints in name order."""
        return iter(self._blueprints.values())

    def names(self) -> list[str]:
        """Return every blueprint name, sorted."""
        return list(self._blueprints)

    def get(self, name: str) -> Blueprint:
        """Return a blueprint, or fail with a did-you-mean hint."""
        try:
            return self._blueprints[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._blueprints, n=1, cutoff=0.6)
            hint = (
                f"did you mean '{close[0]}'?" if close else "run 'scaffold blueprints' to list them"
            )
            msg = f"unknown blueprint '{name}'"
            raise BlueprintError(msg, hint=hint) from None


def _is_blueprint(folder: Path) -> bool:
    from scaffold.copier_render import copier_file

    return (folder / MANIFEST).is_file() or copier_file(folder) is not None


def _blueprints_in(
    folder: Path, *, source: str, name: str | None = None, version: str | None = None
) -> dict[str, Blueprint]:
    """Load the blueprints in ``folder``: the folder itself when it is one, else its sub-folders."""
    if _is_blueprint(folder):  # a source may be a single blueprint
        blueprint = load_blueprint(folder, source=source, name=name, version=version)
        return {blueprint.name: blueprint}
    found = {}
    for child in sorted(folder.iterdir()):
        if child.is_dir() and not child.name.startswith(".") and _is_blueprint(child):
            blueprint = load_blueprint(child, source=source)
            found[blueprint.name] = blueprint
    return found


SourceLike = Source | Path | str


def as_source(value: SourceLike) -> Source:
    """Accept a parsed source, a folder, or a spec string (relative to the current folder)."""
    if isinstance(value, Source):
        return value
    if isinstance(value, Path):
        return parse_source(str(value), base=Path.cwd())
    return parse_source(value, base=Path.cwd())


def _load_source(source: Source) -> dict[str, Blueprint]:
    """Every blueprint one source offers, tagged with where it came from."""
    if source.kind == "builtin":
        return _blueprints_in(builtin_blueprints_dir(), source=BUILTIN_SOURCE.spelling)
    if source.kind == "git":
        return _load_git(source)
    if source.kind == "package":
        return _blueprints_in(_package_folder(source.location), source=source.spelling)
    folder = Path(source.location)
    if not folder.is_dir():
        msg = f"blueprint source {source.label} is not a folder"
        raise BlueprintError(msg, hint="pass a folder holding blueprint folders")
    return _blueprints_in(folder, source=source.spelling or source.location)


def _load_git(source: Source) -> dict[str, Blueprint]:
    from scaffold.copier_render import blueprint_name_for
    from scaffold.gitsource import checkout

    fetched = checkout(source.location, source.ref, commit=source.commit)
    found = _blueprints_in(
        fetched.path,
        source=source.spelling or source.location,
        name=blueprint_name_for(source.location),
        version=fetched.version,
    )
    loaded = {}
    for name, blueprint in found.items():
        manifest = blueprint.manifest
        if fetched.version is not None and manifest.version != fetched.version:
            # The tag is the release: what 'update' and 'check' compare, whatever the file says.
            manifest = manifest.model_copy(update={"version": fetched.version})
        loaded[name] = replace(blueprint, manifest=manifest, ref=fetched.ref, commit=fetched.commit)
    return loaded


def _package_folder(name: str) -> Path:
    """Find the folder an installed package registered under the ``scaffold.blueprints`` group."""
    import importlib.util

    for entry in _entry_points():
        if entry.name == name:
            module = entry.value.partition(":")[0].strip()
            # find_spec locates the package without running it (for a top-level package).
            spec = importlib.util.find_spec(module)
            locations = list(spec.submodule_search_locations or []) if spec else []
            if not locations:
                msg = f"entry point '{name}' names '{module}', which is not an installed package"
                raise BlueprintError(msg, hint="its value must be a package holding blueprints")
            return Path(locations[0])
    msg = f"no installed package registers '{name}' in the '{ENTRY_POINT_GROUP}' group"
    raise BlueprintError(msg, hint="install the package, or drop the pkg: source")


def _entry_points() -> list[EntryPoint]:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))


def installed_sources() -> list[Source]:
    """Return a source for every installed package registering blueprints (the defaults layer)."""
    return [
        Source("package", entry.name, layer="default", spelling=f"pkg:{entry.name}")
        for entry in _entry_points()
    ]


def _trusted(source: Source, trusted: tuple[str, ...], trust_all: bool) -> bool:
    return trust_all or source.kind == "builtin" or is_trusted(source, trusted)


def load_catalog(
    sources: Iterable[SourceLike] = (),
    *,
    trusted: tuple[str, ...] = (),
    trust_all: bool = False,
    entry_points: bool = True,
) -> Catalog:
    """Load the built-in blueprints and those of ``sources`` (highest precedence first).

    A name offered by two sources is an error that names both, unless exactly one of them is
    pinned for that name.
    """
    given = [as_source(value) for value in sources]
    defaults = [BUILTIN_SOURCE, *(installed_sources() if entry_points else [])]
    blueprints: dict[str, Blueprint] = {}
    origins: dict[str, Source] = {}
    merged = merge_sources((*given, *defaults))
    # The built-in blueprints load first, so a clash names them first and the hint pins the other.
    merged.sort(key=lambda source: source.kind != "builtin")
    for source in merged:
        trust = _trusted(source, trusted, trust_all)
        for name, blueprint in _load_source(source).items():
            if name in origins and not _keeps_new(name, origins[name], source):
                continue
            blueprints[name] = replace(blueprint, trusted=trust)
            origins[name] = source
    return Catalog(blueprints)


def _keeps_new(name: str, known: Source, new: Source) -> bool:
    """Settle a name offered by two sources: the pinned one wins; otherwise it is an error."""
    if (name in known.pins) != (name in new.pins):
        return name in new.pins
    msg = f"blueprint '{name}' is offered by both {known.label} and {new.label}"
    hint = f"pin one, e.g. --source {name}={new.spelling or new.location}, or drop one source"
    raise BlueprintError(msg, hint=hint)
