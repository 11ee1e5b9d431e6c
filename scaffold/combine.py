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
"""

from __future__ import annotations

from typing import Any

from scaffold.dependency_edit import requirement_name

# The foundation's build backend is the one that builds its layout: another's is never mixed in.
_FOUNDATION_ONLY = frozenset({"build-system"})


def combine_shared(path: str, foundation: bytes, extra: bytes) -> bytes | None:
    """Return ``foundation`` with what ``extra`` adds; ``None`` when the file has no structure."""
    try:
        ours, theirs = foundation.decode("utf-8"), extra.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if path.endswith(".toml"):
        combined = combine_toml(ours, theirs)
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


def combine_toml(foundation: str, extra: str) -> str | None:
    """Add to the foundation's document the keys and array items only ``extra`` has."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        ours, theirs = tomlkit.parse(foundation), tomlkit.parse(extra)
    except (TOMLKitError, ValueError):
        return None
    _add_missing(ours, theirs, path=())
    return ours.as_string()


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
            _add_items(
                mine,
                _plain(other),
                requirements="dependencies" in path
                or key
                in {
                    "dependencies",
                    "requires",
                },
            )
        # a scalar both set: the foundation's stays


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
