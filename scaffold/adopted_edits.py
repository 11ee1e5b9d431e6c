"""The composition of an adopted project's blueprints as edits of the owner's app module.

What base's ``main.py`` template would hold becomes statements and keywords for
:mod:`scaffold.cst_edit`: middleware (innermost first), mounts, routers, ``FastAPI(...)``
keywords, and the lifespan, which wraps the app's own (``app.router.lifespan_context``) rather
than replacing it. Settings are read through ``get_settings()``.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from scaffold.adopted_names import rename_module
from scaffold.cst_edit import AppEdits, AppKeyword, NewStatement
from scaffold.edit.names import ImportName

if TYPE_CHECKING:
    from scaffold.adopted import Rendered
    from scaffold.record import Adopted


def _with_settings(expression: str) -> tuple[str, bool]:
    """Read ``settings`` in an expression as ``get_settings()``; say whether it was used."""
    source = expression.strip().encode("utf-8")  # ast's column offsets count UTF-8 bytes
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        return expression, False
    starts = [0, *(m.end() for m in re.finditer(b"\n", source))]
    names = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and node.id == "settings" and isinstance(node.ctx, ast.Load)
    ]
    for node in sorted(names, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        offset = starts[node.lineno - 1] + node.col_offset
        source = source[:offset] + b"get_settings()" + source[offset + len(b"settings") :]
    return source.decode("utf-8"), bool(names)


def _ref_import(ref: str) -> ImportName:
    module, _, name = ref.partition(":")
    return ImportName(module, name)


def _python_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a Python string literal


class EditBuilder:
    """Turns the composition into the statements and keywords of the owner's module."""

    def __init__(self, rendered: Rendered, adopted: Adopted) -> None:
        """Build for the rendered blueprints and the owner's app."""
        self.rendered = rendered
        self.app = adopted.app
        config = rename_module(f"{adopted.package}.config", rendered.modules)
        self.settings_import = ImportName(config, "get_settings")

    def _expression(self, value: str, imports: list[ImportName]) -> str:
        text, used = _with_settings(value)
        if used:
            imports.append(self.settings_import)
        return text

    def middleware(self, entry: Any) -> NewStatement:
        """Return ``app.add_middleware(...)``, guarded by its setting when it has one."""
        imports = [_ref_import(entry.cls)]
        name = entry.cls.partition(":")[2]
        args = (name, *(f"{k}={self._expression(v, imports)}" for k, v in entry.kwargs.items()))
        guard = self._expression(entry.guard, imports) if entry.guard else None
        return NewStatement(
            "middleware",
            f"{self.app}.add_middleware",
            args,
            key=name,
            guard=guard,
            comment=entry.comment,
            imports=tuple(imports),
            blueprint=self.rendered.owner("middleware", entry.cls),
        )

    def mount(self, entry: Any) -> NewStatement:
        """Return ``app.mount(path, app, name=...)``."""
        imports = [_ref_import(ref) for ref in entry.imports]
        app = self._expression(entry.app, imports)
        args = (_python_string(entry.path), app, f"name={_python_string(entry.name)}")
        return NewStatement(
            "mount",
            f"{self.app}.mount",
            args,
            key=entry.path,
            comment=entry.comment,
            imports=tuple(imports),
            blueprint=self.rendered.owner("mounts", entry.path),
        )

    def router(self, entry: Any) -> NewStatement:
        """Return ``app.include_router(module.router)``."""
        module, _, attribute = entry.ref.partition(":")
        parent, _, leaf = module.rpartition(".")
        return NewStatement(
            "call",
            f"{self.app}.include_router",
            (f"{leaf}.{attribute}",),
            imports=(ImportName(parent, leaf),),
            blueprint=self.rendered.owner("routers", entry.ref),
        )

    def lifespan(self, entry: Any) -> NewStatement:
        """Wrap the app's own lifespan instead of replacing it (a ``lifespan=`` keyword would).

        ``app.router.lifespan_context`` is what Starlette enters at startup: the owner's
        ``lifespan=``, or FastAPI's default one that runs ``on_event`` handlers. The lifespan
        blueprint's module, rendered for an adopted project, has ``wrap_lifespan(owner)``:
        the owner's lifespan around scaffold's steps, its state kept.
        """
        imports = [_ref_import(ref) for ref in entry.imports]
        wrapper = [
            replace(item, name="wrap_lifespan") for item in imports if item.name == "lifespan"
        ]
        context = f"{self.app}.router.lifespan_context"
        return NewStatement(
            "assign",
            context,
            (f"wrap_lifespan({context})",),
            comment="Scaffold's lifespan steps run inside the app's own lifespan.",
            imports=tuple(wrapper),
            blueprint=self.rendered.owner("app_arguments", entry.name),
        )

    def keyword(self, entry: Any) -> AppKeyword:
        """Return a keyword of ``FastAPI(...)``."""
        imports = [_ref_import(ref) for ref in entry.imports]
        value = self._expression(entry.value, imports)
        owner = self.rendered.owner("app_arguments", entry.name)
        return AppKeyword(entry.name, value, tuple(imports), blueprint=owner)

    def settings_state(self) -> NewStatement:
        """Return ``app.state.settings = get_settings()``."""
        return NewStatement(
            "assign",
            f"{self.app}.state.settings",
            ("get_settings()",),
            comment="The settings, where blueprints' code reads them (as scaffold's create_app()).",
            imports=(self.settings_import,),
            blueprint="settings",
        )

    def edits(self) -> AppEdits:
        """Return every statement and keyword the blueprints want in the module."""
        composition = self.rendered.composition
        statements = [self.settings_state()] if "settings" in self.rendered.selection.names else []
        lifespans = [entry for entry in composition.app_arguments if entry.name == "lifespan"]
        statements += [self.lifespan(entry) for entry in lifespans]
        # Starlette wraps the app in the middleware added last: add the innermost first.
        statements += [self.middleware(entry) for entry in reversed(composition.middleware)]
        statements += [self.mount(entry) for entry in composition.mounts]
        statements += [self.router(entry) for entry in composition.routers]
        keywords = tuple(
            self.keyword(entry) for entry in composition.app_arguments if entry not in lifespans
        )
        return AppEdits(statements=tuple(statements), keywords=keywords)
