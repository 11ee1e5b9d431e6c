"""Two blueprints writing one shared file: a copier template's file and what the others add.

A copier template that writes a whole project brings its own ``pyproject.toml``, ``README.md``
and ``.gitignore``; scaffold's blueprints write those too. Instead of refusing the pair, the
template's file is the foundation and the other's pieces go into it by structure, the way the
three-way merge adds a blueprint's pieces to an owner's file (:mod:`scaffold.edit`): TOML by key
(the foundation's value wins where both set one; arrays gain the items they lack, a requirement
the foundation already lists is not listed twice), env files by variable, ``*ignore`` files by
line, Markdown by section, Python by statement (a package's ``__init__.py`` is the
foundation's). The
foundation's bytes stay as they were; what it lacks is added after them.

A ``pyproject.toml`` is the foundation's project: a field it declares ``dynamic`` is not given
a static value (PEP 621 forbids both), the other's requirements on its own project name the
foundation's project, and a foundation with a build backend keeps its build configuration
(another backend's tables, or more packages for its own, would change what its wheel holds).
"""

from __future__ import annotations

import re
from typing import Any

from scaffold.dependency_edit import requirement_name

# The foundation's build backend is the one that builds its layout: another's is never mixed in.
_FOUNDATION_ONLY = frozenset({"build-system"})
# What configures a build backend (which packages its wheel holds): the foundation's own when it
# names a backend, so base's ``packages = ["demo"]`` never replaces a template's src/ discovery.
_BUILD_TABLES = (
    ("tool", "hatch", "build"),
    ("tool", "setuptools"),
    ("tool", "pdm", "build"),
    ("tool", "flit"),
    ("tool", "poetry"),
    ("tool", "maturin"),
    ("tool", "scikit-build"),
    ("tool", "uv", "build-backend"),
)
# The arrays of these tables list requirements: one name is listed once, the foundation's first.
_REQUIREMENT_TABLES = frozenset({("project", "optional-dependencies"), ("dependency-groups",)})
_REQUIREMENT_HEAD = re.compile(r"^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


def combine_shared(path: str, foundation: bytes, extra: bytes) -> bytes | None:
    """Return ``foundation`` with what ``extra`` adds; ``None`` when the file has no structure."""
    try:
        ours, theirs = foundation.decode("utf-8"), extra.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if path.endswith(".toml"):
        combined = combine_toml(ours, theirs, pyproject=path.rpartition("/")[2] == "pyproject.toml")
        return None if combined is None else combined.encode("utf-8")
    if path.endswith(".py") and (not ours.strip() or not theirs.strip()):
        return foundation if ours.strip() else extra
    if path.endswith("/__init__.py") or path == "__init__.py":
        return foundation  # the foundation's package marker: the package is the template's
    if path.endswith(".py"):
        return _combine_python(path, ours, theirs)
    from scaffold.edit.text import chunker_for, merge_chunks

    chunker = chunker_for(path)
    if chunker is None:
        return None
    merged = merge_chunks("", ours, theirs, chunker, origin=path)
    return None if merged.conflicted else merged.text.encode("utf-8")


def combine_toml(foundation: str, extra: str, *, pyproject: bool = False) -> str | None:
    """Add to the foundation's document the keys and array items only ``extra`` has."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        ours, theirs = tomlkit.parse(foundation), tomlkit.parse(extra)
    except (TOMLKitError, ValueError):
        return None
    if pyproject:
        _fit_to_foundation(ours, theirs)
    _add_missing(ours, theirs, path=())
    return ours.as_string()


def _fit_to_foundation(ours: Any, theirs: Any) -> None:
    """Take out of ``theirs`` what would make the foundation's pyproject invalid or not its own."""
    project = _plain(ours.get("project", {}))
    dynamic = project.get("dynamic", []) if isinstance(project, dict) else []
    their_project = theirs.get("project")
    if their_project is not None and isinstance(dynamic, list):
        for key in dynamic:
            their_project.pop(key, None)
    if "build-system" in ours:
        for table in _BUILD_TABLES:
            _drop(theirs, table)
    name = project.get("name") if isinstance(project, dict) else None
    their_name = their_project.get("name") if their_project is not None else None
    if isinstance(name, str) and isinstance(their_name, str):
        _rename_self_references(theirs, requirement_name(str(their_name)), name)


def _drop(document: Any, path: tuple[str, ...]) -> None:
    """Remove the table at ``path``, and the parents it leaves empty."""
    parents = [document]
    for key in path[:-1]:
        child = parents[-1].get(key)
        if not isinstance(_plain(child), dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for parent, key in zip(reversed(parents[:-1]), reversed(path[:-1]), strict=True):
        if len(parent[key]) == 0:
            del parent[key]


def _rename_self_references(theirs: Any, old: str, new: str) -> None:
    """Make the requirements on ``theirs``' own project (``demo[dev]``) name project ``new``."""
    groups = [theirs.get("dependency-groups", {})]
    project = theirs.get("project", {})
    groups.append(project.get("optional-dependencies", {}))
    arrays = [array for group in groups for array in group.values()]
    arrays.append(project.get("dependencies", []))
    for array in arrays:
        for index, item in enumerate(list(array)):
            if isinstance(item, str) and requirement_name(item) == old:
                array[index] = _REQUIREMENT_HEAD.sub(new, str(item), count=1)


def _plain(value: Any) -> Any:
    return value.unwrap() if hasattr(value, "unwrap") else value


def _add_missing(ours: Any, theirs: Any, *, path: tuple[str, ...]) -> None:
    for key in theirs:
        if key not in ours:
            ours[key] = theirs[key]
            continue
        if not path and key in _FOUNDATION_ONLY:
            continue
        mine, other = ours[key], theirs[key]
        if isinstance(_plain(mine), dict) and isinstance(_plain(other), dict):
            _add_missing(mine, other, path=(*path, key))
        elif isinstance(_plain(mine), list) and isinstance(_plain(other), list):
            _add_items(mine, _plain(other), requirements=_holds_requirements((*path, key)))
        # a scalar both set: the foundation's stays


def _holds_requirements(path: tuple[str, ...]) -> bool:
    """Whether the array at ``path`` lists requirements (an extra, a group, build requires)."""
    return path[-1] in {"dependencies", "requires"} or path[:-1] in _REQUIREMENT_TABLES


def _add_items(ours: Any, items: list[Any], *, requirements: bool) -> None:
    names = {requirement_name(o) for o in _plain(ours) if isinstance(o, str)}
    for item in items:
        if item in _plain(ours):
            continue
        if requirements and isinstance(item, str) and requirement_name(item) in names:
            continue
        ours.append(item)


def _combine_python(path: str, ours: str, theirs: str) -> bytes | None:
    """Add the other module's statements and imports the foundation's lacks (a conftest)."""
    from scaffold.edit import UnsafeEditError
    from scaffold.edit.python import merge_python

    try:
        merged = merge_python("", ours, theirs, origin=path, package="")
    except UnsafeEditError:
        return None
    return None if merged is None else merged.code.encode("utf-8")
