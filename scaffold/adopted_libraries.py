"""The names of the libraries a blueprint module must not take in an adopted project.

An adopted project may put its package's folder itself on ``sys.path``: quaternionmedia/moe's
``moe/main.py`` does ``from config import WEB_DIST``, and its Dockerfile runs in
``WORKDIR /moe/moe``. A blueprint's ``moe/websockets.py`` is then the ``websockets`` every
import finds, and uvicorn fails with "cannot import name '__version__' from 'websockets'". So
a blueprint module directly in the package never takes a library's top-level name; it goes
under the ``scaffold_`` name (:mod:`scaffold.adopted_names`), as when the owner has that
module. (A project scaffold generated imports its package absolutely and runs from its root,
so its ``websockets.py`` hides nothing.)

The libraries are every name scaffold can know without importing the project:

* the standard library's modules;
* the requirements the blueprints bring and those the project declares (``pyproject.toml``,
  ``requirements*.txt``), each distribution's name read as its module's
  (``pydantic-settings``: ``pydantic_settings``);
* every distribution the project's ``uv.lock``, ``poetry.lock`` or ``pdm.lock`` pins, the
  transitive ones included (``starlette`` under ``fastapi``);
* every top-level module of the project's virtual environments (``.venv``, ``venv``).
"""

from __future__ import annotations

import re
import sys
import tomllib
from typing import TYPE_CHECKING, Any

from scaffold.dependency_edit import requirement_name

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    Read = Callable[[str], bytes | None]

_LOCKS = ("uv.lock", "poetry.lock", "pdm.lock")
_VENVS = (".venv", "venv")
_METADATA = (".dist-info", ".egg-info", ".data", ".pth", ".egg-link")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def module_name(requirement: str) -> str:
    """Return the module a requirement's distribution is imported as, by its name."""
    return requirement_name(requirement).replace("-", "_").replace(".", "_")


def requirement_libraries(requirements: Iterable[str]) -> frozenset[str]:
    """Return the module names of requirements (``websockets>=12``: ``websockets``)."""
    return frozenset(name for item in requirements if (name := module_name(item)))


def project_libraries(root: Path, read: Read, folders: Iterable[str]) -> frozenset[str]:
    """Return the libraries the project names or has installed, and the standard library.

    ``folders``: where to look, relative to ``root`` (the app module's folder up to the root).
    """
    names = set(sys.stdlib_module_names)
    for folder in folders:
        prefix = f"{folder}/" if folder else ""
        names |= requirement_libraries(_declared(read, prefix, root / folder))
        names |= requirement_libraries(_locked(read, prefix))
        names |= _installed(root / folder)
    return frozenset(names)


def _toml(read: Read, path: str) -> dict[str, Any]:
    content = read(path)
    if content is None:
        return {}
    try:
        return tomllib.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def _strings(value: Any) -> Iterator[str]:
    """Yield the strings of a requirement list, or of lists in a table of them."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, str))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _declared(read: Read, prefix: str, home: Path) -> Iterator[str]:
    data = _toml(read, f"{prefix}pyproject.toml")
    project = data.get("project", {})
    if isinstance(project, dict):
        yield from _strings(project.get("dependencies"))
        yield from _strings(project.get("optional-dependencies"))
    yield from _strings(data.get("dependency-groups"))
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    if isinstance(poetry, dict):  # Poetry names its requirements by the table's keys
        yield from _keys(poetry.get("dependencies"))
        yield from _keys(poetry.get("dev-dependencies"))
        groups = poetry.get("group", {})
        for group in groups.values() if isinstance(groups, dict) else ():
            yield from _keys(group.get("dependencies") if isinstance(group, dict) else None)
    for path in sorted(home.glob("requirements*.txt")) if home.is_dir() else ():
        content = read(f"{prefix}{path.name}") or b""
        for line in content.decode("utf-8", errors="replace").splitlines():
            if line.strip() and not line.lstrip().startswith(("#", "-")):
                yield line


def _keys(table: Any) -> Iterator[str]:
    yield from (str(key) for key in table) if isinstance(table, dict) else ()


def _locked(read: Read, prefix: str) -> Iterator[str]:
    for lock in _LOCKS:
        packages = _toml(read, f"{prefix}{lock}").get("package", [])
        for entry in packages if isinstance(packages, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                yield entry["name"]


def _installed(folder: Path) -> set[str]:
    """Return the top-level modules of the virtual environments in ``folder``."""
    names = set()
    for venv in _VENVS:
        if not (folder / venv / "pyvenv.cfg").is_file():
            continue
        for site in [
            *folder.glob(f"{venv}/lib/python*/site-packages"),
            folder / venv / "Lib/site-packages",
        ]:
            if site.is_dir():
                names |= {name for entry in site.iterdir() if (name := _top_level(entry.name))}
    return names


def _top_level(entry: str) -> str | None:
    """Return the module a site-packages entry is imported as (None: metadata, a .pth)."""
    if entry.endswith(_METADATA) or entry == "__pycache__":
        return None
    name = entry.split(".", 1)[0]  # six.py, _cffi_backend.cpython-312-x86_64-linux-gnu.so
    return name if _IDENTIFIER.match(name) else None
