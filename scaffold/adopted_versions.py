"""The Python and FastAPI an adopted project runs on, read from its own files.

Blueprints write code for Python 3.10+ (``X | None`` in annotations pydantic and FastAPI
evaluate at import) and FastAPI 0.115+ (what the base blueprint requires). An owner's project
that allows older (``requires-python = ">=3.8"``, ``fastapi==0.65.2``) would import the code
and fail, or silently ignore it, so :func:`version_blockers` says why it is refused instead.

Read, in this order, whatever the project has:

* Python: ``[project].requires-python``, ``[tool.poetry.dependencies].python``,
  ``.python-version``;
* FastAPI (and Starlette, pydantic): the locked version in ``uv.lock`` or ``poetry.lock``,
  else the constraint in ``[project].dependencies``, ``[tool.poetry.dependencies]`` or
  ``requirements*.txt``.

A constraint's lowest allowed version is what counts (a project allowing 3.9 may run on it).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

# The oldest versions scaffold's blueprints work on, and why (said in the refusal).
NEEDED = {
    "python": ("3.10", "their code uses X | None annotations, evaluated at import"),
    "fastapi": ("0.115", "the base blueprint requires fastapi>=0.115"),
    "pydantic": ("2.0", "the settings blueprint uses pydantic-settings 2"),
}
_CANDIDATES = [f"{major}.{minor}" for major in (2, 3) for minor in range(13)]
_CANDIDATES += [f"0.{minor}" for minor in range(40, 200)] + ["1.0", "2.0"]


@dataclass(frozen=True)
class Found:
    """A version or constraint of one package, and where it was read."""

    package: str
    text: str  # "==0.65.2", ">=3.8", "0.110.0" (a locked version)
    where: str


# A project file's bytes by its path in the project's folder; None when it has none.
Read = Callable[[str], bytes | None]


def _toml(read: Read, relative: str) -> dict[str, Any] | None:
    content = read(relative)
    if content is None:
        return None
    try:
        return tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _pyproject(read: Read) -> dict[str, Any]:
    return _toml(read, "pyproject.toml") or {}


def _locked(read: Read, package: str) -> Found | None:
    for lock in ("uv.lock", "poetry.lock"):
        data = _toml(read, lock)
        if data is None:
            continue
        for entry in data.get("package", []):
            if isinstance(entry, dict) and str(entry.get("name", "")).lower() == package:
                return Found(package, str(entry.get("version", "")), lock)
    return None


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?\s*([^;#]*)")


def _constraint(requirement: str, package: str) -> str | None:
    match = _REQUIREMENT.match(requirement)
    if match is None or match.group(1).lower().replace("_", "-") != package:
        return None
    return match.group(3).strip() or None


def _declared(read: Read, requirement_files: Iterable[str], package: str) -> Found | None:
    data = _pyproject(read)
    project = data.get("project", {})
    for item in project.get("dependencies", []) if isinstance(project, dict) else []:
        if isinstance(item, str) and (text := _constraint(item, package)):
            return Found(package, text, "pyproject.toml [project].dependencies")
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    value = poetry.get(package) if isinstance(poetry, dict) else None
    if isinstance(value, dict):
        value = value.get("version")
    if isinstance(value, str):
        return Found(package, _poetry_constraint(value), "[tool.poetry.dependencies]")
    for name in requirement_files:
        content = read(name) or b""
        for line in content.decode("utf-8", errors="replace").splitlines():
            if text := _constraint(line, package):
                return Found(package, text, name)
    return None


def _poetry_constraint(value: str) -> str:
    """Read Poetry's ``^0.65`` / ``~0.65`` / ``0.65.2`` as a PEP 440 lower bound."""
    value = value.strip()
    if value.startswith("^"):  # ^0.65.2: >=0.65.2,<0.66; ^1.2: >=1.2,<2
        parts = [int(p) if p.isdigit() else 0 for p in value[1:].split(".")]
        first = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
        upper = [*parts[:first], parts[first] + 1]
        return f">={value[1:]},<{'.'.join(map(str, upper))}"
    if value[:1] == "~" and value[1:2] != "=":
        return f"~={value[1:]}" if value.count(".") >= 1 else f">={value[1:]}"
    if value[:1].isdigit():
        return f"=={value}"
    return value


def _python(read: Read) -> Found | None:
    data = _pyproject(read)
    project = data.get("project", {})
    requires = project.get("requires-python") if isinstance(project, dict) else None
    if isinstance(requires, str):
        return Found("python", requires, "requires-python")
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {})
    if isinstance(poetry, dict) and isinstance(poetry.get("python"), str):
        return Found("python", _poetry_constraint(poetry["python"]), "[tool.poetry.dependencies]")
    content = read(".python-version")
    if content is None:
        return None
    pinned = content.decode("utf-8", errors="replace").split()
    return Found("python", f"=={pinned[0]}", ".python-version") if pinned else None


def _specifiers(text: str) -> SpecifierSet | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(text.replace(" ", ""))
    except InvalidSpecifier:
        return None


def _lowest(text: str) -> Version | None:
    """Return the lowest version a constraint allows (a bare version is itself), or None."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(text)
    except InvalidVersion:
        pass
    specifiers = _specifiers(text)
    if specifiers is None:
        return None
    bounds = [Version(s.version) for s in specifiers if s.operator in {"==", "~=", ">=", "==="}]
    allowed = [v for v in (*bounds, *map(Version, _CANDIDATES)) if v in specifiers]
    return min(allowed) if allowed else None


def _too_old(found: Found, needed: str) -> str | None:
    """Say what is too old: Python's lowest allowed; a package's locked or highest allowed."""
    from packaging.version import InvalidVersion, Version

    floor = Version(needed)
    if found.package == "python":
        lowest = _lowest(found.text)
        return str(lowest) if lowest is not None and lowest < floor else None
    try:  # a locked version, or a bare one
        version = Version(found.text)
    except InvalidVersion:
        specifiers = _specifiers(found.text)
        if specifiers is None:
            return None
        pins = [s.version for s in specifiers if s.operator in {"==", "==="}]
        if pins and "*" not in pins[0]:
            return pins[0] if Version(pins[0]) < floor else None
        newer = [Version(c) for c in _CANDIDATES if Version(c) >= floor] + [floor]
        reachable = any(v in specifiers for v in newer)
        return None if reachable else f"only versions older than {needed}"
    return str(version) if version < floor else None


def version_blockers(
    root: Path, *, settings: bool = True, folder: str = "", read: Read | None = None
) -> list[str]:
    """Say each version the project runs on that is older than the blueprints need.

    ``settings``: the settings blueprint arrives (only it needs pydantic 2). ``folder``: where
    the project's files are under ``root`` (``backend``; the root itself for ``""``).
    ``read``: the project's files by their path from ``root``, as the change will leave them
    (a foundation template's new version merged in); the disk when not given.
    """
    shown = f"{folder}/" if folder else ""
    home = root / folder if folder else root
    if read is None:
        from scaffold.untrusted import read_project_file

        read = partial(read_project_file, root)
    if folder:
        read = partial(_in_folder, read, folder)
    # requirements files are found on disk; their content is read as the change leaves it
    requirement_files = sorted(path.name for path in home.glob("requirements*.txt"))
    blockers = []
    for package, (needed, why) in NEEDED.items():
        if package == "pydantic" and not settings:
            continue
        if package == "python":
            found = _python(read)
        else:
            found = _locked(read, package) or _declared(read, requirement_files, package)
        old = None if found is None else _too_old(found, needed)
        if found is not None and old is not None:
            name = "Python" if package == "python" else package
            blockers.append(
                f"the project allows {name} {old} ({shown}{found.where}: {found.text}), but "
                f"scaffold's blueprints need {needed} or newer: {why}"
            )
    return blockers


def _in_folder(read: Read, folder: str, relative: str) -> bytes | None:
    return read(f"{folder}/{relative}")
