"""Changing an adopted project: blueprints rendered as usual, the owner's app edited in place.

An adopted project has the owner's own app module, ``pyproject.toml`` and layout, not the ones
scaffold's base blueprint generates. So, for ``add`` and ``update``:

* blueprints are resolved and rendered as for any project, with ``{{ package }}`` the owner's
  package; the blueprints that are part of every project (``always``: the base) render
  nothing but the ``__init__.py`` of a sub-package another blueprint writes into (and their
  ``pyproject.toml``, only as ruff's configuration while the tree is formatted);
* the other blueprints' files are new files, three-way merged as usual (base: what scaffold
  wrote last time, from ``base.zip``); a module of the package whose name the owner has goes
  under another name (:mod:`scaffold.adopted_names`), any other path that already holds a
  file of the owner's is refused rather than overwritten or filled with conflict markers;
* the contributions base's ``main.py`` would hold become syntax-aware edits of the owner's
  module (:mod:`scaffold.cst_edit`): middleware (added innermost first, since Starlette wraps
  the app in the last one added, so the stack order of the blueprints holds), mounts, routers,
  ``FastAPI(...)`` keywords such as ``lifespan``; a name the module binds to something else
  is imported under an alias (:func:`scaffold.adopted_names.alias_taken`). Settings are read through
  ``get_settings()`` (a cached function): a middleware argument written ``settings.x`` in a
  manifest becomes ``get_settings().x``, so no module-level ``settings`` name is added next to
  the owner's; and, like scaffold's ``create_app()``, the app keeps them on
  ``app.state.settings`` for the blueprints that read them there. Like base's ``main.py``
  template, this knows the settings blueprint's ``<package>.config:get_settings``;
* runtime requirements go into the owner's ``[project].dependencies`` or ``requirements.txt``
  (:mod:`scaffold.dependency_edit`); development requirements are left to the owner;
* fixtures (the ``tests`` blueprint's) go into a ``tests/conftest.py`` of scaffold's around the
  owner's app, or are merged into the owner's own (:mod:`scaffold.adopted_conftest`); the
  blueprints' test files are not written, since they test scaffold's ``create_app()``.

``remove`` and ``update`` start from what scaffold inserted last time, kept in
``.scaffold/adopted.json`` (:mod:`scaffold.adopted_memory`): a statement, keyword, import,
requirement or fixture a blueprint no longer wants is taken out, and one it now wants in
another form is replaced, but only while it is still exactly what scaffold wrote; one the owner
changed stays, and the plan's notes say so. The blueprints' own files go through the same
three-way merge as in any project, so a file the owner edited is never deleted blind.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from scaffold import __version__
from scaffold.adopted_checks import adoption_blockers, verified_notes
from scaffold.adopted_conftest import ConftestChange, plan_conftest, tests_folder
from scaffold.adopted_edits import EditBuilder
from scaffold.adopted_foundation import (
    carry_copier_state,
    foundation_paths,
    left_to_template,
    merged_foundation,
    one_per_file,
)
from scaffold.adopted_keyed import plan_keyed_files
from scaffold.adopted_libraries import project_libraries, requirement_libraries
from scaffold.adopted_memory import MEMORY_PATH, Memory, dump_memory, load_memory
from scaffold.adopted_names import (
    Taken,
    alias_taken,
    choose_names,
    library_notes,
    rename_composition,
    rename_imports,
    rename_paths,
    rename_ref,
    same_as_owners,
)
from scaffold.adopted_requirements import plan_requirements
from scaffold.cst_edit import (
    AppEdits,
    NewStatement,
    Revision,
    UnsafeAppError,
    statement_identity,
)
from scaffold.dependency_edit import (
    PYPROJECT,
    REQUIREMENTS,
)
from scaffold.edit.factory import edit_app, revise_app
from scaffold.edit.layout import DEFAULT_WIDTH, lay_out, owner_width
from scaffold.errors import ScaffoldError
from scaffold.merge import FileMerge, Outcome, keyed_text, merge_file
from scaffold.plan import Plan
from scaffold.record import RECORD_DIR, record_files
from scaffold.uv_lock import stale_lock_notes

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping
    from pathlib import Path

    from scaffold.catalog import Catalog, SourceLike
    from scaffold.compose import Composition, Selection
    from scaffold.edit.names import ImportName
    from scaffold.models import ProjectSpec
    from scaffold.project import Project
    from scaffold.record import Adopted
    from scaffold.render import Renderer

_BOM = b"\xef\xbb\xbf"
TESTS = "tests/"


class AdoptedChangeError(ScaffoldError):
    """A change an adopted project cannot take safely; nothing was written."""


@dataclass(frozen=True)
class Rendered:
    """What the blueprints of an adopted project produce."""

    selection: Selection
    renderer: Renderer
    composition: Composition
    tree: dict[str, bytes]  # formatted, at the paths on disk
    skipped_tests: tuple[str, ...] = ()  # the blueprints' test files, not written
    # blueprint modules written under another name, the owner having theirs (adopted_names)
    modules: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # why a module chosen now is under another name

    def owner(self, kind: str, key: str) -> str:
        """Return the blueprint whose contribution of ``kind`` renders to ``key``."""
        field_of = {
            "middleware": "cls",
            "mounts": "path",
            "routers": "ref",
            "app_arguments": "name",
            "fixtures": "name",
        }
        for item in self.selection.items:
            for entry in getattr(item.blueprint.manifest.contribute, kind):
                raw = self.renderer.render_string(getattr(entry, field_of[kind]), item.options)
                if (rename_ref(raw, self.modules) if kind in _REFS else raw) == key:
                    return item.name
        return "?"


_REFS = ("middleware", "routers")  # the kinds whose key is a ``module:name`` reference


# --- rendering ------------------------------------------------------------------------------


def adopted_renderer(spec: ProjectSpec, package: str) -> Renderer:
    """Return a renderer whose ``{{ package }}`` is the owner's package, not one from the name."""
    from scaffold.render import Renderer

    renderer = Renderer(spec)
    renderer.project = replace(renderer.project, package=package)
    renderer.base_context["project"] = asdict(renderer.project)
    renderer.base_context["package"] = package
    renderer.base_context["adopted"] = True  # blueprints may render an adopted app's extras
    return renderer


def resolve_adopted(
    spec: ProjectSpec,
    adopted: Adopted,
    sources: tuple[SourceLike, ...],
    catalog: Catalog | None = None,
) -> tuple[Selection, Renderer]:
    """Resolve the spec's blueprints for an adopted project (from ``catalog`` when given)."""
    from scaffold.catalog import load_catalog
    from scaffold.compose import resolve

    renderer = adopted_renderer(spec, adopted.package)
    catalog = catalog or load_catalog(sources)
    selection = resolve(spec, catalog, renderer)
    quiet = _adopted_defaults(spec, selection.names)
    if quiet is not spec:
        selection = resolve(quiet, catalog, renderer)
    renderer.bind(selection)
    return selection, renderer


# Options whose blueprint default suits a new project but changes what an owner's app serves
# (settings' public GET /info enters its OpenAPI schema): off unless the owner asks for them.
_ADOPTED_DEFAULTS = {"settings": {"info_route": False}}


def _adopted_defaults(spec: ProjectSpec, selected: Collection[str]) -> ProjectSpec:
    """Return the spec with the adopted-app defaults of options the owner did not set."""
    blueprints = {name: dict(options) for name, options in spec.blueprints.items()}
    automatic = set(spec.automatic)
    changed = False
    for name, defaults in _ADOPTED_DEFAULTS.items():
        if name not in selected:
            continue
        if name not in blueprints:
            automatic.add(name)  # still there only because another blueprint requires it
        options = blueprints.setdefault(name, {})
        for key, value in defaults.items():
            if key not in options:
                options[key] = value
                changed = True
    if not changed:
        return spec
    data = spec.model_dump(exclude={"blueprints", "automatic"})
    return type(spec).model_validate({**data, "blueprints": blueprints, "automatic": automatic})


def _split(selection: Selection) -> tuple[Selection, Selection]:
    """Split into (the owner-replaced blueprints, the others)."""
    from scaffold.compose import Selection

    frame = tuple(i for i in selection.items if i.blueprint.manifest.always)
    own = tuple(i for i in selection.items if not i.blueprint.manifest.always)
    return Selection(items=frame), Selection(items=own)


def _sub_package_inits(
    frame_tree: dict[str, bytes], tree: dict[str, bytes], package: str
) -> dict[str, bytes]:
    """Base's ``__init__.py`` files for the sub-packages other blueprints write into."""
    inits = {}
    for path, content in frame_tree.items():
        folder, _, name = path.rpartition("/")
        if (
            name == "__init__.py"
            and folder != package
            and any(p.startswith(f"{folder}/") for p in tree)
        ):
            inits[path] = content
    return inits


def owners_folder(read: Callable[[str], bytes | None], adopted: Adopted) -> str:
    """Return the folder of the owner's project files, relative to the root ("" for it).

    The nearest folder from the app module's own up to the root with a ``pyproject.toml`` or
    a ``requirements.txt``: a repository that keeps its FastAPI project in ``backend/`` (beside
    a frontend, under a root ``pyproject.toml`` that only holds a uv workspace or tools) has its
    requirements, its ruff configuration and its dev group there. The module's own folder
    counts too: pedronogs/timekeeper's ``backend/main.py`` is the package ``backend``, run from
    the root, with ``backend/requirements.txt`` beside it.
    """
    for folder in module_folders(adopted):
        place = in_folder(read, folder)
        if place(PYPROJECT) is not None or place("requirements.txt") is not None:
            return folder
    return ""


def module_folders(adopted: Adopted) -> list[str]:
    """Return the folders from the app module's own up to the project root, nearest first."""
    folder = PurePosixPath(adopted.module).parent
    return [place.as_posix() if place.parts else "" for place in (folder, *folder.parents)]


def in_folder(read: Callable[[str], bytes | None], folder: str) -> Callable[[str], bytes | None]:
    """Return ``read`` for paths relative to ``folder`` (itself for the root, ``""``)."""
    if not folder:
        return read
    return lambda path: read(f"{folder}/{path}")


def owners_ruff_config(read: Callable[[str], bytes | None]) -> dict[str, bytes]:
    """Return the owner's ruff configuration files (root ``ruff.toml``, ``[tool.ruff]``)."""
    for name in (".ruff.toml", "ruff.toml"):
        content = read(name)
        if content is not None:
            return {name: content}
    content = read(PYPROJECT)
    if content is not None and b"[tool.ruff" in content:
        return {PYPROJECT: content}
    return {}


def _formatted(
    tree: dict[str, bytes], own: dict[str, bytes], owners: dict[str, bytes], width: int
) -> dict[str, bytes]:
    """Format with the owner's ruff configuration, so their lint passes; else scaffold's.

    Prose ruff does not wrap (comments, docstrings, string literals) is fitted to the owner's
    width (:mod:`scaffold.edit.fit`), and formatted again; a line nothing can fit is marked
    for E501 when the owner's lint selects it.
    """
    from scaffold.edit.fit import fit_to_width, mark_long_lines, selects_long_lines

    formatted = _format_once(tree, own, owners, width)
    fitted = {
        path: type(content)(fit_to_width(content.decode("utf-8"), width).encode("utf-8"))
        for path, content in formatted.items()
        if path.endswith(".py")
    }
    changed = {path: content for path, content in fitted.items() if content != formatted[path]}
    if changed:
        formatted |= _format_once(changed, own, owners, width)
    if selects_long_lines(owners):
        for path in [p for p in formatted if p.endswith(".py")]:
            marked = mark_long_lines(formatted[path].decode("utf-8"), width).encode("utf-8")
            formatted[path] = type(formatted[path])(marked)
    return formatted


def _format_once(
    tree: dict[str, bytes], own: dict[str, bytes], owners: dict[str, bytes], width: int
) -> dict[str, bytes]:
    from scaffold.errors import FormatError
    from scaffold.format import format_tree

    if owners:
        try:
            formatted = format_tree(tree | owners)
        except FormatError:  # a configuration ruff cannot use here (extend = "../x.toml")
            pass
        else:
            return {path: formatted[path] for path in tree}
    formatted = format_tree(
        tree | {path: _at_width(content, width) for path, content in own.items()}
    )
    return {path: formatted[path] for path in tree}


def _at_width(pyproject: bytes, width: int) -> bytes:
    """Return scaffold's own ``pyproject.toml`` with ruff's ``line-length`` set to ``width``.

    An owner without a ruff configuration formats at black's width, or ruff's default 88,
    so the new modules are formatted that way too; scaffold's other rules stay.
    """
    return re.sub(rb"(?m)^line-length = \d+$", b"line-length = %d" % width, pyproject, count=1)


def render_adopted(
    spec: ProjectSpec,
    adopted: Adopted,
    sources: tuple[SourceLike, ...],
    catalog: Catalog | None = None,
    *,
    ruff_config: dict[str, bytes] | None = None,
    width: int = DEFAULT_WIDTH,
    taken: Taken | None = None,
) -> Rendered:
    """Render and format the blueprints' own files for an adopted project.

    ``ruff_config``: the owner's ruff configuration files, which format the files (else the
    configuration scaffold's own ``pyproject.toml`` gives, at ``width``: the owner's).
    ``taken``: the owner's files, against which a module a blueprint writes whole goes under
    another name when the owner has one of that name (:mod:`scaffold.adopted_names`).
    """
    from scaffold.compose import compose
    from scaffold.render import render_selection

    selection, renderer = resolve_adopted(spec, adopted, sources, catalog)
    frame, own = _split(selection)
    composition = compose(own, renderer)
    renderer.bind(selection, composition)
    tree = render_selection(own, renderer)
    carry_copier_state(own, selection)
    # copier templates' files are written as copier writes them: where it puts them, never
    # reformatted, their tests included (a foundation template's own suite).
    copier = {path: tree.pop(path) for path in own.copier_paths if path in tree}
    # Blueprints' tests exercise scaffold's create_app() and GET /health, which the owner's app
    # does not have; the owner's tests get fixtures instead (scaffold.adopted_conftest).
    skipped = tuple(sorted(path for path in tree if path.startswith(TESTS)))
    tree = {path: content for path, content in tree.items() if not path.startswith(TESTS)}
    frame_tree = render_selection(frame, renderer)
    scaffolds = {k: v for k, v in frame_tree.items() if k == PYPROJECT}

    def finished(modules: dict[str, str]) -> dict[str, bytes]:
        """Return the files under their names, with base's package markers, formatted."""
        files = rename_paths(rename_imports(tree, modules), modules, adopted.package)
        frame_files = rename_paths(frame_tree, modules, adopted.package)
        files |= _sub_package_inits(frame_files, files, adopted.package)
        files = _formatted(files, scaffolds, ruff_config or {}, width) if files else files
        return {adopted.on_disk(path): content for path, content in files.items()}

    if taken is not None and taken.libraries:  # the blueprints' own requirements are too
        dependencies = [*composition.dependencies, *composition.dev_dependencies]
        taken = replace(taken, libraries=taken.libraries | requirement_libraries(dependencies))
    modules = choose_names(tree, adopted, taken) if taken is not None else {}
    on_disk = finished(modules)
    if taken is not None and (same := same_as_owners(on_disk, modules, adopted, taken)):
        # the owner's module is what scaffold writes (one it left them): it is scaffold's again
        modules = {old: new for old, new in modules.items() if old not in same}
        on_disk = finished(modules)
    rename_composition(composition, modules)
    notes = tuple(library_notes(modules, adopted, taken, on_disk)) if taken is not None else ()
    return Rendered(selection, renderer, composition, on_disk | copier, skipped, modules, notes)


# --- the owner's app module -----------------------------------------------------------------


def _decode(content: bytes, path: str) -> tuple[str, bytes]:
    """Return the text and its byte-order mark (kept as it was)."""
    bom = _BOM if content.startswith(_BOM) else b""
    try:
        return content[len(bom) :].decode("utf-8"), bom
    except UnicodeDecodeError:
        msg = f"{path} is not UTF-8 text, so scaffold cannot edit it"
        raise UnsafeAppError(msg) from None


def _revision(previous: Memory, edits: AppEdits) -> Revision:
    """Pair what scaffold inserted last time with what it wants now, where they differ."""
    wanted = {statement_identity(s): s for s in edits.statements}
    statements = tuple(
        (old, wanted.get(statement_identity(old)))
        for old in previous.edits.statements
        if _statement_changed(old, wanted.get(statement_identity(old)))
    )
    keywords_now = {k.name: k for k in edits.keywords}
    keywords = tuple(
        (old, keywords_now.get(old.name))
        for old in previous.edits.keywords
        if old.name not in keywords_now or keywords_now[old.name].value != old.value
    )
    needed = _imports_of(edits)
    retired = tuple(item for item in previous.imports if item not in needed)
    return Revision(statements, keywords, retired, staying=edits.statements)


def _statement_changed(old: NewStatement, new: NewStatement | None) -> bool:
    return new is None or (old.func, old.args, old.guard) != (new.func, new.args, new.guard)


def _imports_of(edits: AppEdits) -> set[ImportName]:
    wanted = {item for statement in edits.statements for item in statement.imports}
    return wanted | {item for keyword in edits.keywords for item in keyword.imports}


def _without_kept(edits: AppEdits, kept: set[str]) -> AppEdits:
    """Leave out what the owner changed and scaffold keeps: adding it again would clash."""
    return AppEdits(
        statements=tuple(s for s in edits.statements if statement_identity(s) not in kept),
        keywords=tuple(k for k in edits.keywords if f"keyword:{k.name}" not in kept),
    )


@dataclass(frozen=True)
class _ModuleChange:
    merge: FileMerge
    notes: list[str]
    edits: AppEdits  # what the blueprints want in the module now, less the owner's own
    imports: tuple[ImportName, ...]  # the imports scaffold added and still wants


@dataclass(frozen=True)
class _OwnersStyle:
    """The owner's formatting configuration, read once per command."""

    ruff_config: dict[str, bytes]
    pyproject: bytes | None

    @property
    def width(self) -> int:
        return owner_width(self.ruff_config, self.pyproject)

    def lay_out(self, before: str, after: str, path: str) -> str:
        """Lay out what scaffold changed in an owner's file (:func:`lay_out`)."""
        return lay_out(before, after, path=path, config=self.ruff_config, pyproject=self.pyproject)


def _app_module_merge(
    project: Project, adopted: Adopted, rendered: Rendered, previous: Memory, style: _OwnersStyle
) -> _ModuleChange:
    before = project.read(adopted.module)
    if before is None:
        msg = f"{adopted.module}, the module of the adopted app, is missing"
        raise UnsafeAppError(msg, hint="restore it, or fix [adopted] in .scaffold/project.toml")
    text, bom = _decode(before, adopted.module)
    edits = alias_taken(EditBuilder(rendered, adopted).edits(), text, adopted, previous.imports)
    where = {"origin": adopted.module, "app": adopted.app, "package": adopted.package}
    revised = revise_app(text, **where, revision=_revision(previous, edits))
    result = edit_app(
        revised.code,
        origin=adopted.module,
        app=adopted.app,
        package=adopted.package,
        edits=_without_kept(edits, revised.kept),
    )
    code = style.lay_out(text, result.code, adopted.module)
    after = bom + code.encode("utf-8")
    merge = FileMerge(adopted.module, after, "unchanged" if after == before else "merged", before)
    needed = _imports_of(edits)
    imports = (*(i for i in previous.imports if i in needed), *result.imports)
    # An owner's statement doing what a blueprint's would (their CORS) is theirs, not a
    # statement scaffold inserted: remembered as scaffold's, remove would call it changed.
    inserted = AppEdits(
        statements=tuple(s for s in edits.statements if statement_identity(s) not in result.owners),
        keywords=edits.keywords,
    )
    return _ModuleChange(merge, [*revised.notes, *result.notes], inserted, tuple(imports))


# --- the plan -------------------------------------------------------------------------------


def _new_files(
    project: Project, adopted: Adopted, rendered: Rendered, base: dict[str, bytes]
) -> tuple[dict[str, bytes], list[str]]:
    """Return the blueprints' files (less the owner's package markers), and what they refuse.

    Refused: an owner's file a blueprint writes too, other than a module of the package (which
    went under another name, :mod:`scaffold.adopted_names`) or a keyed text file.
    """
    tree = {}
    refused = []
    foundation = foundation_paths(rendered, adopted)
    for path, content in rendered.tree.items():
        ours = project.read(path)
        owners = () if path in foundation else (adopted.module, PYPROJECT, REQUIREMENTS)
        if path in owners or (path not in base and ours is not None and ours != content):
            if path.endswith("/__init__.py") and path not in owners:
                continue  # the owner's package marker does the job
            if path not in owners and keyed_text(path):
                tree[path] = content  # the owner's .env.example: merged by variable
                continue
            refused.append(
                f"{path} already exists and is not scaffold's, but a blueprint you chose "
                f"writes its own {path} (move or rename yours, or leave that blueprint out)"
            )
            continue
        if path not in base and path not in foundation and (shadowed := _shadowed(project, path)):
            refused.append(
                f"a blueprint you chose writes {path}, which would take the place of your "
                f"{shadowed}: {_SAME_ROLE[PurePosixPath(path).name][0]} reads {path} first "
                "(leave that blueprint out, or rename yours)"
            )
            continue
        tree[path] = content
    return tree, refused


# A file a tool finds under several names, the first it finds winning: the tool, then the
# other names. A blueprint's file of that role beside the owner's would silently replace it.
_SAME_ROLE = {
    "compose.yaml": ("Docker Compose", "compose.yml", "docker-compose.yaml", "docker-compose.yml"),
}


def _shadowed(project: Project, path: str) -> str | None:
    """Return the owner's file, beside ``path``, that ``path`` would take the place of."""
    folder, name = PurePosixPath(path).parent, PurePosixPath(path).name
    for other in _SAME_ROLE.get(name, ())[1:]:
        relative = (folder / other).as_posix()
        if project.read(relative) is not None:
            return relative
    return None


def _libraries(project: Project, adopted: Adopted) -> frozenset[str]:
    """Return the library names a blueprint module must not take (none: keep the names).

    A project made from a copier template (``new --from``) is laid out by its template, as one
    scaffold generates: its modules keep the blueprints' names, as ``new``'s do.
    """
    if adopted.foundation is not None:
        return frozenset()
    return project_libraries(project.root, project.read, module_folders(adopted))


def _previous(
    project: Project,
    adopted: Adopted,
    sources: tuple[SourceLike, ...],
    catalog: Catalog | None,
) -> Memory:
    """Return what scaffold inserted into the owner's files last time."""
    content = project.read(MEMORY_PATH)
    if content is not None:
        return load_memory(content)
    spec = project.spec()
    if not [name for name in spec.blueprints if name != "base"]:
        return Memory()
    # Adopted before scaffold kept this file: assume it inserted what the record renders now.
    edits = EditBuilder(render_adopted(spec, adopted, sources, catalog), adopted).edits()
    return Memory(edits=edits, imports=tuple(_imports_of(edits)))


def _record_merges(
    project: Project,
    spec: ProjectSpec,
    rendered: Rendered,
    tree: dict[str, bytes],
    memory: Memory,
    *,
    root: Path,
) -> list[FileMerge]:
    adopted = project.record.adopted
    files = record_files(spec, rendered.selection, tree, __version__, adopted, root=root)
    files[MEMORY_PATH] = dump_memory(memory)
    merges = []
    for path, content in files.items():
        before = project.read(path)
        outcome: Outcome = (
            "unchanged" if before == content else "new" if before is None else "replaced"
        )
        merges.append(FileMerge(path, content, outcome, before))
    return merges


def plan_adopted_change(
    project: Project,
    spec: ProjectSpec,
    *,
    sources: tuple[SourceLike, ...] = (),
    catalog: Catalog | None = None,
    verify: bool = True,
    record_root: Path | None = None,
) -> Plan:
    """Plan ``add``, ``remove`` or ``update`` in an adopted project; nothing is written.

    ``catalog``: the blueprints to use; without it, the record's sources and ``sources``.
    ``verify``: import the changed app in the project's environment (none exists before
    ``new --from`` writes the project). ``record_root``: where the project will be, when
    it is planned elsewhere (folder sources are recorded relative to it).
    """
    adopted = project.record.adopted
    assert adopted is not None  # noqa: S101  # the caller checked
    all_sources = project.sources() + sources
    folder = owners_folder(project.read, adopted)
    read = in_folder(project.read, folder)
    style = _OwnersStyle(owners_ruff_config(read), read(PYPROJECT))
    base = project.base()
    recorded = project.read(MEMORY_PATH)
    modules = load_memory(recorded).modules if recorded else {}
    taken = Taken(project.read, base, modules, _libraries(project, adopted))
    rendered = render_adopted(
        spec,
        adopted,
        all_sources,
        catalog,
        ruff_config=style.ruff_config,
        width=style.width,
        taken=taken,
    )
    previous = _previous(project, adopted, all_sources, catalog)
    kept = left_to_template(project, rendered, base, previous)
    foundation = foundation_paths(rendered, adopted)

    def merged(path: str) -> FileMerge:
        if path in kept:
            return FileMerge(path, project.read(path), "kept", project.read(path))
        new = rendered.tree.get(path) if path in foundation else tree.get(path)
        return merge_file(path, base.get(path), project.read(path), new, package=adopted.package)

    tree: dict[str, bytes] = {}
    founded = {path: merged(path) for path in sorted(foundation)}
    # The foundation's files merge first; scaffold's edits of them start from that merge.
    view = merged_foundation(project, list(founded.values()), foundation)
    if foundation:
        read = in_folder(view.read, folder)
        style = _OwnersStyle(owners_ruff_config(read), read(PYPROJECT))
    blockers = adoption_blockers(view, spec, rendered)
    tree, refused = _new_files(project, adopted, rendered, base)
    blockers += refused
    (conftest, conftest_merges), module = _edits_or_refusal(
        view, rendered, base, previous, style, blockers=blockers
    )
    tree |= conftest.tree
    merges = [
        founded.get(path) or merged(path)
        for path in sorted(set(base) | set(tree) | kept)
        if not path.startswith(f"{RECORD_DIR}/")
    ]
    # The template's own keyed files (.gitignore) are scaffold's whole, merged as they are.
    owners = [m for m in merges if m.path not in foundation]
    merges, keyed_files = plan_keyed_files(owners, base=base, tree=tree, previous=previous)
    merges += founded.values()
    merges, files_kept = _keep_imported(merges, module.merge, adopted, view)
    requirements = plan_requirements(
        view, rendered, previous, keep_retired=files_kept, folder=folder
    )
    merges = one_per_file([*merges, module.merge, *requirements.merges, *conftest_merges])
    memory = Memory(
        edits=module.edits,
        imports=module.imports,
        requirements=requirements.added,
        dev_requirements=requirements.dev_added,
        fixtures=conftest.fixtures,
        fixture_imports=conftest.imports,
        keyed_files=keyed_files,
        foundation_files=tuple(sorted(foundation | (kept & set(previous.foundation_files)))),
        modules=rendered.modules,
    )
    # The record's base keeps the files the template's tasks wrote, as they were last time.
    generated = tree | {p: base[p] for p in kept & set(memory.foundation_files) if p in base}
    merges += _record_merges(
        project, spec, rendered, generated, memory, root=record_root or project.root
    )
    notes = [
        *rendered.notes,
        *module.notes,
        *requirements.notes,
        *conftest.notes,
        *_tests_notes(project, rendered, conftest.path),
    ]
    notes += [note for merge in merges for note in merge.notes]
    notes += stale_lock_notes(project, merges, folder)
    plan = Plan(project, spec, rendered.selection, merges, notes=notes)
    if verify:
        plan.notes += verified_notes(plan, adopted, rendered)
    return plan


def _edits_or_refusal(
    view: Project,
    rendered: Rendered,
    base: dict[str, bytes],
    previous: Memory,
    style: _OwnersStyle,
    *,
    blockers: list[str],
) -> tuple[tuple[ConftestChange, list[FileMerge]], _ModuleChange]:
    """Plan the edits of the owner's conftest and app module, or refuse with every blocker.

    Those edits may refuse too: every blocker is said in one message, so that one run tells
    the owner all there is to change.
    """
    adopted = view.record.adopted
    assert adopted is not None  # noqa: S101  # an adopted project
    refusals: list[UnsafeAppError] = []
    conftest_change = _refusing(refusals, _conftest, view, rendered, base, previous, style)
    module = _refusing(refusals, _app_module_merge, view, adopted, rendered, previous, style)
    if len(refusals) == 1 and not blockers:
        raise refusals[0]  # alone: as it was raised, with its hint
    blockers = [*blockers, *(str(error) for error in refusals)]
    if blockers or conftest_change is None or module is None:
        msg = "; ".join(blockers)
        raise AdoptedChangeError(msg)
    return conftest_change, module


_T = TypeVar("_T")


def _refusing(refusals: list[UnsafeAppError], plan: Callable[..., _T], *args: object) -> _T | None:
    """Return what ``plan`` returns, or None when it refuses (the refusal joins ``refusals``)."""
    try:
        return plan(*args)
    except UnsafeAppError as error:
        refusals.append(error)
        return None


def _keep_imported(
    merges: list[FileMerge], module: FileMerge, adopted: Adopted, project: Project
) -> tuple[list[FileMerge], bool]:
    """Keep the files of scaffold's that the app module will still import, saying so.

    A statement the owner changed stays, and so do its imports; and the owner may import a
    blueprint's module themselves. Deleting that module with its blueprint would break the
    app on import, so it stays, as the owner's now (it leaves the record), and so does what
    it imports in turn. Not a package marker of scaffold's that defines nothing in a folder
    the owner keeps files in (``from app.routes import views``, where ``app/routes`` had no
    ``__init__.py`` before a blueprint wrote one): the import works without it, as before.
    """
    deleted = {m.path: m for m in merges if m.outcome == "deleted" and m.path.endswith(".py")}
    if not deleted or module.content is None:
        return merges, False
    kept: dict[str, str] = {}  # path -> the note
    readers = [(adopted.module, module.content)]
    while readers:
        reader, code = readers.pop()
        for path, line in _imported_files(code, adopted).items():
            merge = deleted.get(path)
            if merge is None or path in kept or merge.before is None:
                continue
            if _bare_marker(path, merge.before) and _folder_keeps_files(project, path, deleted):
                continue
            kept[path] = (
                f"kept {path}: {reader} still imports it (line {line}), so it stays and is "
                "yours now"
            )
            readers.append((path, merge.before))
    merges = [
        FileMerge(m.path, m.before, "kept", m.before, (kept[m.path],)) if m.path in kept else m
        for m in merges
    ]
    return merges, bool(kept)


def _bare_marker(path: str, content: bytes) -> bool:
    """Whether ``path`` is an ``__init__.py`` holding nothing but a docstring or comments."""
    import ast

    if PurePosixPath(path).name != "__init__.py":
        return False
    try:
        body = ast.parse(content).body
    except (SyntaxError, ValueError):
        return False
    docstring = (
        body[:1] and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    )
    return not body or (len(body) == 1 and bool(docstring))


def _folder_keeps_files(project: Project, path: str, deleted: Mapping[str, FileMerge]) -> bool:
    """Whether the folder of ``path`` keeps a Python file the change does not delete."""
    folder = PurePosixPath(path).parent
    try:
        entries = list((project.root / folder).iterdir())
    except OSError:
        return False
    return any(
        entry.suffix == ".py" or (entry.is_dir() and entry.name != "__pycache__")
        for entry in entries
        if (folder / entry.name).as_posix() not in deleted and entry.name != "__init__.py"
    )


def _imported_files(code: bytes, adopted: Adopted) -> dict[str, int]:
    """Return the files of the adopted package the module's imports name, with their lines."""
    import ast

    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return {}
    folder = PurePosixPath(adopted.module).parent
    package_dir = PurePosixPath(adopted.package_dir)
    inside = folder.parts[len(package_dir.parts) :] if folder.is_relative_to(package_dir) else ()
    here = [*adopted.package.split("."), *inside]  # the module's own package, dotted
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module.split(".") if node.module else []
            if node.level:
                base = here[: len(here) - (node.level - 1)] + base
            names = [".".join(base), *(".".join([*base, a.name]) for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for dotted in names:
            if dotted != adopted.package and not dotted.startswith(f"{adopted.package}."):
                continue
            rest = dotted.removeprefix(adopted.package).lstrip(".").replace(".", "/")
            path = (package_dir / rest).as_posix() if rest else package_dir.as_posix()
            for candidate in (f"{path}.py", f"{path}/__init__.py"):
                found.setdefault(candidate, getattr(node, "lineno", 0))
    return found


def _conftest(
    project: Project,
    rendered: Rendered,
    base: dict[str, bytes],
    previous: Memory,
    style: _OwnersStyle,
) -> tuple[ConftestChange, list[FileMerge]]:
    """Plan the fixtures' conftest: scaffold's own (in the tree) or an edit of the owner's."""
    adopted = project.record.adopted
    assert adopted is not None  # noqa: S101  # an adopted project
    fixtures = [(rendered.owner("fixtures", f.name), f) for f in rendered.composition.fixtures]
    folder = tests_folder(project)
    change = plan_conftest(project, adopted, fixtures, base=base, previous=previous, folder=folder)
    before = project.read(change.path)
    if change.edited is None or change.edited == before:
        return change, []
    if before is not None:  # the lines scaffold added, laid out as the owner's ruff would
        edited = style.lay_out(before.decode("utf-8"), change.edited.decode("utf-8"), change.path)
        change.edited = edited.encode("utf-8")
    return change, [FileMerge(change.path, change.edited, "merged", before)]


def _tests_notes(project: Project, rendered: Rendered, conftest: str) -> list[str]:
    """Say, when the tests blueprint arrives, what it leaves to the owner."""
    adopted = project.record.adopted
    if "tests" not in rendered.selection.names or "tests" in project.record.blueprints:
        return []
    notes = []
    if rendered.skipped_tests and adopted is not None:
        notes.append(
            f"the blueprints' test files ({', '.join(rendered.skipped_tests)}) were not written: "
            f"they test scaffold's create_app() and GET /health, which {adopted.module} does not "
            f"have; the fixtures are in {conftest}"
        )
    return notes
