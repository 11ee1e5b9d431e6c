"""Adding requirements to a project scaffold did not generate, by the smallest line edit.

An adopted project's ``pyproject.toml`` and ``requirements.txt`` are the owner's: scaffold never
regenerates them. It adds the requirements blueprints need, and nothing else:

* ``pyproject.toml`` with a ``[project].dependencies`` array: each missing requirement becomes one
  more item of that array, in its layout (one per line, or inline), through tomlkit, which keeps
  every comment, quote and the order; the result is parsed again and must differ from the
  original by exactly those items, else the file is left alone;
* else Poetry's ``[tool.poetry.dependencies]`` table: ``name = "constraint"`` (with
  ``extras``, an inline table) per missing requirement, through tomlkit too;
* else ``requirements.txt``: one line per missing requirement at its end;
* else nothing is written and the requirements are listed for the owner.

Taking requirements out (:func:`remove_requirements`, when the blueprints that needed them go)
is the inverse, and only for the lines scaffold added, exactly as it wrote them.

A requirement counts as present when the owner already requires a distribution of that name
(normalised, extras and versions aside): the owner's pin wins over a blueprint's range.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

PYPROJECT = "pyproject.toml"
REQUIREMENTS = "requirements.txt"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass
class DependencyEdit:
    """Where the requirements went: the file's new content, or a note for the owner."""

    path: str | None = None
    content: bytes | None = None
    added: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def requirement_name(requirement: str) -> str:
    """Return the normalised distribution name of a requirement (``Foo_Bar[x]>=1`` -> foo-bar)."""
    match = _NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement.strip()


def _missing(wanted: Iterable[str], present: Iterable[str]) -> list[str]:
    have = {requirement_name(item) for item in present}
    return [item for item in wanted if requirement_name(item) not in have]


def add_requirements(read: Callable[[str], bytes | None], wanted: list[str]) -> DependencyEdit:
    """Add the requirements the project lacks to its pyproject.toml or requirements.txt.

    ``read`` returns a file's bytes (None: absent), relative to the project root.
    """
    if not wanted:
        return DependencyEdit()
    pyproject = read(PYPROJECT)
    if pyproject is not None:
        edit = _edit_pyproject(pyproject, wanted) or _edit_poetry(pyproject, wanted, add=True)
        if edit is not None:
            return edit
    requirements = read(REQUIREMENTS)
    if requirements is not None:
        return _edit_requirements_txt(requirements, wanted)
    note = (
        "no [project].dependencies in pyproject.toml and no requirements.txt: add these "
        f"requirements yourself: {', '.join(wanted)}"
    )
    return DependencyEdit(notes=[note])


def _project_dependencies(text: str) -> list[str] | None:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    dependencies = data.get("project", {}).get("dependencies")
    return dependencies if isinstance(dependencies, list) else None


def _edit_pyproject(content: bytes, wanted: list[str]) -> DependencyEdit | None:
    """Edit ``[project].dependencies``; None when the file has no such array to edit."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    present = _project_dependencies(text)
    if present is None:
        return None
    missing = _missing(wanted, present)
    if not missing:
        return DependencyEdit(path=PYPROJECT, content=content)
    edited = _insert_items(text, missing)
    if edited is None or _project_dependencies(edited) != [*present, *missing]:
        note = (
            "could not edit [project].dependencies in pyproject.toml safely: add these "
            f"requirements yourself: {', '.join(missing)}"
        )
        return DependencyEdit(notes=[note])
    return DependencyEdit(path=PYPROJECT, content=edited.encode("utf-8"), added=missing)


def _project_array(text: str) -> tuple[Any, Any] | None:
    """Parse ``text`` with tomlkit; return the document and its ``[project].dependencies``."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
    except (TOMLKitError, ValueError):
        return None
    project: Any = document.get("project")
    array = project.get("dependencies") if isinstance(project, dict) else None
    return (document, array) if isinstance(array, list) else None


def _insert_items(text: str, items: list[str]) -> str | None:
    """Append ``items`` to ``[project].dependencies``, in the array's layout (tomlkit)."""
    parsed = _project_array(text)
    if parsed is None:
        return None
    document, array = parsed
    for item in items:
        array.append(item)
    return str(document.as_string())


def _edit_requirements_txt(content: bytes, wanted: list[str]) -> DependencyEdit:
    text = content.decode("utf-8", errors="replace")
    present = [
        line.split("#")[0]
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-"))
    ]
    missing = _missing(wanted, present)
    if not missing:
        return DependencyEdit(path=REQUIREMENTS, content=content)
    return append_lines(REQUIREMENTS, content, missing)


def append_lines(path: str, content: bytes, items: list[str]) -> DependencyEdit:
    """Add one requirement line per item at the end of a requirements file, in its newlines.

    A file whose last line has no newline keeps that shape: the newline goes before scaffold's
    lines and their last one gets none, so that :func:`remove_lines` can give the owner's bytes
    back without a record of how the file ended.
    """
    newline = "\r\n" if b"\r\n" in content else "\n"
    lines = newline.join(items).encode("utf-8")
    if not content or content.endswith(b"\n"):
        edited = content + lines + newline.encode()
    else:
        edited = content + newline.encode() + lines
    return DependencyEdit(path=path, content=edited, added=items)


def remove_lines(content: bytes, items: list[str]) -> bytes:
    """Take the lines that are exactly ``items`` out of a requirements file, byte for byte.

    Bytes, not text: a line scaffold did not write keeps its bytes even when it is not UTF-8.
    When scaffold's lines were last in a file whose last line has no newline, the owner's line
    before them gets its ending back, as :func:`append_lines` found it.
    """
    lines = content.splitlines(keepends=True)
    kept = [line for line in lines if line.strip().decode("utf-8", "replace") not in items]
    result = b"".join(kept)
    if len(kept) < len(lines) and not content.endswith(b"\n") and result.endswith(b"\n"):
        result = result.removesuffix(b"\r\n") if result.endswith(b"\r\n") else result[:-1]
    return result


# --- taking requirements out ----------------------------------------------------------------


def remove_requirements(read: Callable[[str], bytes | None], items: list[str]) -> DependencyEdit:
    """Take out the requirement lines scaffold added (``items``, exactly as it wrote them).

    A requirement the owner changed (another pin, say) stays, with a note. The edit is checked
    like an addition: the file must parse and lose exactly those items, else it is left alone.
    """
    if not items:
        return DependencyEdit()
    pyproject = read(PYPROJECT)
    if pyproject is not None:
        edit = _remove_from_pyproject(pyproject, items) or _edit_poetry(pyproject, items, add=False)
        if edit is not None:
            return edit
    requirements = read(REQUIREMENTS)
    if requirements is not None:
        return _remove_from_requirements_txt(requirements, items)
    return DependencyEdit()


def _kept_notes(path: str, items: list[str], present: list[str]) -> list[str]:
    """Say which items the file still requires, in the owner's changed words."""
    names = {requirement_name(item): item for item in items}
    notes = []
    for requirement in present:
        item = names.get(requirement_name(requirement))
        if item is not None and requirement.strip() != item:
            notes.append(
                f"kept '{requirement.strip()}' in {path}: scaffold added '{item}' and you "
                "changed it, so it is yours now"
            )
    return notes


def _remove_from_pyproject(content: bytes, items: list[str]) -> DependencyEdit | None:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    present = _project_dependencies(text)
    if present is None:
        return None
    notes = _kept_notes(PYPROJECT, items, present)
    gone = [item for item in items if item in present]
    if not gone:
        return DependencyEdit(path=PYPROJECT, content=content, notes=notes)
    edited = _delete_items(text, gone)
    if edited is not None:
        edited = as_before_append(text, edited, lambda before: _insert_items(before, gone))
    if edited is None or _project_dependencies(edited) != [r for r in present if r not in gone]:
        note = (
            "could not edit [project].dependencies in pyproject.toml safely: take these "
            f"requirements out yourself if nothing else needs them: {', '.join(gone)}"
        )
        return DependencyEdit(notes=[*notes, note])
    return DependencyEdit(path=PYPROJECT, content=edited.encode("utf-8"), added=[], notes=notes)


_FINAL_COMMA = re.compile(r",(?P<rest>(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*\])")


def as_before_append(text: str, removed: str, append: Callable[[str], str | None]) -> str:
    """Return the text that appending the items gives ``text`` back from; ``removed`` by default.

    Appending to a multi-line array whose last item has no trailing comma gives that item one
    (``"pytest"`` becomes ``"pytest",``); deleting the items again leaves it there, so ``add``
    then ``remove`` would change an owner's line. The text without one such comma is the one
    to return when appending to it gives ``text`` exactly.
    """
    if append(removed) == text:
        return removed
    for match in _FINAL_COMMA.finditer(removed):
        candidate = removed[: match.start()] + match["rest"] + removed[match.end() :]
        if append(candidate) == text:
            return candidate
    return removed


def _delete_items(text: str, items: list[str]) -> str | None:
    """Take ``items`` out of ``[project].dependencies``; the owner's comments stay (tomlkit)."""
    parsed = _project_array(text)
    if parsed is None:
        return None
    document, array = parsed
    for item in items:
        values = [str(value) for value in array]
        if item in values:
            del array[values.index(item)]
    return str(document.as_string())


def _remove_from_requirements_txt(content: bytes, items: list[str]) -> DependencyEdit:
    text = content.decode("utf-8", errors="replace")
    lines = text.splitlines(keepends=True)
    present = [line.split("#")[0] for line in lines if not line.lstrip().startswith(("#", "-"))]
    notes = _kept_notes(REQUIREMENTS, items, [p for p in present if p.strip()])
    return DependencyEdit(path=REQUIREMENTS, content=remove_lines(content, items), notes=notes)


# --- Poetry ---------------------------------------------------------------------------------

_SPLIT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(.*)$")


def poetry_entry(requirement: str) -> tuple[str, Any]:
    """``fastapi[standard]>=0.115`` -> (``fastapi``, ``{version, extras}``); a bare range: str."""
    import tomlkit

    match = _SPLIT.match(requirement)
    if match is None:
        return requirement_name(requirement), "*"
    name, extras, constraint = match.group(1), match.group(2), match.group(3).strip() or "*"
    if not extras:
        return name, constraint
    table = tomlkit.inline_table()
    table.update({"version": constraint, "extras": [e.strip() for e in extras.split(",")]})
    return name, table


def _poetry_table(text: str) -> tuple[Any, Any] | None:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
    except (TOMLKitError, ValueError):
        return None
    table: Any = document.get("tool", {}).get("poetry", {}).get("dependencies")
    return (document, table) if isinstance(table, dict) else None


def _edit_poetry(content: bytes, items: list[str], *, add: bool) -> DependencyEdit | None:
    """Add (or take out the ones scaffold added of) ``items`` in Poetry's dependencies table."""
    try:
        parsed = _poetry_table(content.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    if parsed is None:
        return None
    document, table = parsed
    present = {requirement_name(key): key for key in table}
    changed = []
    for item in items:
        name, value = poetry_entry(item)
        key = present.get(requirement_name(name))
        if add and key is None:
            table[name] = value
            changed.append(item)
        elif not add and key is not None and same_poetry_value(table[key], value):
            del table[key]
    edited = str(document.as_string()).encode("utf-8")
    return DependencyEdit(path=PYPROJECT, content=edited, added=changed)


def same_poetry_value(present: Any, written: Any) -> bool:
    """Say whether a Poetry table's value is still the one scaffold wrote."""
    if isinstance(written, str):
        return str(present) == written
    return isinstance(present, dict) and dict(present) == dict(written)
