"""What scaffold put into an adopted project's own files: ``.scaffold/adopted.json``.

The owner's app module, ``pyproject.toml``/``requirements.txt`` and ``tests/conftest.py`` are
never in ``base.zip`` (there is no generated version of them to diff against), so the record
keeps, next to ``project.toml``, what scaffold inserted into them: the statements and keywords
as it rendered them, the imports and requirement lines it actually added, and the fixtures it
merged into the owner's conftest. ``remove`` takes out what is still exactly that, and
``update`` replaces it with what the blueprints render now; both work offline, because the old
rendering is stored rather than recomputed from blueprint versions that may be gone.

Format 1 (JSON, keys sorted, so the same state gives the same bytes)::

    {"format": 1,
     "statements": [{"blueprint": "static", "kind": "mount", "func": "app.mount",
                     "args": ["...", "..."], "key": "/static", "guard": null,
                     "comment": "...", "imports": ["pathlib:Path"]}],
     "keywords": [{"blueprint": "lifespan", "name": "lifespan", "value": "lifespan",
                   "imports": ["app.lifespan:lifespan"]}],
     "imports": ["fastapi.staticfiles:StaticFiles"],      # added to the app module
     "requirements": ["websockets>=12"],                  # lines added, as written
     "dev_requirements": ["pytest>=8"],                   # the same, where dev ones go
     "fixtures": [{"blueprint": "tests", "name": "anyio_backend", "code": "..."}],
     "fixture_imports": [":pytest"],                      # added to the owner's conftest
     "keyed_files": [{"path": ".env.example",             # the owner's, merged by variable
                      "keys": ["APP_DEBUG"], "newline": false}],
     "modules": {"app.config": "app.scaffold_config"}}    # written under another name

``keyed_files`` (only when there is one) names the owner's own keyed text files (an
``.env.example``) that a blueprint's file was merged into: the keys of the pieces scaffold
inserted, and whether it gave the owner's last line its final newline. ``base.zip`` holds what
those pieces read as scaffold wrote them; ``remove`` takes out these and nothing else.
``modules`` (only when there is one) names the blueprint modules scaffold wrote under another
name because the owner had one of theirs there (:mod:`scaffold.adopted_names`); later commands
keep those names while the blueprint is there.

An import is ``module:name`` (``:name`` for ``import name``), with `` as alias`` when scaffold
imported it under another name (the owner's module binds ``name`` to something else). A
project adopted before this file existed has none: scaffold then assumes it inserted what the
recorded blueprints render now.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from scaffold.cst_edit import AppEdits, AppKeyword, NewStatement
from scaffold.edit.names import ImportName
from scaffold.record import RECORD_DIR, RecordError

MEMORY_PATH = f"{RECORD_DIR}/adopted.json"
MEMORY_FORMAT = 1


@dataclass(frozen=True)
class Fixture:
    """A fixture function scaffold merged into the owner's ``tests/conftest.py``."""

    blueprint: str
    name: str
    code: str  # the function as scaffold wrote it, decorator included


@dataclass(frozen=True)
class KeyedFile:
    """An owner's keyed text file (``.env.example``) that scaffold merged a blueprint's into."""

    path: str
    keys: tuple[str, ...] = ()  # the pieces scaffold inserted (variables), by key
    newline: bool = False  # the owner's last line had no newline; scaffold gave it one


@dataclass(frozen=True)
class Memory:
    """What scaffold inserted into the owner's files (see the module docstring)."""

    edits: AppEdits = field(default_factory=AppEdits)
    imports: tuple[ImportName, ...] = ()
    requirements: tuple[str, ...] = ()
    dev_requirements: tuple[str, ...] = ()
    fixtures: tuple[Fixture, ...] = ()
    fixture_imports: tuple[ImportName, ...] = ()
    keyed_files: tuple[KeyedFile, ...] = ()
    # the files the project's foundation template wrote, its tasks' included: rendered again
    # without its tasks (another blueprint's add), those it did not write again stay
    foundation_files: tuple[str, ...] = ()
    # blueprint modules written under another name: {"app.config": "app.scaffold_config"}
    modules: dict[str, str] = field(default_factory=dict)


def _import(text: str) -> ImportName:
    module, _, name = text.partition(":")
    name, _, alias = name.partition(" as ")
    return ImportName(module, name, alias)


def _import_text(item: ImportName) -> str:
    return f"{item.module}:{item.name}" + (f" as {item.alias}" if item.alias else "")


def _imports_text(imports: tuple[ImportName, ...]) -> list[str]:
    return sorted({_import_text(item) for item in imports})


def _statement_data(statement: NewStatement) -> dict[str, Any]:
    data = asdict(statement)
    data["imports"] = [_import_text(i) for i in statement.imports]
    return data


def _keyword_data(keyword: AppKeyword) -> dict[str, Any]:
    data = asdict(keyword)
    data["imports"] = [_import_text(i) for i in keyword.imports]
    return data


def dump_memory(memory: Memory) -> bytes:
    """Render the memory file, deterministically."""
    data = {
        "format": MEMORY_FORMAT,
        "statements": [_statement_data(s) for s in memory.edits.statements],
        "keywords": [_keyword_data(k) for k in memory.edits.keywords],
        "imports": _imports_text(memory.imports),
        "requirements": sorted(set(memory.requirements)),
        "fixtures": [asdict(f) for f in sorted(memory.fixtures, key=lambda f: f.name)],
        "fixture_imports": _imports_text(memory.fixture_imports),
    }
    if memory.dev_requirements:  # only then: older records keep their bytes
        data["dev_requirements"] = sorted(set(memory.dev_requirements))
    if memory.keyed_files:  # the same
        files = sorted(memory.keyed_files, key=lambda f: f.path)
        data["keyed_files"] = [{**asdict(f), "keys": sorted(f.keys)} for f in files]
    if memory.foundation_files:  # the same
        data["foundation_files"] = sorted(set(memory.foundation_files))
    if memory.modules:  # the same
        data["modules"] = dict(sorted(memory.modules.items()))
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _modules(data: Any) -> dict[str, str]:
    """Read the recorded module names; refuse anything but dotted names in one package."""
    modules = dict(data)
    for old, new in modules.items():
        valid = all(
            isinstance(name, str) and name and all(p.isidentifier() for p in name.split("."))
            for name in (old, new)
        )
        same_package = old.rpartition(".")[0] == new.rpartition(".")[0]
        if not valid or not same_package or not new.rpartition(".")[2].startswith("scaffold_"):
            msg = f"bad module name {old!r} -> {new!r}"
            raise ValueError(msg)
    return modules


def load_memory(content: bytes, origin: str = MEMORY_PATH) -> Memory:
    """Parse the memory file; a damaged one is an error that says so."""
    try:
        data = json.loads(content)
        if data["format"] != MEMORY_FORMAT:
            msg = f"{origin} has format {data['format']}; this scaffold reads {MEMORY_FORMAT}"
            raise RecordError(msg, hint="upgrade scaffold")
        statements = tuple(
            NewStatement(
                **{**s, "args": tuple(s["args"]), "imports": tuple(map(_import, s["imports"]))}
            )
            for s in data["statements"]
        )
        keywords = tuple(
            AppKeyword(**{**k, "imports": tuple(map(_import, k["imports"]))})
            for k in data["keywords"]
        )
        return Memory(
            edits=AppEdits(statements=statements, keywords=keywords),
            imports=tuple(map(_import, data["imports"])),
            requirements=tuple(data["requirements"]),
            dev_requirements=tuple(data.get("dev_requirements", ())),
            fixtures=tuple(Fixture(**f) for f in data["fixtures"]),
            fixture_imports=tuple(map(_import, data["fixture_imports"])),
            keyed_files=tuple(
                KeyedFile(f["path"], tuple(f["keys"]), bool(f["newline"]))
                for f in data.get("keyed_files", ())
            ),
            foundation_files=tuple(str(p) for p in data.get("foundation_files", ())),
            modules=_modules(data.get("modules", {})),
        )
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        msg = f"{origin} is damaged ({type(error).__name__}: {error})"
        raise RecordError(msg, hint="restore it from version control") from None
