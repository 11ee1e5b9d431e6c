"""Finding blueprints: the built-in folder shipped with scaffold, and folders given as sources.

A blueprint is a folder holding ``blueprint.toml`` and, optionally, ``files/``. Adding one is
adding a folder: nothing in ``scaffold/`` names a blueprint.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from scaffold.errors import BlueprintError
from scaffold.models import BlueprintManifest, describe_validation_error

MANIFEST = "blueprint.toml"


@dataclass(frozen=True)
class Blueprint:
    """A manifest together with the folder it was loaded from."""

    manifest: BlueprintManifest
    root: Path
    source: str

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


def load_blueprint(folder: Path, *, source: str) -> Blueprint:
    """Load and validate one blueprint folder."""
    manifest_path = folder / MANIFEST
    try:
        data = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"{folder} has no {MANIFEST}"
        raise BlueprintError(msg, hint="a blueprint folder needs a manifest") from None
    except tomllib.TOMLDecodeError as error:
        msg = f"{manifest_path} is not valid TOML: {error}"
        raise BlueprintError(msg) from None
    try:
        manifest = BlueprintManifest.model_validate(data)
    except ValidationError as error:
        msg = f"{manifest_path}: {describe_validation_error(error)}"
        raise BlueprintError(msg) from None
    if manifest.name != folder.name:
        msg = f"{manifest_path} names '{manifest.name}' but its folder is '{folder.name}'"
        raise BlueprintError(msg, hint="rename one so they match")
    return Blueprint(manifest=manifest, root=folder, source=source)


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


def _blueprints_in(folder: Path, *, source: str) -> dict[str, Blueprint]:
    if (folder / MANIFEST).is_file():  # a source may be a single blueprint
        blueprint = load_blueprint(folder, source=source)
        return {blueprint.name: blueprint}
    found = {}
    for child in sorted(folder.iterdir()):
        if (child / MANIFEST).is_file():
            blueprint = load_blueprint(child, source=source)
            found[blueprint.name] = blueprint
    return found


def load_catalog(sources: tuple[Path, ...] = ()) -> Catalog:
    """Load the built-in blueprints and those in ``sources``; a name offered twice is an error."""
    blueprints = _blueprints_in(builtin_blueprints_dir(), source="built-in")
    seen: set[Path] = set()
    for folder in sources:
        if not folder.is_dir():
            msg = f"blueprint source {folder} is not a folder"
            raise BlueprintError(msg, hint="pass a folder holding blueprint folders")
        # The same folder twice (recorded by the project and passed again with --source) is
        # one source, not two offering the same blueprints.
        if folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        # Absolute, because the project records it: a path relative to the folder 'scaffold new'
        # ran in would be lost when a later command runs inside the project.
        for name, blueprint in _blueprints_in(folder, source=str(folder.absolute())).items():
            if name in blueprints:
                other = blueprints[name].source
                msg = f"blueprint '{name}' is offered by both {other} and {folder}"
                raise BlueprintError(msg, hint="rename one of them or drop one source")
            blueprints[name] = blueprint
    return Catalog(blueprints)
