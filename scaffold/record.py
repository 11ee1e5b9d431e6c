"""What a project remembers about how scaffold made it, in two tracked files under ``.scaffold/``.

``.scaffold/project.toml`` is small and readable: the choices, and each blueprint's version and
source. ``.scaffold/base.zip`` holds exactly what scaffold generated last time (formatted),
the base of the three-way merge that ``add``, ``remove`` and ``update`` perform. Both live in
the project, so every command works offline, right after a fresh clone, and after scaffold was
upgraded to blueprints that changed: no git tags, refs or caches are involved. The archive is
deterministic (sorted entries, fixed timestamps), so regenerating the same project gives the
same bytes and git shows no change.

``project.toml``, format 1::

    [scaffold]
    format = 1                  # the record's own format version
    version = "0.1.0"           # scaffold's version when the project was last generated

    [project]
    name = "my-api"
    description = "..."
    python = "3.11"

    [blueprints.websockets]     # one table per blueprint, in resolution order
    version = "1.0.0"
    source = "built-in"
    automatic = false           # true when present only because another blueprint requires it
    options = { allowed_origins = [] }

    [blueprints.acme-service]   # a blueprint from a git source also records the tag and commit
    version = "2.0.0"
    source = "gh:acme/blueprints"   # the source spec without @REF; folders relative to the project
    ref = "v2.0.0"
    commit = "3f9c..."
    automatic = false
    options = {}

The recorded source pins the blueprint to it: later commands take that blueprint from the same
source (at the recorded ``ref``, except ``update``, which moves to the newest version tag or to
``--to``), even when another source offers a blueprint of the same name.

An adopted project (``scaffold adopt``: an existing FastAPI app that scaffold did not generate)
has one more table, and its record means something slightly different::

    [adopted]
    module = "app/main.py"      # the owner's module that creates the app, from the project root
    app = "app"                 # the module-level name bound to FastAPI(...) in it
    package = "app"             # the import package holding that module ({{ package }})
    package_dir = "app"         # that package's folder ("src/app" in a src layout)

    [blueprints.base]           # recorded because every resolution includes it, but adopted:
    adopted = true              # none of its files or contributions are generated

In an adopted project ``base.zip`` holds only the files scaffold owns: the files blueprints
added (``app/websockets.py``, ``app/static/...``), at their paths on disk; right after
``adopt`` it is an empty archive. The owner's app module, ``pyproject.toml`` and
``requirements.txt`` are never part of it: scaffold changes them by syntax-aware edits
(imports, ``app.add_middleware``/``mount``/``include_router`` statements, ``FastAPI(...)``
keywords, dependency lines) that find what is already there instead of diffing against a base.
What those edits inserted is kept in a third file, ``.scaffold/adopted.json`` (documented in
:mod:`scaffold.adopted_memory`): the statements and ``FastAPI(...)`` keywords as scaffold
rendered them, the imports and requirement lines it actually added, and the fixtures it merged
into the owner's ``tests/conftest.py``. ``remove`` takes out, and ``update`` replaces, only what
is still exactly that, offline, without the old blueprint versions. ``adopt`` writes it empty; a
project adopted before it existed gets one at its next change. It is not inside ``base.zip``,
because every entry there is a file scaffold owns on disk (``status`` compares them).
"""

from __future__ import annotations

import io
import json
import re
import tomllib
import zipfile
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scaffold.errors import BlueprintError, ScaffoldError
from scaffold.filekind import Executable, Link, check_link, is_executable, is_link

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from scaffold.compose import Selection
    from scaffold.models import ProjectSpec

RECORD_DIR = ".scaffold"
RECORD_PATH = f"{RECORD_DIR}/project.toml"
BASE_PATH = f"{RECORD_DIR}/base.zip"
RECORD_FORMAT = 1
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_LINK_MODE = 0o120777  # how zip (and git) store a symbolic link: its target is the content


class RecordError(ScaffoldError):
    """The project's record is missing or cannot be read."""


@dataclass(frozen=True)
class RecordedBlueprint:
    """One blueprint as the record remembers it."""

    name: str
    version: str
    source: str
    automatic: bool
    options: dict[str, Any]
    ref: str | None = None  # git sources: the tag (or commit) the blueprint came from
    commit: str | None = None  # git sources: the commit checked out


@dataclass(frozen=True)
class Adopted:
    """Where the owner's app lives in an adopted project (the ``[adopted]`` table)."""

    module: str  # path of the module creating the app, relative to the project root
    app: str  # the module-level name bound to ``FastAPI(...)``
    package: str  # the import package holding the module
    package_dir: str  # the package's folder, relative to the project root
    # the copier template the project was made from (``new --from``): its files, the app module
    # and pyproject.toml included, are scaffold's to merge on update, not the owner's own
    foundation: str | None = None

    def on_disk(self, path: str) -> str:
        """Return where a rendered path (``<package>/...``) is in the project (``src/...``)."""
        if path.startswith(f"{self.package}/"):
            return self.package_dir + path[len(self.package) :]
        return path

    def project_folders(self) -> list[str]:
        """Return the folders from the app's source root up to the project root, nearest first.

        ``["backend", ""]`` for ``backend/app/main.py`` in a repository that keeps its FastAPI
        project (its ``pyproject.toml``, its ``.venv``) in ``backend/``; the root is ``""``.
        """
        source_root = self.package_dir[: -len(self.package)].rstrip("/")
        parts = source_root.split("/") if source_root else []
        return ["/".join(parts[:depth]) for depth in range(len(parts), 0, -1)] + [""]

    def table(self) -> list[str]:
        """Render the ``[adopted]`` table's lines."""
        return [
            "[adopted]",
            f"module = {_toml_value(self.module)}",
            f"app = {_toml_value(self.app)}",
            f"package = {_toml_value(self.package)}",
            f"package_dir = {_toml_value(self.package_dir)}",
            *([f"foundation = {_toml_value(self.foundation)}"] if self.foundation else []),
        ]


@dataclass(frozen=True)
class Record:
    """The parsed ``project.toml``."""

    scaffold_version: str
    name: str
    description: str
    python: str
    blueprints: dict[str, RecordedBlueprint]
    adopted: Adopted | None = None  # set for a project made by ``scaffold adopt``

    def spec_data(self) -> dict[str, Any]:
        """Return the raw fields of the ProjectSpec that produced this record."""
        return {
            "name": self.name,
            "description": self.description,
            "python": self.python,
            "blueprints": {name: dict(bp.options) for name, bp in self.blueprints.items()},
            "automatic": frozenset(n for n, bp in self.blueprints.items() if bp.automatic),
        }


def _toml_value(value: Any) -> str:
    """Render a scalar, list or table as TOML; JSON's spelling of these is valid TOML."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def render_record(
    spec: ProjectSpec,
    selection: Selection,
    scaffold_version: str,
    adopted: Adopted | None = None,
    root: Path | None = None,
) -> bytes:
    """Render ``project.toml`` for a generation run (``adopted``: for an adopted project).

    ``root`` is the project's folder: a folder source is recorded relative to it, so the record
    stays true on another machine with the same layout (a monorepo, a CI checkout).
    """
    lines = [
        "# Written by scaffold: how this project was generated. Keep it under version control;",
        "# base.zip beside it is what scaffold generated last time (the base of its merges).",
        "[scaffold]",
        f"format = {RECORD_FORMAT}",
        f"version = {_toml_value(scaffold_version)}",
        "",
        "[project]",
        f"name = {_toml_value(spec.name)}",
        f"description = {_toml_value(spec.description)}",
        f"python = {_toml_value(spec.python)}",
    ]
    if adopted is not None:
        lines += ["", *adopted.table()]
    for item in selection.items:
        options = recorded_options(item, selection)
        lines += [
            "",
            f"[blueprints.{item.name}]",
            f"version = {_toml_value(item.blueprint.manifest.version)}",
            f"source = {_toml_value(_recorded_source(item.blueprint.source, root))}",
            *_git_lines(item.blueprint.ref, item.blueprint.commit),
            f"automatic = {_toml_value(item.automatic)}",
            f"options = {_toml_value(options)}",
        ]
        if adopted is not None and item.blueprint.manifest.always:
            lines.append("adopted = true  # the owner's app stands in for it: nothing generated")
    return ("\n".join(lines) + "\n").encode("utf-8")


def recorded_options(item: Any, selection: Selection) -> dict[str, Any]:
    """Return the options to remember: chosen and computed by copier, without secrets."""
    secret = {key for key, spec in item.blueprint.manifest.options.items() if spec.secret}
    chosen = {k: v for k, v in item.options.items() if v is not None}
    computed = selection.computed.get(item.name, {})
    return {k: v for k, v in {**chosen, **computed}.items() if k not in secret}


def _recorded_source(source: str, root: Path | None) -> str:
    """Make a folder source relative to the project (``../blueprints``); anything else as it is."""
    import os
    from pathlib import Path

    if root is None or not Path(source).is_absolute():
        return source
    return Path(os.path.relpath(source, root.absolute())).as_posix()


def _git_lines(ref: str | None, commit: str | None) -> list[str]:
    lines = [f"ref = {_toml_value(ref)}"] if ref else []
    return lines + ([f"commit = {_toml_value(commit)}"] if commit else [])


_DOTTED = re.compile(r"\d{1,9}(\.\d{1,9}){0,9}")
MAX_BASE_ENTRIES = 10_000
MAX_BASE_BYTES = 256 * 1024 * 1024  # what base.zip may expand to, in total
MAX_ENTRY_BYTES = 32 * 1024 * 1024  # one generated file


def parse_record(text: str, *, origin: str = RECORD_PATH) -> Record:
    """Parse ``project.toml``; a damaged record is an error that says so.

    The record is untrusted input (a pull request may change it): every field is checked for
    its type, versions must be dotted numbers, and the ``[adopted]`` paths must stay inside
    the project.
    """
    try:
        data = tomllib.loads(text)
        if data["scaffold"]["format"] != RECORD_FORMAT:
            found = data["scaffold"]["format"]
            msg = f"{origin} has format {found}; this scaffold reads format {RECORD_FORMAT}"
            raise RecordError(msg, hint="upgrade scaffold")
        project = _table(data["project"], "project")
        tables = _table(data.get("blueprints", {}), "blueprints")
        blueprints = {
            name: _parse_blueprint(name, _table(table, f"blueprints.{name}"))
            for name, table in tables.items()
        }
        return Record(
            scaffold_version=_string(data["scaffold"]["version"], "scaffold.version"),
            name=_string(project["name"], "project.name"),
            description=_string(project["description"], "project.description"),
            python=_string(project["python"], "project.python"),
            blueprints=blueprints,
            adopted=_parse_adopted(data.get("adopted"), origin),
        )
    except (KeyError, TypeError, AttributeError, ValueError, RecursionError) as error:
        msg = f"{origin} is damaged ({type(error).__name__}: {error})"
        raise RecordError(msg, hint="restore it from version control") from None


def _table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        msg = f"[{key}] must be a table, not {type(value).__name__}"
        raise TypeError(msg)
    return value


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str):
        msg = f"{key} must be a string, not {type(value).__name__}"
        raise TypeError(msg)
    return value


def _parse_blueprint(name: str, table: dict[str, Any]) -> RecordedBlueprint:
    version = _string(table["version"], f"blueprints.{name}.version")
    if not _DOTTED.fullmatch(version):
        msg = f"blueprints.{name}.version {version!r} is not a dotted version such as 1.2.0"
        raise ValueError(msg)
    automatic = table.get("automatic", False)
    if not isinstance(automatic, bool):
        msg = f"blueprints.{name}.automatic must be true or false"
        raise TypeError(msg)
    return RecordedBlueprint(
        name=name,
        version=version,
        source=_string(table.get("source", "built-in"), f"blueprints.{name}.source"),
        automatic=automatic,
        options=dict(_table(table.get("options", {}), f"blueprints.{name}.options")),
        ref=_string(table["ref"], f"blueprints.{name}.ref") if "ref" in table else None,
        commit=_string(table["commit"], f"blueprints.{name}.commit") if "commit" in table else None,
    )


def _parse_adopted(value: Any, origin: str) -> Adopted | None:
    if value is None:
        return None
    from scaffold.untrusted import contained_path

    table = _table(value, "adopted")
    where = f"{origin} [adopted]"
    return Adopted(
        module=contained_path(_string(table["module"], "adopted.module"), origin=where),
        app=_string(table["app"], "adopted.app"),
        package=_string(table["package"], "adopted.package"),
        package_dir=contained_path(
            _string(table["package_dir"], "adopted.package_dir"), origin=where
        ),
        foundation=(
            _string(table["foundation"], "adopted.foundation") if "foundation" in table else None
        ),
    )


def read_record(root: Path) -> Record:
    """Read the record of the project at ``root``: a regular file inside it, of bounded size."""
    from scaffold.untrusted import read_project_file

    path = root / RECORD_PATH
    content = read_project_file(root, RECORD_PATH, limit=1024 * 1024)
    if content is None:
        msg = f"{root} is not a scaffold project (no {RECORD_PATH})"
        hint = "run it in a project made by 'scaffold new', or use 'scaffold adopt'"
        raise RecordError(msg, hint=hint)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        msg = f"{path} is damaged: it is not UTF-8 ({error.reason} at byte {error.start})"
        raise RecordError(msg, hint="restore it from version control") from None
    return parse_record(text, origin=str(path))


def pack_base(tree: dict[str, bytes]) -> bytes:
    """Pack the generated files into a deterministic zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(tree):
            info = zipfile.ZipInfo(path, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = _mode(tree[path]) << 16
            archive.writestr(info, tree[path])
    return buffer.getvalue()


def _mode(content: bytes) -> int:
    if is_link(content):
        return _LINK_MODE
    return 0o755 if is_executable(content) else 0o644


def _with_mode(content: bytes, mode: int) -> bytes:
    if mode & 0o170000 == _LINK_MODE & 0o170000:
        return Link(content)
    return Executable(content) if mode & 0o111 else content


def read_base(root: Path) -> dict[str, bytes]:
    """Read what scaffold generated last time from the project's base archive.

    The archive is untrusted: its size, its entries' names (inside the project) and what they
    expand to are bounded, and a damaged or encrypted entry is an error, not a traceback.
    """
    from scaffold.untrusted import UnreadableError, contained_path, read_project_file

    path = root / BASE_PATH
    content = read_project_file(root, BASE_PATH, limit=MAX_BASE_BYTES)
    if content is None:
        msg = f"{root} has no {BASE_PATH}, the base of scaffold's merges"
        raise RecordError(msg, hint="restore it from version control")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return _unpack(archive, origin=str(path), contained=contained_path)
    except UnreadableError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError) as error:
        msg = f"{path} is damaged: {error}"
        raise RecordError(msg, hint="restore it from version control") from None
    except NotImplementedError as error:  # an unsupported compression method
        msg = f"{path} is damaged: {error}"
        raise RecordError(msg, hint="restore it from version control") from None


def _unpack(
    archive: zipfile.ZipFile, *, origin: str, contained: Callable[..., str]
) -> dict[str, bytes]:
    entries = archive.infolist()
    if len(entries) > MAX_BASE_ENTRIES:
        msg = f"{origin} holds {len(entries)} entries, more than {MAX_BASE_ENTRIES}"
        raise RecordError(msg, hint="restore it from version control")
    files: dict[str, bytes] = {}
    total = 0
    for info in entries:
        name = contained(info.filename, origin=origin)
        if name.split("/")[0] in {RECORD_DIR, ".git"} or ".git" in name.split("/"):
            msg = f"{origin} names {info.filename!r}, which scaffold never generates"
            raise RecordError(msg, hint="restore it from version control")
        if info.flag_bits & 0x1:
            msg = f"{origin} is damaged: {info.filename} is encrypted"
            raise RecordError(msg, hint="restore it from version control")
        if info.is_dir():
            continue
        with archive.open(info) as stream:  # read at most the cap, whatever the header says
            data = stream.read(MAX_ENTRY_BYTES + 1)
        total += len(data)
        if len(data) > MAX_ENTRY_BYTES or total > MAX_BASE_BYTES:
            msg = f"{origin} expands beyond {MAX_BASE_BYTES // (1024 * 1024)} MiB"
            raise RecordError(msg, hint="restore it from version control")
        content = _with_mode(data, info.external_attr >> 16)
        if is_link(content):  # a recorded link, like a rendered one, stays inside the project
            try:
                check_link(name, content.decode("utf-8"), origin=f"{origin}: {name}")
            except (BlueprintError, UnicodeDecodeError) as error:
                msg = f"{origin} is damaged: {name} is a link outside the project ({error})"
                raise RecordError(msg, hint="restore it from version control") from None
        files[name] = content
    return files


def record_files(
    spec: ProjectSpec,
    selection: Selection,
    generated: dict[str, bytes],
    scaffold_version: str,
    adopted: Adopted | None = None,
    *,
    root: Path | None = None,
) -> dict[str, bytes]:
    """Return the record files to write beside a generated tree (``root``: the project)."""
    from scaffold.copier_render import ignored_by_template

    kept = ignored_by_template(generated, selection.copier_paths)
    return {
        RECORD_PATH: render_record(spec, selection, scaffold_version, adopted, root),
        BASE_PATH: pack_base({p: c for p, c in generated.items() if p not in kept}),
    }
