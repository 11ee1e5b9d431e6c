"""Adding development requirements (the tests blueprint's) where the owner keeps theirs.

The first of these that the project has takes them, as ``uv add --dev``, ``poetry add
--group dev`` or ``pdm add -dG test`` would have written them:

1. PEP 735 ``[dependency-groups]`` (uv, pip 25.1, PDM): the ``test``, ``tests`` or ``dev``
   group, else a new ``dev`` group;
2. Poetry's ``[tool.poetry.group.test|dev.dependencies]``, or its older
   ``[tool.poetry.dev-dependencies]``;
3. PDM's ``[tool.pdm.dev-dependencies]``: the ``test`` or ``dev`` group;
4. ``[project.optional-dependencies]``: the ``test``, ``tests`` or ``dev`` extra;
5. a requirements file for development (``requirements-dev.txt``, ``requirements/test.txt``...);
6. a uv project (``uv.lock`` beside a ``[project]`` table) without any of these: a new
   ``[dependency-groups]`` table with a ``dev`` group, as ``uv add --dev`` makes.

Else nothing is written and the requirements are listed for the owner. A requirement the
project already names anywhere (its runtime dependencies, any group or extra, any of those
files) counts as present: the owner's pin wins. Edits go through tomlkit, which keeps the
owner's comments and layout, and are checked by parsing the result again: the target list must
have gained (or lost) exactly those items, else the file is left alone with a note. Taking
them out again (:func:`remove_dev_requirements`) is the inverse, for the lines scaffold wrote;
a group or table it created and that is empty again goes too.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scaffold.dependency_edit import (
    PYPROJECT,
    REQUIREMENTS,
    DependencyEdit,
    append_lines,
    as_before_append,
    poetry_entry,
    remove_lines,
    requirement_name,
    same_poetry_value,
)

if TYPE_CHECKING:
    from collections.abc import Callable

GROUPS = ("test", "tests", "dev")
REQUIREMENT_FILES = (
    "requirements-dev.txt",
    "requirements-test.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "test-requirements.txt",
    "requirements/dev.txt",
    "requirements/test.txt",
)
UV_LOCK = "uv.lock"


@dataclass(frozen=True)
class _Target:
    """Where development requirements go in ``pyproject.toml``: a list, or Poetry's table."""

    where: str  # for messages: "[dependency-groups].dev"
    path: tuple[str, ...]  # the keys down to the list (or Poetry's table)
    poetry: bool = False


def add_dev_requirements(read: Callable[[str], bytes | None], wanted: list[str]) -> DependencyEdit:
    """Add the development requirements the project lacks where it keeps its own."""
    if not wanted:
        return DependencyEdit()
    present = _all_requirements(read)
    missing = [item for item in wanted if requirement_name(item) not in present]
    pyproject = _text(read(PYPROJECT))
    data = _toml(pyproject)
    target = _target(data, read)
    if not missing:
        return DependencyEdit()
    if target is None:
        for name in REQUIREMENT_FILES:
            content = read(name)
            if content is not None:
                return append_lines(name, content, missing)
        note = (
            "no place for development requirements (a [dependency-groups] table, a Poetry or "
            "PDM dev group, a test extra or requirements-dev.txt): install these yourself: "
            + ", ".join(missing)
        )
        return DependencyEdit(notes=[note])
    assert pyproject is not None  # noqa: S101  # a target is in pyproject.toml
    edited = _edit(pyproject, target, missing, add=True)
    if edited is None:
        note = (
            f"could not edit {target.where} in pyproject.toml safely: add these development "
            f"requirements yourself: {', '.join(missing)}"
        )
        return DependencyEdit(notes=[note])
    return DependencyEdit(path=PYPROJECT, content=edited.encode("utf-8"), added=missing)


def remove_dev_requirements(
    read: Callable[[str], bytes | None], items: list[str]
) -> DependencyEdit:
    """Take out the development requirement lines scaffold added (``items``, as written)."""
    if not items:
        return DependencyEdit()
    pyproject = _text(read(PYPROJECT))
    target = _target(_toml(pyproject), read, existing_only=True)
    if target is not None and pyproject is not None:
        edited = _edit(pyproject, target, items, add=False)
        if edited is not None:
            return DependencyEdit(path=PYPROJECT, content=edited.encode("utf-8"))
        return DependencyEdit()
    for name in REQUIREMENT_FILES:
        content = read(name)
        if content is not None:
            return DependencyEdit(path=name, content=remove_lines(content, items))
    return DependencyEdit()


# --- finding the place ----------------------------------------------------------------------


def _text(content: bytes | None) -> str | None:
    if content is None:
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _toml(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _first_group(table: Any) -> str | None:
    if not isinstance(table, dict):
        return None
    return next((name for name in GROUPS if isinstance(table.get(name), list)), None)


def _target(
    data: dict[str, Any], read: Callable[[str], bytes | None], *, existing_only: bool = False
) -> _Target | None:
    tool = data.get("tool", {})
    tool = tool if isinstance(tool, dict) else {}
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        named = _first_group(groups) or "dev"
        return _Target(f"[dependency-groups].{named}", ("dependency-groups", named))
    poetry = _poetry_target(tool.get("poetry"))
    if poetry is not None:
        return poetry
    pdm = tool.get("pdm", {})
    group = _first_group(pdm.get("dev-dependencies") if isinstance(pdm, dict) else None)
    if group is not None:
        path: tuple[str, ...] = ("tool", "pdm", "dev-dependencies", group)
        return _Target(f"[tool.pdm.dev-dependencies].{group}", path)
    project = data.get("project")
    extras = project.get("optional-dependencies") if isinstance(project, dict) else None
    if (group := _first_group(extras)) is not None:
        path = ("project", "optional-dependencies", group)
        return _Target(f"[project.optional-dependencies].{group}", path)
    if existing_only or any(read(name) is not None for name in REQUIREMENT_FILES):
        return None
    if isinstance(project, dict) and read(UV_LOCK) is not None:
        return _Target("[dependency-groups].dev", ("dependency-groups", "dev"))
    return None


def _poetry_target(poetry: Any) -> _Target | None:
    if not isinstance(poetry, dict):
        return None
    groups = poetry.get("group", {})
    for group in GROUPS:
        table = groups.get(group, {}) if isinstance(groups, dict) else {}
        if isinstance(table, dict) and isinstance(table.get("dependencies"), dict):
            path: tuple[str, ...] = ("tool", "poetry", "group", group, "dependencies")
            return _Target(f"[tool.poetry.group.{group}.dependencies]", path, poetry=True)
    if isinstance(poetry.get("dev-dependencies"), dict):
        legacy = ("tool", "poetry", "dev-dependencies")
        return _Target("[tool.poetry.dev-dependencies]", legacy, poetry=True)
    return None


def _all_requirements(read: Callable[[str], bytes | None]) -> set[str]:
    """Every distribution name the project already requires, anywhere it keeps requirements."""
    data = _toml(_text(read(PYPROJECT)))
    found: list[str] = []
    project = data.get("project", {})
    found += _strings(project.get("dependencies"))
    for table in (project.get("optional-dependencies"), data.get("dependency-groups")):
        if isinstance(table, dict):
            for items in table.values():
                found += _strings(items)
    tool = data.get("tool", {})
    pdm = tool.get("pdm", {}).get("dev-dependencies", {})
    for items in pdm.values() if isinstance(pdm, dict) else ():
        found += _strings(items)
    poetry = tool.get("poetry", {})
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    tables += [
        g.get("dependencies") for g in poetry.get("group", {}).values() if isinstance(g, dict)
    ]
    found += [key for table in tables if isinstance(table, dict) for key in table]
    for name in (REQUIREMENTS, *REQUIREMENT_FILES):
        text = _text(read(name)) or ""
        found += [
            line.split("#")[0]
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "-"))
        ]
    return {requirement_name(item) for item in found}


def _strings(items: Any) -> list[str]:
    return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []


# --- editing ----------------------------------------------------------------------------------


def _edit(text: str, target: _Target, items: list[str], *, add: bool) -> str | None:
    """Add (or take out) ``items`` at ``target``; None when the result is not exactly that."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
    except (TOMLKitError, ValueError):
        return None
    before = _at(_toml(text), target.path)
    if target.poetry:
        edited = _edit_poetry_table(document, target, items, add=add)
    else:
        edited = _edit_list(document, target, items, add=add)
    if not edited:
        return text
    result = str(document.as_string())
    if not add and target.path[0] not in _toml(result) and result.endswith("\n\n"):
        result = result.rstrip("\n") + "\n"  # the blank line tomlkit put above the table
    after = _at(_toml(result), target.path)
    if not _exactly(before, after, items, target, add=add):
        return None
    if not add and not target.poetry:  # an owner's last item gets its own line back
        gone = [item for item in before or [] if item in items]
        result = as_before_append(text, result, lambda t: _edit(t, target, gone, add=True))
    return result


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _exactly(before: Any, after: Any, items: list[str], target: _Target, *, add: bool) -> bool:
    if target.poetry:
        names = {requirement_name(poetry_entry(item)[0]) for item in items}
        old = {requirement_name(k) for k in before or {}}
        new = {requirement_name(k) for k in after or {}}
        return new == (old | names if add else old - names)
    old_list = list(before or [])
    new_list = list(after or [])
    if add:
        return new_list == [*old_list, *items]
    return new_list == [item for item in old_list if item not in items]


def _edit_list(document: Any, target: _Target, items: list[str], *, add: bool) -> bool:
    *parents, name = target.path
    if add:
        _list_at(document, target.path).extend(items)
        return True
    table = document
    for key in parents:
        if key not in table:
            return False
        table = table[key]
    if name not in table:
        return False
    array = table[name]
    gone = [item for item in items if item in [str(value) for value in array]]
    for item in gone:
        del array[[str(value) for value in array].index(item)]
    if not array and parents == ["dependency-groups"]:
        del table[name]  # the group scaffold created; an emptied owner's group goes too
        if not table:
            del document[parents[0]]
    return bool(gone)


def _list_at(document: Any, path: tuple[str, ...]) -> Any:
    """Return the array at ``path``, making the tables and the (multi-line) array it needs."""
    import tomlkit

    *parents, name = path
    table = document
    for key in parents:
        if key not in table:
            table[key] = tomlkit.table()
        table = table[key]
    if name not in table:
        array = tomlkit.array()
        array.multiline(multiline=True)
        table[name] = array
    return table[name]


def _edit_poetry_table(document: Any, target: _Target, items: list[str], *, add: bool) -> bool:
    table = document
    for key in target.path:
        table = table[key]
    present = {requirement_name(key): key for key in table}
    changed = False
    for item in items:
        name, value = poetry_entry(item)
        existing = present.get(requirement_name(name))
        if add and existing is None:
            table[name] = value
            changed = True
        elif not add and existing is not None and same_poetry_value(table[existing], value):
            del table[existing]
            changed = True
    return changed
