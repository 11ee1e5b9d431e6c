"""The paths a FastAPI module serves, read from its source: no import, no environment.

:mod:`scaffold.verify` asks the imported app which route answers each of scaffold's paths, but
only a project with an environment can be imported. This reads the same facts from the syntax
tree, so that a route of a blueprint's that the owner's ``GET /`` would hide is refused before
anything is written, environment or not. It reads, on the app (and on a router of the same
module included into it, with both prefixes):

* route decorators: ``@app.get("/")``, ``@router.api_route("/", methods=[...])``,
  ``@app.websocket("/ws")``;
* mounts: ``app.mount("/", StaticFiles(...), name="spa")``, with their names;
* the documentation FastAPI serves itself: ``FastAPI(docs_url="/")``, ``redoc_url``,
  ``openapi_url`` (their defaults when the call leaves them out and has no ``**kwargs``).

What it cannot see (a router imported from another module, a path built at run time) it does
not guess at; the import-time verification still covers a project with an environment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from scaffold.edit.python_nodes import dotted_name

if TYPE_CHECKING:
    from collections.abc import Collection

WEBSOCKET = "WEBSOCKET"  # a websocket route's "method": only a websocket route or a mount meets it
_VERBS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "trace"})
_ANY_VERB = frozenset({"api_route", "route"})  # methods=[...], GET when left out
_SOCKETS = frozenset({"websocket", "websocket_route"})
_DOCS = {"docs_url": "/docs", "redoc_url": "/redoc", "openapi_url": "/openapi.json"}


@dataclass(frozen=True)
class Served:
    """A path the module serves, and how the owner wrote it (for a message)."""

    path: str  # with prefixes; a mount's path without its trailing "/"
    methods: frozenset[str]  # empty for a mount: it answers every method
    line: int
    code: str  # '@app.get("/")', 'app.mount("/", ...)', 'FastAPI(docs_url="/")'
    name: str | None = None  # a mount's name=, which url_path_for finds it by

    @property
    def mount(self) -> bool:
        """Whether this is a mount, answering every path under its own."""
        return not self.methods

    @property
    def catch_all(self) -> bool:
        """Whether this is a mount at "/", a single-page front end answering every path."""
        return self.mount and not self.path

    def matches(self, path: str, method: str) -> bool:
        """Say whether this answers ``method path`` (a route's template, parameters filled)."""
        concrete = re.sub(r"{[^}]*}", "x", path)
        if self.catch_all:  # scaffold's routes go before it, so they take only its "/"
            return concrete == "/"
        if self.mount:
            return concrete == self.path or concrete.startswith(f"{self.path}/")
        if method not in self.methods and not (method == "HEAD" and "GET" in self.methods):
            return False
        return re.fullmatch(_template_regex(self.path), concrete) is not None


def _template_regex(path: str) -> str:
    """Starlette's reading of a route template: ``{x}`` one segment, ``{x:path}`` the rest."""
    parts = re.split(r"({[^}]*})", path)
    return "".join(
        (".*" if part.endswith(":path}") else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )


def _string(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _argument(call: cst.Call, keyword: str, position: int | None = 0) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if position is not None and len(positional) > position:
        return positional[position]
    return None


def _methods(call: cst.Call, verb: str) -> frozenset[str]:
    if verb in _VERBS:
        return frozenset({verb.upper()})
    if verb in _SOCKETS:
        return frozenset({WEBSOCKET})
    argument = _argument(call, "methods", position=None)
    if argument is None or not isinstance(argument.value, cst.List | cst.Tuple | cst.Set):
        return frozenset({"GET"})  # FastAPI's and Starlette's default
    return frozenset(
        value.upper()
        for element in argument.value.elements
        if (value := _string(element.value)) is not None
    )


def _prefix(call: cst.Call) -> str | None:
    """Return the ``prefix=`` of a call ("" when left out), None when not a literal string."""
    argument = _argument(call, "prefix", position=None)
    return "" if argument is None else _string(argument.value)


@dataclass
class _Route:
    owner: str  # the name the decorator is on: app, router
    path: str
    methods: frozenset[str]
    line: int
    code: str
    name: str | None = None


class _Gathered(cst.CSTVisitor):
    """Everything in a module that may serve a path, before knowing which names are the app."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        """Start with nothing found."""
        super().__init__()
        self.apps: dict[str, tuple[cst.Call, int]] = {}  # NAME = FastAPI(...), and its line
        self.routers: dict[str, str | None] = {}  # NAME = APIRouter(prefix=...)
        self.routes: list[_Route] = []
        self.mounts: list[_Route] = []
        self.includes: list[tuple[str, str, str | None]] = []  # app, router, prefix

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _bound(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if not isinstance(target, cst.Name) or not isinstance(value, cst.Call):
            return
        called = (dotted_name(value.func) or "").rpartition(".")[2]
        if called == "FastAPI":
            self.apps[target.value] = (value, self._line(value))
        elif called == "APIRouter":
            self.routers[target.value] = _prefix(value)

    def visit_Assign(self, node: cst.Assign) -> None:  # noqa: N802  # libcst's visitor names
        """``NAME = FastAPI(...)`` or ``NAME = APIRouter(...)``."""
        if len(node.targets) == 1:
            self._bound(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:  # noqa: N802
        """``NAME: FastAPI = FastAPI(...)``."""
        self._bound(node.target, node.value)

    def visit_Decorator(self, node: cst.Decorator) -> None:  # noqa: N802
        """``@NAME.get("/path")`` and the other route decorators."""
        call = node.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            return
        owner, verb = dotted_name(call.func.value), call.func.attr.value
        path = _argument(call, "path")
        text = _string(path.value) if path is not None else None
        if owner is None or text is None or verb not in _VERBS | _ANY_VERB | _SOCKETS:
            return
        code = f"@{owner}.{verb}({json.dumps(text)})"
        self.routes.append(_Route(owner, text, _methods(call, verb), self._line(node), code))

    def visit_Call(self, node: cst.Call) -> None:  # noqa: N802
        """``app.mount(path, ...)`` and ``app.include_router(router, prefix=...)``."""
        func = dotted_name(node.func) or ""
        owner, _, method = func.rpartition(".")
        if method == "mount" and (path := _argument(node, "path")) is not None:
            text = _string(path.value)
            if text is not None:
                code = f"{func}({json.dumps(text)}, ...)"
                named = _argument(node, "name", position=2)
                name = _string(named.value) if named is not None else None
                line = self._line(node)
                self.mounts.append(_Route(owner, text, frozenset(), line, code, name))
        elif method == "include_router" and (router := _argument(node, "router")) is not None:
            name = dotted_name(router.value)
            if name is not None:
                self.includes.append((owner, name, _prefix(node)))


def _gathered(module: cst.Module) -> _Gathered:
    gathered = _Gathered()
    MetadataWrapper(module, unsafe_skip_copy=True).visit(gathered)
    return gathered


def _docs(call: cst.Call, line: int) -> list[Served]:
    """Return the paths FastAPI serves its documentation at, as this call sets them."""
    served = []
    spread = any(arg.star == "**" for arg in call.args)
    for keyword, default in _DOCS.items():
        argument = _argument(call, keyword, position=None)
        if argument is None and spread:
            continue  # **kwargs may set it: not guessed
        path = default if argument is None else _string(argument.value)
        code = f"FastAPI({keyword}={json.dumps(path)})" if argument else f"FastAPI's {keyword}"
        if path:  # None or "": turned off
            served.append(Served(path, frozenset({"GET"}), line, code))
    return served


def served_by_app(module: cst.Module, app: str) -> list[Served]:
    """Return what the app bound to ``app`` in this module serves, in the owner's words."""
    gathered = _gathered(module)
    served = _docs(*gathered.apps[app]) if app in gathered.apps else []
    prefixes: dict[str, list[str]] = {app: [""]}
    for owner, router, prefix in gathered.includes:
        inner = gathered.routers.get(router)
        if owner == app and router in gathered.routers and prefix is not None and inner is not None:
            prefixes.setdefault(router, []).append(prefix + inner)
    for route in gathered.routes:
        for prefix in prefixes.get(route.owner, []):
            path = prefix + route.path
            served.append(Served(path, route.methods, route.line, route.code))
    served += [
        Served(mount.path.rstrip("/"), frozenset(), mount.line, mount.code, mount.name)
        for mount in gathered.mounts
        if mount.owner == app
    ]
    return served


def routes_of_router(module: cst.Module, router: str) -> list[tuple[str, str]]:
    """Return ``(method, path)`` of each route the module declares on ``router``, prefixed."""
    gathered = _gathered(module)
    prefix = gathered.routers.get(router) or ""
    return [
        (
            "GET" if "GET" in route.methods else min(route.methods, default="GET"),
            prefix + route.path,
        )
        for route in gathered.routes
        if route.owner == router
    ]


def blocking(served: Collection[Served], method: str, path: str) -> list[Served]:
    """Return every route or mount of the owner's that answers ``method path``, in line order."""
    return sorted((s for s in served if s.matches(path, method)), key=lambda s: s.line)
