"""Rendering blueprints into an in-memory tree ``{relative path: bytes}``.

Templates run in jinja2's sandbox with ``StrictUndefined``: a misspelt variable is an error, not
an empty string, and a template cannot reach Python internals. Files ending in ``.jinja`` are
rendered (the suffix is dropped); other files are copied byte for byte. Path segments may hold
expressions too (``{{ package }}/main.py.jinja``). A rendered path must stay inside the project.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from scaffold.errors import BlueprintError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from scaffold.compose import Composition, Selection
    from scaffold.models import ProjectSpec

TEMPLATE_SUFFIX = ".jinja"
_SIMPLE_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")


class _NotSimpleError(Exception):
    """A placeholder that needs jinja after all (unknown name, attribute access)."""


Tree = dict[str, bytes]
# Compiled code depends on the interpreter, jinja and the environment's options below.
_CACHE_SIGNATURE = (
    f"{sys.implementation.cache_tag}|jinja{jinja2.__version__}|sandbox|trim|lstrip|v1"
)


@dataclass(frozen=True)
class ProjectContext:
    """What every template knows about the project."""

    name: str
    package: str
    description: str
    python: str


def _python_literal(value: Any) -> str:
    """Render a value as Python source (``repr`` of TOML/JSON data is valid Python)."""
    return repr(value)


def _toml_string(value: Any) -> str:
    """Render a value as a TOML basic string or array (JSON's spelling, unescaped non-ASCII)."""
    return json.dumps(value, ensure_ascii=False)


def _docstring_text(value: Any) -> str:
    """Make text safe inside a triple-quoted docstring: backslashes and quotes escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


def _env_value(value: Any) -> str:
    """Render a value as pydantic-settings reads it from the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _module(ref: str) -> str:
    return ref.partition(":")[0]


def _attribute(ref: str) -> str:
    return ref.partition(":")[2]


def _flatten(items: Iterable[Any]) -> Iterable[str]:
    for item in items:
        if isinstance(item, list | tuple):
            yield from _flatten(item)
        else:
            yield str(item)


def _import_lines(refs: Iterable[Any], exclude: str | None = None) -> list[str]:
    """Turn ``module:name`` references (nested lists allowed) into ``from m import a`` lines.

    ``exclude`` names the module being rendered, whose own names need no import.
    """
    by_module: dict[str, set[str]] = {}
    for ref in _flatten(refs):
        module, _, name = ref.partition(":")
        if module == exclude:
            continue
        by_module.setdefault(module, set()).add(name)
    return [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(by_module.items())]


class Renderer:
    """A sandboxed jinja2 environment bound to one project's context."""

    def __init__(self, spec: ProjectSpec) -> None:
        """Create the environment and the context every template sees."""
        self.project = ProjectContext(
            name=spec.name, package=spec.package, description=spec.description, python=spec.python
        )
        self.env = SandboxedEnvironment(
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        self.env.filters.update(
            py=_python_literal,
            toml=_toml_string,
            docstring=_docstring_text,
            env=_env_value,
            module=_module,
            attribute=_attribute,
        )
        self.env.globals["import_lines"] = _import_lines
        self.base_context: dict[str, Any] = {
            "project": asdict(self.project),
            "package": self.project.package,
            "blueprints": [],
            "app": None,
        }

    def bind(self, selection: Selection, composition: Composition | None = None) -> None:
        """Let templates see the selection (and, once composed, the contributions)."""
        self.base_context["blueprints"] = selection.names
        self.base_context["all_options"] = {item.name: item.options for item in selection.items}
        self.base_context["app"] = composition

    def _context(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.base_context, "options": dict(options), **options}

    def evaluate(self, expression: str, options: Mapping[str, Any]) -> bool:
        """Evaluate a condition from a manifest in the sandbox."""
        try:
            # undefined_to_none=False: a misspelt name fails (StrictUndefined) instead of being
            # quietly false, which would skip a file or let a refused combination through.
            compiled = self.env.compile_expression(expression, undefined_to_none=False)
            return bool(compiled(**self._context(options)))
        except TemplateError as error:
            msg = f"cannot evaluate the manifest condition '{expression}': {error}"
            raise BlueprintError(msg) from None

    def render_string(self, text: str, options: Mapping[str, Any]) -> str:
        """Render a short templated string (a path segment, a reference)."""
        if "{" not in text:
            return text
        simple = self._substitute_simple(text, options)
        if simple is not None:
            return simple
        try:
            return self.env.from_string(text).render(self._context(options))
        except TemplateError as error:
            msg = f"cannot render '{text}': {error}"
            raise BlueprintError(msg) from None

    def render_strings(self, texts: Iterable[str], options: Mapping[str, Any]) -> list[str]:
        """Render each of several short templated strings."""
        return [self.render_string(text, options) for text in texts]

    def _substitute_simple(self, text: str, options: Mapping[str, Any]) -> str | None:
        """Fill ``{{ a.b }}`` placeholders without compiling a template (most strings are these).

        Returns None when the text holds anything else, so jinja renders it in the sandbox.
        """
        if "{" in _SIMPLE_PLACEHOLDER.sub("", text):
            return None
        context = self._context(options)

        def lookup(match: re.Match[str]) -> str:
            value: Any = context
            for part in match.group(1).split("."):
                if part.startswith("_") or not isinstance(value, Mapping) or part not in value:
                    raise _NotSimpleError
                value = value[part]
            return str(value)

        try:
            return _SIMPLE_PLACEHOLDER.sub(lookup, text)
        except _NotSimpleError:
            return None

    def render_model(self, model: BaseModel, options: Mapping[str, Any]) -> BaseModel:
        """Render every string (and tuple of strings) field of a contribution."""
        updates: dict[str, Any] = {}
        for key, value in model:
            if isinstance(value, str):
                updates[key] = self.render_string(value, options)
            elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                updates[key] = tuple(self.render_strings(value, options))
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                updates[key] = {k: self.render_string(v, options) for k, v in value.items()}
        return model.model_copy(update=updates)

    def _template(self, source: str, origin: str) -> Template:
        """Compile ``source``, reusing the code object cached for identical source."""
        key = hashlib.sha256(f"{_CACHE_SIGNATURE}\0{source}".encode()).hexdigest()
        folder = _code_cache_dir()
        cached = folder / f"{key}.code" if folder is not None else None
        code = None
        if cached is not None:
            with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
                code = marshal.loads(cached.read_bytes())  # noqa: S302  # our own cache, keyed by hash
        if code is None:
            code = self.env.compile(source, name=origin, filename=origin)
            if cached is not None:
                _store(cached, marshal.dumps(code))
        return self.env.template_class.from_code(self.env, code, self.env.make_globals(None))

    def render_template(self, source: str, options: Mapping[str, Any], *, origin: str) -> str:
        """Render a whole template file."""
        try:
            return self._template(source, origin).render(self._context(options))
        except TemplateError as error:
            line = getattr(error, "lineno", None)
            where = f"{origin}:{line}" if line else origin
            msg = f"cannot render {where}: {error}"
            raise BlueprintError(msg, hint="fix the blueprint's template") from None


@cache
def _code_cache_dir() -> Path | None:
    """Where compiled templates are kept: a speed cache only, safe to delete at any time."""
    configured = os.environ.get("SCAFFOLD_CACHE_DIR")
    base = (
        Path(configured)
        if configured
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scaffold"
    )
    folder = base / "templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return None
    # Cached code is executed: trust only a folder that is ours and that nobody else can write.
    if hasattr(os, "geteuid") and status.st_uid != os.geteuid():
        return None
    if status.st_mode & 0o022 or not os.access(folder, os.W_OK):
        return None
    return folder


def _store(path: Path, data: bytes) -> None:
    """Write a cache entry atomically; a failure only costs speed."""
    with contextlib.suppress(OSError):
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temporary).replace(path)


def safe_relative_path(rendered: str, *, origin: str) -> str:
    """Refuse a rendered path that would land outside the project."""
    path = PurePosixPath(rendered)
    if path.is_absolute() or rendered.startswith(("/", "\\")) or "\\" in rendered:
        msg = f"{origin} renders to an absolute or non-portable path '{rendered}'"
        raise BlueprintError(msg, hint="blueprint paths must be relative")
    if any(part in {"..", "."} for part in path.parts) or not path.parts:
        msg = f"{origin} renders to '{rendered}', outside the project"
        raise BlueprintError(msg, hint="blueprint paths must stay inside the project")
    if any(part == "" for part in rendered.split("/")):
        msg = f"{origin} renders to '{rendered}', which has an empty path segment"
        raise BlueprintError(msg, hint="check the variables used in the file name")
    return path.as_posix()


def _template_files(files_dir: Path) -> list[Path]:
    if files_dir.is_symlink():  # a linked files/ would copy whatever it points to
        msg = f"{files_dir} is a symbolic link; blueprints may not contain links"
        raise BlueprintError(msg, hint="replace the link with the folder itself")
    if not files_dir.is_dir():
        return []
    found = []
    for path in sorted(files_dir.rglob("*")):
        # pip compiles every .py in the wheel, blueprint files included: bytecode is not a template.
        if "__pycache__" in path.relative_to(files_dir).parts or path.suffix == ".pyc":
            continue
        if path.is_symlink():
            msg = f"{path} is a symbolic link; blueprints may not contain links"
            raise BlueprintError(msg, hint="replace the link with the file itself")
        if path.is_file():
            found.append(path)
    return found


def render_selection(selection: Selection, renderer: Renderer) -> Tree:
    """Render every selected blueprint's files into one tree; two owners of a path is an error."""
    tree: Tree = {}
    owners: dict[str, str] = {}
    for item in selection.items:
        manifest = item.blueprint.manifest
        for source_path in _template_files(item.blueprint.files_dir):
            relative = source_path.relative_to(item.blueprint.files_dir).as_posix()
            condition = manifest.when.get(relative)
            if condition and not renderer.evaluate(condition, item.options):
                continue
            origin = f"{item.name}/files/{relative}"
            target = relative.removesuffix(TEMPLATE_SUFFIX)
            target = safe_relative_path(renderer.render_string(target, item.options), origin=origin)
            if target in owners:
                msg = f"both '{owners[target]}' and '{item.name}' write {target}"
                raise BlueprintError(msg, hint="a file belongs to one blueprint; use contributions")
            owners[target] = item.name
            if relative.endswith(TEMPLATE_SUFFIX):
                source = source_path.read_text(encoding="utf-8")
                text = renderer.render_template(source, item.options, origin=origin)
                tree[target] = text.encode("utf-8")
            else:
                tree[target] = source_path.read_bytes()
    return dict(sorted(tree.items()))
