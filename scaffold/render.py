"""Rendering blueprints into an in-memory tree ``{relative path: bytes}``.

Templates run in jinja2's sandbox with ``StrictUndefined``: a misspelt variable is an error, not
an empty string, and a template cannot reach Python internals. Files ending in ``.jinja`` are
rendered (the suffix is dropped); other files are copied byte for byte. Path segments may hold
expressions too (``{{ package }}/main.py.jinja``). A rendered path must stay inside the project.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from scaffold.errors import BlueprintError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from scaffold.compose import Composition, Selection
    from scaffold.models import ProjectSpec

TEMPLATE_SUFFIX = ".jinja"
Tree = dict[str, bytes]


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
            py=_python_literal, toml=_toml_string, env=_env_value, module=_module, attribute=_attribute
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
            return bool(self.env.compile_expression(expression)(**self._context(options)))
        except TemplateError as error:
            msg = f"cannot evaluate the manifest condition '{expression}': {error}"
            raise BlueprintError(msg) from None

    def render_string(self, text: str, options: Mapping[str, Any]) -> str:
        """Render a short templated string (a path segment, a reference)."""
        if "{" not in text:
            return text
        try:
            return self.env.from_string(text).render(self._context(options))
        except TemplateError as error:
            msg = f"cannot render '{text}': {error}"
            raise BlueprintError(msg) from None

    def render_strings(self, texts: Iterable[str], options: Mapping[str, Any]) -> list[str]:
        """Render each of several short templated strings."""
        return [self.render_string(text, options) for text in texts]

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

    def render_template(self, source: str, options: Mapping[str, Any], *, origin: str) -> str:
        """Render a whole template file."""
        try:
            return self.env.from_string(source).render(self._context(options))
        except TemplateError as error:
            line = getattr(error, "lineno", None)
            where = f"{origin}:{line}" if line else origin
            msg = f"cannot render {where}: {error}"
            raise BlueprintError(msg, hint="fix the blueprint's template") from None


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
    if not files_dir.is_dir():
        return []
    found = []
    for path in sorted(files_dir.rglob("*")):
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
