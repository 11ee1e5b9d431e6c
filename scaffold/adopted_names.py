"""Blueprint modules under another name where the owner's package already has theirs.

A blueprint writes whole modules into the owner's package (settings: ``<package>/config.py``,
middleware: ``<package>/middleware.py``). When the owner already has a module of that name
(``app/config.py``, or a package ``app/config/``), or a module where a blueprint writes a
sub-package (``app/routes.py`` against ``app/routes/info.py``), scaffold's goes under the
name with ``scaffold_`` in front (``app/scaffold_config.py``; ``scaffold_config_2`` when that
is taken too). A library's name counts as taken for a module directly in the package
(``app/websockets.py`` would hide the ``websockets`` library wherever ``app/`` itself is on
``sys.path``; see :mod:`scaffold.adopted_libraries`), and a note says so. The prefix says
whose module it is, keeps scaffold's modules together in a listing, and leaves the owner's
name, which their code imports, alone.

The blueprints are rendered as usual and then renamed (rather than handed another name to
render with), so every reference follows whoever wrote it, an org's blueprint included:

* the paths of the rendered tree;
* the imports in every rendered Python file: ``from app.config import x``,
  ``from .config import x``, ``from app import config`` (kept as ``config`` through an
  ``as``), ``import app.config``;
* the composition's ``module:name`` references (middleware classes, routers, ``imports`` of
  keywords, mounts, settings and fixtures, lifespan steps, validators), from which the edits of
  the owner's app module and conftest are built.

The names chosen are recorded (``modules`` in ``.scaffold/adopted.json``) and used again by
every later command while a blueprint still writes that module, so they do not change when the
owner deletes or renames their own module later.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from scaffold.edit.python_nodes import dotted_name

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    from libcst.metadata import Scope

    from scaffold.compose import Composition
    from scaffold.cst_edit import AppEdits, AppKeyword, NewStatement
    from scaffold.edit.names import ImportName
    from scaffold.record import Adopted

PREFIX = "scaffold_"


@dataclass(frozen=True)
class Taken:
    """What decides whether a module name in the owner's package is theirs."""

    read: Callable[[str], bytes | None]  # a project file's content, None when absent
    base: Collection[str] = ()  # the paths scaffold wrote last time: not the owner's
    recorded: Mapping[str, str] = field(default_factory=dict)  # the names chosen before
    # top-level names of libraries (scaffold.adopted_libraries): a module directly in the
    # package must not take one, for the package's folder may be on sys.path
    libraries: frozenset[str] = frozenset()

    def owners(self, path: str) -> bool:
        """Say whether ``path`` holds a file of the owner's (not one scaffold wrote)."""
        return path not in self.base and self.read(path) is not None


def _rename(module: str, renames: Mapping[str, str]) -> str:
    """Return the dotted module under its new name (a renamed package's modules follow)."""
    for old, new in renames.items():
        if module == old or module.startswith(f"{old}."):
            return new + module[len(old) :]
    return module


def rename_ref(ref: str, renames: Mapping[str, str]) -> str:
    """Rename the module of a ``module:name`` reference."""
    if not renames:
        return ref
    module, colon, name = ref.partition(":")
    return f"{_rename(module, renames)}{colon}{name}"


def rename_module(module: str, renames: Mapping[str, str]) -> str:
    """Rename a dotted module (``app.config`` -> ``app.scaffold_config``)."""
    return _rename(module, renames) if renames else module


def _dotted(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def choose_names(tree: Collection[str], adopted: Adopted, taken: Taken) -> dict[str, str]:
    """Return ``{module: new module}`` for each rendered module whose name the owner has.

    ``tree``: the rendered paths (``<package>/...``); the owner's files are read on disk.
    """
    package = adopted.package
    renames = {
        old: new
        for old, new in taken.recorded.items()
        if any(_dotted(p) == old or _dotted(p).startswith(f"{old}.") for p in tree)
    }
    modules = sorted(
        _dotted(p)
        for p in tree
        if p.startswith(f"{package}/") and p.endswith(".py") and not p.endswith("/__init__.py")
    )
    for module in modules:
        if _rename(module, renames) != module:
            continue
        parts = module.split(".")
        first = len(package.split(".")) + 1  # a module directly in the package
        for depth in range(first, len(parts) + 1):
            candidate = ".".join(parts[:depth])
            if _is_owners(candidate, adopted, taken, leaf=depth == len(parts)) or (
                depth == first and _hides_library(candidate, adopted, taken)
            ):
                renames[candidate] = _free_name(candidate, adopted, taken, tree, renames)
                break
    return renames


def _rendered_stem(module: str, package: str) -> str:
    """Return where a module of the package renders, without ``.py`` (``app/config``)."""
    rest = module.removeprefix(package).lstrip(".")
    return f"{package}/{rest.replace('.', '/')}" if rest else package


def _stem(module: str, adopted: Adopted) -> str:
    return adopted.on_disk(_rendered_stem(module, adopted.package))


def _is_owners(module: str, adopted: Adopted, taken: Taken, *, leaf: bool) -> bool:
    """Say whether the owner's package has ``module`` (a module, or a package for a leaf)."""
    stem = _stem(module, adopted)
    return taken.owners(f"{stem}.py") or (leaf and taken.owners(f"{stem}/__init__.py"))


def _hides_library(module: str, adopted: Adopted, taken: Taken) -> bool:
    """Say whether ``module`` would hide a library of its name, and scaffold has none there yet.

    One scaffold wrote before keeps its name (the name must not change under the owner); a
    module arriving now does not take the library's.
    """
    if module.rpartition(".")[2] not in taken.libraries:
        return False
    stem = _stem(module, adopted)
    return not any(path == f"{stem}.py" or path.startswith(f"{stem}/") for path in taken.base)


def library_notes(
    renames: Mapping[str, str], adopted: Adopted, taken: Taken, files: Collection[str]
) -> list[str]:
    """Say which modules chosen now went under another name so as not to hide a library.

    ``files``: the finished files' paths on disk (a renamed module's, or a package's).
    """
    notes = []
    for old, new in renames.items():
        leaf = old.rpartition(".")[2]
        if old in taken.recorded or old.count(".") != adopted.package.count(".") + 1:
            continue
        if leaf not in taken.libraries or _is_owners(old, adopted, taken, leaf=True):
            continue
        suffix = ".py" if f"{_stem(new, adopted)}.py" in files else "/"
        library = (
            f"the standard library's {leaf}"
            if leaf in sys.stdlib_module_names
            else f"the {leaf} library"
        )
        notes.append(
            f"scaffold's {leaf} module is {_stem(new, adopted)}{suffix}: "
            f"{_stem(old, adopted)}{suffix} would hide {library} wherever "
            f"{adopted.package_dir}/ is on sys.path (as when your code imports its modules "
            "without the package)"
        )
    return notes


def _free_name(
    module: str, adopted: Adopted, taken: Taken, tree: Collection[str], renames: Mapping[str, str]
) -> str:
    parent, _, leaf = module.rpartition(".")
    used = {_dotted(p) for p in tree} | set(renames.values())
    for number in range(1, 100):
        name = f"{PREFIX}{leaf}" + (f"_{number}" if number > 1 else "")
        candidate = f"{parent}.{name}"
        stem = _stem(candidate, adopted)
        if candidate in used or any(
            taken.read(path) is not None for path in (f"{stem}.py", f"{stem}/__init__.py")
        ):
            continue
        return candidate
    return f"{parent}.{PREFIX}{leaf}_{len(used) + 100}"  # pragma: no cover  # 99 taken


def same_as_owners(
    files: Mapping[str, bytes], renames: Mapping[str, str], adopted: Adopted, taken: Taken
) -> set[str]:
    """Return the newly renamed modules whose owner's file holds what scaffold writes.

    ``files``: the finished files, on disk. Such a file is one scaffold left the owner (a
    module their app still imported when its blueprint went): adding it again takes it back
    under its own name rather than writing a copy beside it.
    """
    same = set()
    for old, new in renames.items():
        if old in taken.recorded:
            continue  # chosen before: kept
        content = files.get(f"{_stem(new, adopted)}.py")
        if content is not None and taken.read(f"{_stem(old, adopted)}.py") == content:
            same.add(old)
    return same


def rename_paths(
    tree: dict[str, bytes], renames: Mapping[str, str], package: str
) -> dict[str, bytes]:
    """Return the tree (rendered paths) with the renamed modules' files at their new paths."""
    if not renames:
        return tree
    moved = {}
    for path, content in tree.items():
        for old, new in renames.items():
            stem = _rendered_stem(old, package)
            if path == f"{stem}.py" or path.startswith(f"{stem}/"):
                path = _rendered_stem(new, package) + path[len(stem) :]  # noqa: PLW2901
                break
        moved[path] = content
    return moved


def rename_imports(tree: dict[str, bytes], renames: Mapping[str, str]) -> dict[str, bytes]:
    """Return the tree with the imports of its Python files following ``renames``.

    Call it on the paths as rendered (before :func:`rename_paths`): a relative import is
    read against the package the file was rendered in.
    """
    if not renames:
        return tree
    result = {}
    for path, content in tree.items():
        if path.endswith(".py"):
            content = _renamed_source(path, content, renames)  # noqa: PLW2901
        result[path] = content
    return result


def _renamed_source(path: str, content: bytes, renames: Mapping[str, str]) -> bytes:
    try:
        module = cst.parse_module(content)
    except (cst.ParserSyntaxError, UnicodeDecodeError):  # not Python scaffold can read: as is
        return content
    package = _dotted(path.rpartition("/")[0]).split(".")  # where a relative import starts
    renamed = module.visit(_ImportRenamer(package, renames))
    return content if renamed.deep_equals(module) else renamed.bytes


def _expression(dotted: str) -> cst.Name | cst.Attribute:
    node = cst.parse_expression(dotted)
    assert isinstance(node, cst.Name | cst.Attribute)  # noqa: S101  # a dotted name
    return node


class _ImportRenamer(cst.CSTTransformer):
    """Point a module's imports at the renamed modules."""

    def __init__(self, package: list[str], renames: Mapping[str, str]) -> None:
        self.package = package
        self.renames = renames

    def _renamed(self, parts: list[str]) -> list[str]:
        return _rename(".".join(parts), self.renames).split(".") if parts else parts

    def leave_Import(self, original_node: cst.Import, updated_node: cst.Import) -> cst.Import:  # noqa: N802, ARG002  # libcst's visitor names
        names = []
        for alias in updated_node.names:
            dotted = dotted_name(alias.name) or ""
            new = _rename(dotted, self.renames)
            names.append(alias if new == dotted else alias.with_changes(name=_expression(new)))
        return updated_node.with_changes(names=names)

    def leave_ImportFrom(  # noqa: N802  # libcst's visitor names
        self,
        original_node: cst.ImportFrom,  # noqa: ARG002  # libcst's signature
        updated_node: cst.ImportFrom,
    ) -> cst.ImportFrom:
        level = len(updated_node.relative)
        base = self.package[: len(self.package) - (level - 1)] if level else []
        written = (dotted_name(updated_node.module) or "") if updated_node.module else ""
        full = base + (written.split(".") if written else [])
        new_full = self._renamed(full)
        changes: dict[str, Any] = {}
        if new_full != full and new_full[: len(base)] == base:  # else all moved: still right
            rest = new_full[len(base) :]
            changes["module"] = _expression(".".join(rest)) if rest else None
        if not isinstance(updated_node.names, cst.ImportStar):
            changes["names"] = [self._name(alias, new_full) for alias in updated_node.names]
        return updated_node.with_changes(**changes)

    def _name(self, alias: cst.ImportAlias, module: list[str]) -> cst.ImportAlias:
        """``from app import config``: the module imported by name, under its old name."""
        name = dotted_name(alias.name) or ""
        leaf = self._renamed([*module, name])[-1]
        if leaf == name:
            return alias
        asname = alias.asname or cst.AsName(name=cst.Name(name))
        return alias.with_changes(name=cst.Name(leaf), asname=asname)


_REF_FIELDS = ("cls", "ref")


def rename_composition(composition: Composition, renames: Mapping[str, str]) -> None:
    """Point the composition's ``module:name`` references at the renamed modules, in place."""
    if not renames:
        return
    for kind, entries in vars(composition).items():
        if not entries or not hasattr(entries[0], "model_copy"):
            continue
        renamed = []
        for entry in entries:
            update: dict[str, Any] = {
                name: rename_ref(getattr(entry, name), renames)
                for name in _REF_FIELDS
                if isinstance(getattr(entry, name, None), str)
            }
            if isinstance(getattr(entry, "imports", None), tuple):
                update["imports"] = tuple(rename_ref(ref, renames) for ref in entry.imports)
            renamed.append(entry.model_copy(update=update) if update else entry)
        setattr(composition, kind, renamed)


# --- names in the owner's app module --------------------------------------------------------


def alias_taken(
    edits: AppEdits, text: str, adopted: Adopted, previous: Collection[ImportName]
) -> AppEdits:
    """Import what the owner's app module already binds to something else under an alias.

    ``from app.config import get_settings as scaffold_get_settings`` when the module has a
    ``get_settings`` of its own (at module level, or in the factory that builds the app), and
    the statements scaffold inserts use the alias. An import of the owner's binding the same
    object is reused, not aliased. An alias chosen before (``previous``: the imports scaffold
    added last time) is kept, so that it does not change when the owner's name goes.
    """
    wanted = [i for s in edits.statements for i in s.imports]
    wanted += [i for k in edits.keywords for i in k.imports]
    if not wanted:
        return edits
    bound = _Bindings.of(text, adopted)
    before = {(i.module, i.name): i.alias for i in previous if i.alias}
    aliases: dict[ImportName, str] = {}
    for item in dict.fromkeys(wanted):
        alias = before.get((item.module, item.name))
        if alias is None and bound.taken(item):
            alias = _free_alias(item.name, bound.names | set(aliases.values()))
        if alias:
            aliases[item] = alias
    if not aliases:
        return edits
    from scaffold.cst_edit import AppEdits

    return AppEdits(
        statements=tuple(_aliased_statement(s, aliases) for s in edits.statements),
        keywords=tuple(_aliased_keyword(k, aliases) for k in edits.keywords),
    )


@dataclass(frozen=True)
class _Bindings:
    """The names bound where scaffold's statements run: the module, and the factory's body."""

    scopes: tuple[Scope, ...]
    package: str

    @classmethod
    def of(cls, text: str, adopted: Adopted) -> _Bindings:
        from libcst.metadata import MetadataWrapper, ScopeProvider

        from scaffold.cst_edit import parse
        from scaffold.edit.factory import find_factory

        wrapper = MetadataWrapper(parse(text, adopted.module))
        resolved = wrapper.resolve(ScopeProvider)
        module = wrapper.module
        scopes = [resolved[module]]
        factory = find_factory(module, adopted.app)
        if factory is not None and factory.function.body.body:
            scopes.append(resolved[factory.function.body.body[0]])
        return cls(tuple(s for s in scopes if s is not None), adopted.package)

    @property
    def names(self) -> set[str]:
        return {a.name for scope in self.scopes for a in scope.assignments}

    def taken(self, item: ImportName) -> bool:
        """Say whether the name is bound, and not by an import of the same object."""
        from scaffold.cst_edit import imports_binding

        nodes = [
            getattr(assignment, "node", None)
            for scope in self.scopes
            for assignment in scope.assignments[item.name]
        ]
        if not nodes:
            return False
        return not any(n is not None and imports_binding(n, item, self.package) for n in nodes)


def _free_alias(name: str, bound: Collection[str]) -> str:
    """``scaffold_name``, ``ScaffoldName`` or ``SCAFFOLD_NAME`` (pep8-naming keeps quiet)."""
    if len(name) > 1 and name.isupper():
        stem = f"SCAFFOLD_{name}"
    elif name[:1].isupper():
        stem = f"Scaffold{name}"
    else:
        stem = f"{PREFIX}{name}"
    alias, number = stem, 1
    while alias in bound:
        number += 1
        alias = f"{stem}_{number}" if "_" in stem else f"{stem}{number}"
    return alias


class _NameAliaser(cst.CSTTransformer):
    """Read each aliased name as its alias (not attributes, not keyword names)."""

    def __init__(self, aliases: Mapping[str, str]) -> None:
        self.aliases = aliases

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:  # noqa: N802, ARG002  # libcst's visitor names
        alias = self.aliases.get(updated_node.value)
        return updated_node.with_changes(value=alias) if alias else updated_node

    def leave_Attribute(  # noqa: N802  # libcst's visitor names
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:  # noqa: N802  # libcst's visitor names
        return updated_node.with_changes(keyword=original_node.keyword)


def _aliased_code(code: str, aliases: Mapping[str, str]) -> str:
    """Rewrite an argument (``x``, or ``name=x``) or an expression with the aliases."""
    try:
        call = cst.parse_expression(f"_({code})")
    except cst.ParserSyntaxError:
        return code
    assert isinstance(call, cst.Call)  # noqa: S101  # one argument
    assert len(call.args) == 1  # noqa: S101  # one argument
    arg = call.args[0].visit(_NameAliaser(aliases))
    assert isinstance(arg, cst.Arg)  # noqa: S101  # an argument stays one
    return cst.Module([]).code_for_node(arg)


def _names_of(imports: Collection[ImportName], aliases: Mapping[ImportName, str]) -> dict[str, str]:
    return {item.name: aliases[item] for item in imports if item in aliases}


def _aliased_imports(
    imports: tuple[ImportName, ...], aliases: Mapping[ImportName, str]
) -> tuple[ImportName, ...]:
    return tuple(replace(i, alias=aliases[i]) if i in aliases else i for i in imports)


def _aliased_statement(statement: NewStatement, aliases: Mapping[ImportName, str]) -> NewStatement:
    names = _names_of(statement.imports, aliases)
    if not names:
        return statement
    guard = _aliased_code(statement.guard, names) if statement.guard else statement.guard
    return replace(
        statement,
        args=tuple(_aliased_code(arg, names) for arg in statement.args),
        guard=guard,
        imports=_aliased_imports(statement.imports, aliases),
    )


def _aliased_keyword(keyword: AppKeyword, aliases: Mapping[ImportName, str]) -> AppKeyword:
    names = _names_of(keyword.imports, aliases)
    if not names:
        return keyword
    return replace(
        keyword,
        value=_aliased_code(keyword.value, names),
        imports=_aliased_imports(keyword.imports, aliases),
    )
