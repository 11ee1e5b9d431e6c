"""``scaffold adopt``: take an existing FastAPI project into scaffold's care, changing no code.

Adopting finds the app, decides the package and the project's name, and writes the record
(``.scaffold/project.toml`` with an ``[adopted]`` table; an empty ``base.zip``: scaffold
generated nothing yet; and ``adopted.json``: it inserted nothing into the owner's files yet).
From then on ``scaffold add`` edits the owner's app module instead of generating a ``main.py``
(see :mod:`scaffold.adopted`).

The app: every ``*.py`` file under the project (not in hidden folders, virtual environments,
``tests``, ``build`` or ``dist``) that mentions ``FastAPI`` is parsed with libcst, and each
``FastAPI(...)`` construction found is a candidate. Exactly one is required, unless ``--app
MODULE:NAME`` names it; it must be one scaffold can edit (:func:`scaffold.cst_edit.find_apps`).

The package: the app's module must sit at the top of an import package (``app/main.py`` with
``app/__init__.py``, or ``src/app/main.py``), because blueprints add modules beside it and
their code refers to ``<package>.<module>`` and to files next to the app module.

The name: ``[project].name`` of the owner's ``pyproject.toml`` when it is a valid project name,
else the folder's name, else the package's name.

The forecast: a project whose pins allow an older Python, FastAPI or pydantic than the
blueprints need is still adopted (its code is not scaffold's to change), but every blueprint
``add`` would refuse on those pins is named with the reason, from the same gate ``add`` runs
(:func:`scaffold.adopted_checks.refused_by_pins`), so the owner learns it in one run.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from scaffold.errors import DestinationError, ScaffoldError, SpecError
from scaffold.record import RECORD_PATH, Adopted

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

    from scaffold.catalog import SourceLike
    from scaffold.cst_edit import FoundApp
    from scaffold.models import ProjectSpec

_SKIPPED = frozenset(
    {
        "__pycache__",
        "node_modules",
        "venv",
        "env",
        "tests",
        "test",
        "build",
        "dist",
        "site-packages",
    }
)
_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
_SHOWN = 4  # candidates named in the "several apps" message


class AdoptError(ScaffoldError):
    """The project cannot be adopted as it is; nothing was written."""


@dataclass(frozen=True)
class Candidate:
    """A ``FastAPI(...)`` construction in one module of the project."""

    path: str  # relative to the project root, with '/'
    found: FoundApp

    def describe(self) -> str:
        """Say where it is, for a message listing several."""
        name = f"{self.found.name}, " if self.found.name else ""
        return f"{self.path} ({name}line {self.found.line})"


@dataclass(frozen=True)
class Adoption:
    """What ``adopt`` found and the record files it writes."""

    root: Path
    adopted: Adopted
    spec: ProjectSpec
    files: dict[str, bytes]
    notes: list[str] = field(default_factory=list)
    # blueprint -> why ``add`` would refuse it on the project's pins (Python, FastAPI, pydantic)
    refused: dict[str, list[str]] = field(default_factory=dict)


# --- finding the app ------------------------------------------------------------------------


def python_files(root: Path) -> Iterator[Path]:
    """Yield the project's own Python files, in a stable order."""
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".")
            and name not in _SKIPPED
            and not (here / name / "pyvenv.cfg").exists()
        )
        yield from (here / name for name in sorted(files) if name.endswith(".py"))


def _read(path: Path, relative: str) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        msg = f"{relative} is not UTF-8 text, so scaffold cannot read it"
        raise AdoptError(msg) from None


def _apps_in(path: Path, relative: str, factories: Collection[str] = ()) -> list[Candidate]:
    from scaffold.cst_edit import parse
    from scaffold.edit.factory import find_apps_followed

    text = _read(path, relative)
    if "FastAPI" not in text:
        return []
    found = find_apps_followed(parse(text, relative), factories)
    return [Candidate(relative, app) for app in found]


_MODULE_CALL = re.compile(r"^[A-Za-z_]\w*\s*(?::[^=]+)?=\s*([A-Za-z_]\w*)\(", re.MULTILINE)
_IMPORTED = re.compile(r"^from\s+[\w.]+\s+import\s+\(?([^)#\n]*)", re.MULTILINE)


def factories_called(root: Path) -> set[str]:
    """Return the functions some module imports and calls at module level (``app = f()``)."""
    called: set[str] = set()
    for path in python_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        imported = {
            name.strip().split(" as ")[0]
            for names in _IMPORTED.findall(text)
            for name in names.split(",")
        }
        called |= {name for name in _MODULE_CALL.findall(text) if name in imported}
    return called


def find_candidates(root: Path) -> list[Candidate]:
    """Every ``FastAPI(...)`` construction in the project's Python files."""
    factories = factories_called(root)
    candidates: list[Candidate] = []
    for path in python_files(root):
        candidates += _apps_in(path, path.relative_to(root).as_posix(), factories)
    return candidates


def _the_one(root: Path, candidates: list[Candidate]) -> Candidate:
    if not candidates:
        msg = f"found no FastAPI app in {root}: no Python file creates one with FastAPI(...)"
        raise AdoptError(msg, hint="run adopt in the project's folder, or pass -C DIR")
    files = {c.path for c in candidates}
    if len(files) == 1 and all(c.found.problem for c in candidates):
        return _editable(candidates[0])  # one module (if/else, factory): its reason is precise
    if len(candidates) > 1:
        shown = [c.describe() for c in candidates[:_SHOWN]]
        if len(candidates) > _SHOWN:
            shown.append(f"{len(candidates) - _SHOWN} more")
        listing = ", ".join(shown[:-1]) + " and " + shown[-1]
        msg = f"found {len(candidates)} FastAPI apps: {listing}; pass --app MODULE:NAME"
        raise AdoptError(msg, hint="for example --app app.main:app")
    return _editable(candidates[0])


def _editable(candidate: Candidate) -> Candidate:
    if candidate.found.problem is not None:
        msg = f"cannot adopt the app in {candidate.path}: {candidate.found.problem}"
        raise AdoptError(msg)
    return candidate


def _module_file(root: Path, module: str) -> str | None:
    """Return the file of a dotted module (or a path) under ``root``, relative, or None."""
    if module.endswith(".py"):
        options = [module]
    else:
        base = module.replace(".", "/")
        options = [f"{base}.py", f"{base}/__init__.py", f"src/{base}.py", f"src/{base}/__init__.py"]
    for option in options:
        if (root / option).is_file():
            return option
    return None


def _by_reference(root: Path, reference: str) -> Candidate:
    module, colon, name = reference.rpartition(":")
    if not colon or not module or not name.isidentifier():
        msg = f"--app takes MODULE:NAME, such as app.main:app, not '{reference}'"
        raise SpecError(msg)
    relative = _module_file(root, module)
    if relative is None:
        msg = f"--app {reference}: there is no module {module} in {root}"
        raise AdoptError(msg, hint="give the dotted module (app.main) or its path (app/main.py)")
    candidates = _apps_in(root / relative, relative)
    named = [c for c in candidates if c.found.name == name]
    if named:
        return _editable(named[0])
    if len(candidates) == 1 and candidates[0].found.name is None:
        return _editable(candidates[0])  # the one app there, in a form scaffold says it refuses
    found = ", ".join(c.describe() for c in candidates) or "none"
    msg = f"{relative} has no FastAPI app named '{name}' (FastAPI apps there: {found})"
    if not candidates:  # built elsewhere (a factory of another module): say why that one is not
        elsewhere = [c for c in find_candidates(root) if c.found.problem is not None]
        if len(elsewhere) == 1:
            msg += (
                f"; the one in {elsewhere[0].path} cannot be adopted: {elsewhere[0].found.problem}"
            )
    raise AdoptError(msg)


# --- the package and the project ------------------------------------------------------------


def package_of(root: Path, module: str) -> tuple[str, str]:
    """Return the import package holding ``module`` and its folder; refuse other layouts."""
    folder = PurePosixPath(module).parent
    if folder == PurePosixPath("."):
        msg = (
            f"{module} is not inside a package; blueprints add modules beside the app and "
            "import them from its package, so scaffold adopts an app in a package folder"
        )
        raise AdoptError(msg, hint="move it into a package, such as app/main.py")
    top = folder
    while top.parent != PurePosixPath(".") and (root / top.parent / "__init__.py").is_file():
        top = top.parent
    if top != folder:
        dotted = ".".join(folder.relative_to(top.parent).parts)
        msg = (
            f"{module} is in the sub-package {dotted}; scaffold adopts an app whose module sits "
            f"at the top of its package (like {top.as_posix()}/main.py), because blueprints "
            "add their modules and files beside it"
        )
        raise AdoptError(msg)
    if not top.name.isidentifier():
        msg = f"the folder {top.as_posix()} holding {module} is not an importable package name"
        raise AdoptError(msg)
    return top.name, top.as_posix()


def _pyproject(root: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    project = data.get("project")
    return project if isinstance(project, dict) else {}


def _python(requires: Any) -> str | None:
    if not isinstance(requires, str):
        return None
    for version in _PYTHONS:
        if requires.replace(" ", "").startswith((f">={version}", f"~={version}", f"=={version}")):
            return version
    return None


def project_spec(root: Path, package: str) -> ProjectSpec:
    """Return the spec of the adopted project: its name, description and Python, no blueprints."""
    from pydantic import ValidationError

    from scaffold.models import ProjectSpec

    project = _pyproject(root)
    extra: dict[str, Any] = {}
    if isinstance(project.get("description"), str) and project["description"].strip():
        extra["description"] = project["description"].strip()
    if _python(project.get("requires-python")):
        extra["python"] = _python(project.get("requires-python"))
    names = [project.get("name"), root.resolve().name, package]
    for name in (n for n in names if isinstance(n, str)):
        for fields in (extra, {}):  # an unusable description or Python falls back to defaults
            try:
                return ProjectSpec.model_validate({"name": name, **fields})
            except ValidationError:
                continue
    msg = f"cannot name the project: none of {', '.join(map(str, names))} is a valid project name"
    raise AdoptError(msg, hint="set [project].name in pyproject.toml")


# --- adopting -------------------------------------------------------------------------------


def adopt_project(
    root: Path, *, app: str | None = None, sources: tuple[SourceLike, ...] = ()
) -> Adoption:
    """Find the app in ``root`` and prepare the record that adopts it; nothing is written."""
    from scaffold import __version__
    from scaffold.adopted import resolve_adopted
    from scaffold.adopted_checks import refused_by_pins
    from scaffold.adopted_memory import MEMORY_PATH, Memory, dump_memory
    from scaffold.catalog import load_catalog
    from scaffold.record import record_files

    if not root.is_dir():
        msg = f"{root} is not a folder"
        raise DestinationError(msg, hint="pass the project's folder with -C")
    if (root / RECORD_PATH).exists():
        msg = f"{root} is already a scaffold project ({RECORD_PATH} exists)"
        raise AdoptError(msg, hint="use scaffold add, update or status")
    candidate = _by_reference(root, app) if app else _the_one(root, find_candidates(root))
    package, package_dir = package_of(root, candidate.path)
    assert candidate.found.name is not None  # noqa: S101  # an editable app has its name
    adopted = Adopted(candidate.path, candidate.found.name, package, package_dir)
    spec = project_spec(root, package)
    catalog = load_catalog(sources)
    selection, _ = resolve_adopted(spec, adopted, sources, catalog)
    files = record_files(spec, selection, {}, __version__, adopted, root=root)
    files[MEMORY_PATH] = dump_memory(Memory())  # scaffold put nothing into the owner's files
    from scaffold.adopted import owners_folder
    from scaffold.untrusted import read_project_file

    folder = owners_folder(lambda path: read_project_file(root, path), adopted)
    refused = refused_by_pins(root, catalog, folder)
    return Adoption(root=root, adopted=adopted, spec=spec, files=files, refused=refused)
