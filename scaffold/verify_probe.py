"""The probe :mod:`scaffold.verify` runs in a project's own Python (a script, not imported there).

It imports the app from the staged copy, builds its OpenAPI schema, lists its routes, and for
each route scaffold added asks the app's own router which route it dispatches that path to;
then it compares scaffold's routes with the owner's: a request both serve, a name both use.
It prints one JSON line. It runs on the project's interpreter, so it keeps to what Python 3.8
and old Starlette have (annotations stay strings).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import sys
from typing import Any


def _concrete(path: str) -> str:
    """Return a request path the route's template matches: its parameters filled in."""
    return re.sub(r"{[^}:]+(:[^}]+)?}", "x", path) or "/"


def _kind(route: Any) -> str:
    """Return the class name of the route (FastAPI's newer RouteContext: of the route inside)."""
    return type(getattr(route, "original_route", route)).__name__


def _describe(route: Any) -> str:  # any route class of any Starlette
    methods = sorted(getattr(route, "methods", None) or [])
    name = getattr(route, "name", None)
    path = getattr(route, "path", "")
    kind = _kind(route)
    named = f" ({name})" if name else ""
    if kind == "Mount":
        return f"the mount at {path or '/'!r}{named}"
    return f"{'|'.join(methods) or kind} {path}{named}"


class AnsweredError(Exception):
    """Raised by a route instead of handling the request: this route is the one that answers."""

    def __init__(self, route: object) -> None:
        """Keep the route."""
        super().__init__()
        self.route = route


async def _answer(self: object, _scope: object, _receive: object, _send: object) -> None:
    raise AnsweredError(self)


def _stop_handlers() -> None:
    """Make every route class raise :class:`AnsweredError` instead of running its endpoint.

    Starlette's (and FastAPI's) own dispatch then picks the route, whatever the version does
    inside (flattened routes, included-router branches, mounts); nothing of the owner's runs,
    their own route classes included (every subclass of ``BaseRoute`` imported by now).
    """
    import starlette.routing

    pending = [starlette.routing.BaseRoute]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if "handle" in vars(cls) and not cls.__name__.startswith("_Included"):
            cls.handle = _answer  # type: ignore[assignment,method-assign]


def _first_match(app: Any, scope: dict[str, Any]) -> object | None:
    """Return the route the app's router dispatches ``scope`` to, or None."""
    websocket = scope["type"] == "websocket"

    async def receive() -> dict[str, str]:
        return {"type": "websocket.connect" if websocket else "http.disconnect"}

    async def send(_message: object) -> None:
        return None

    async def dispatch() -> object | None:
        try:
            await app.router({**scope, "app": app}, receive, send)
        except AnsweredError as answered:
            return answered.route
        except Exception as error:  # no route: Starlette raises its 404 when "app" is set
            if type(error).__name__ == "HTTPException":
                return None
            raise
        return None

    return asyncio.run(dispatch())


def _scope(kind: str, path: str, method: str) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": kind,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "scheme": "ws" if kind == "websocket" else "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    if kind == "http":
        scope["method"] = method
    return scope


def _router_problems(app: Any, ref: str) -> list[dict[str, str]]:
    module, _, name = ref.partition(":")
    router = getattr(importlib.import_module(module), name)
    problems = []
    for route in router.routes:
        endpoint = getattr(route, "endpoint", None)
        kind = "websocket" if type(route).__name__.endswith("WebSocketRoute") else "http"
        methods = sorted(getattr(route, "methods", None) or ["GET"])
        method = "GET" if "GET" in methods else methods[0]
        first = _first_match(app, _scope(kind, _concrete(route.path), method))
        if first is None or getattr(first, "endpoint", None) is not endpoint:
            label = f"{'WEBSOCKET' if kind == 'websocket' else method} {route.path}"
            blocker = _describe(first) if first is not None else "nothing"
            problems.append({"ref": ref, "route": label, "blocker": blocker})
    return problems


def _mount_problems(app: Any, path: str) -> list[dict[str, str]]:
    first = _first_match(app, _scope("http", path.rstrip("/") + "/scaffold-probe", "GET"))
    if type(first).__name__ == "Mount" and getattr(first, "path", None) == path.rstrip("/"):
        return []
    blocker = _describe(first) if first is not None else "nothing"
    return [{"ref": path, "route": f"mount at {path}", "blocker": blocker}]


def _flat(routes: list[Any]) -> list[Any]:
    """Return every route ``routes`` serve, an included router's in its place, prefixed.

    FastAPI copied an included router's routes into the app's list; a newer one keeps the
    router as one entry there, which its ``iter_route_contexts`` opens into routes that
    match with their full path.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(routes)
    return list(iter_route_contexts(routes))


def _catch_all(route: Any) -> bool:
    """Say whether this is a front end's fallback: a mount at "/", or a route at "/{x:path}".

    scaffold's routes go before one on purpose and take only its "/" (see :mod:`scaffold.edit.
    routes`): every other path it serves is a file of the front end, which none of ours is.
    """
    path = getattr(route, "path", None)
    if _kind(route) == "Mount":
        return path == ""
    return isinstance(path, str) and re.fullmatch(r"/{[^}:]+:path}", path) is not None


def _requests(route: Any) -> list[tuple[str, str, str]]:
    """Return (scope type, path, method) of the requests that show what ``route`` serves."""
    kind, path = _kind(route), getattr(route, "path", None)
    if not isinstance(path, str) or kind == "Host":
        return []  # a Host answers by the Host header: no path of its own to compare
    if kind == "Mount":
        return [("http", f"{_concrete(path)}/scaffold-probe" if path else "/", "GET")]
    if "WebSocket" in kind:
        return [("websocket", _concrete(path), "WEBSOCKET")]
    methods = set(getattr(route, "methods", None) or ["GET"])
    if "GET" in methods:
        methods.discard("HEAD")  # Starlette's own companion of GET, not a route of its own
    return [("http", _concrete(path), method) for method in sorted(methods)]


def _serves(route: Any, request: tuple[str, str, str]) -> bool:
    """Say whether ``route`` would answer ``request`` were it the only route."""
    from starlette.routing import Match

    kind, path, method = request
    if _kind(route) == "Host" or (_catch_all(route) and path != "/"):
        return False
    try:
        match, _ = route.matches(_scope(kind, path, method))
    except Exception:  # a route class of the owner's that wants more of the scope
        return False
    return bool(match == Match.FULL)


def _label(route: Any) -> str:
    """Name a route of scaffold's as the refusal does: "GET /", "mount at /static"."""
    path = getattr(route, "path", "")
    if _kind(route) == "Mount":
        return f"mount at {path or '/'}"
    kind, _, method = (_requests(route) or [("http", path, "GET")])[0]
    return f"{'WEBSOCKET' if kind == 'websocket' else method} {path}"


def _owners(route: Any, root: str) -> str:
    """Name a route of the owner's by its function and where it is, else as Starlette shows it."""
    import os

    endpoint = getattr(route, "endpoint", None)
    code = getattr(endpoint, "__code__", None)
    if endpoint is None or code is None:
        return _describe(route)
    where = os.path.relpath(code.co_filename, root)
    if where.startswith(".."):  # FastAPI's own (its docs): not a file of the project
        return _describe(route)
    return f"{endpoint.__name__} ({where.replace(os.sep, '/')}:{code.co_firstlineno})"


def _sides(app: Any, request: dict[str, Any]) -> tuple[list[tuple[str, Any]], list[Any]]:
    """Split the app's routes into scaffold's, each with its router or mount, and the owner's."""
    refs: dict[Any, str] = {}
    for ref in request["routers"]:
        module, _, name = ref.partition(":")
        for route in _flat(getattr(importlib.import_module(module), name).routes):
            if getattr(route, "endpoint", None) is not None:
                refs[route.endpoint] = ref
    mounts = {path.rstrip("/"): path for path in request["mounts"]}
    ours: list[tuple[str, Any]] = []
    theirs: list[Any] = []
    for route in _flat(app.router.routes):
        endpoint = getattr(route, "endpoint", None)
        if endpoint is not None and endpoint in refs:
            ours.append((refs[endpoint], route))
        elif _kind(route) == "Mount" and getattr(route, "path", None) in mounts:
            ours.append((mounts[route.path], route))
        else:
            theirs.append(route)
    return ours, theirs


def _taken(
    app: Any, request: dict[str, Any], ours: list[tuple[str, Any]], theirs: list[Any]
) -> list[dict[str, str]]:
    """Return each request a route of scaffold's and one of the owner's both serve.

    Whichever the app dispatches it to, one of the two never answers it: the owner's when
    scaffold's comes first (their routes registered after scaffold's include, from another
    module), scaffold's otherwise.
    """
    endpoints = {getattr(route, "endpoint", None) for _, route in ours} - {None}
    mounts = [route for _, route in ours if _kind(route) == "Mount"]
    taken = []
    for ref, mine in ours:
        for other in theirs:
            shared = [r for r in _requests(mine) if _serves(other, r)] or [
                r for r in _requests(other) if _serves(mine, r)
            ]
            if not shared:
                continue
            kind, path, method = shared[0]
            first = _first_match(app, _scope(kind, path, method))
            ours_first = getattr(first, "endpoint", None) in endpoints or any(
                first is mount or getattr(first, "original_route", None) is mount
                for mount in mounts
            )
            taken.append(
                {
                    "ref": ref,
                    "route": _label(mine),
                    "request": f"{method} {path}",
                    "owner": _owners(other, request["root"]),
                    "first": "scaffold" if ours_first else "owner",
                }
            )
    return taken


def _sample(route: Any) -> dict[str, str]:
    """Return arguments ``url_path_for`` takes for the route: "x" each, "1" for numbers."""
    convertors = getattr(route, "param_convertors", None) or {}
    return {
        name: "x" if type(convertor).__name__ in ("StringConvertor", "PathConvertor") else "1"
        for name, convertor in convertors.items()
    }


def _path_for(router: Any, name: str, arguments: dict[str, str]) -> str:
    try:
        return str(router.url_path_for(name, **arguments))
    except Exception:  # no route of that name takes these arguments
        return ""


def _named_alike(
    app: Any, request: dict[str, Any], ours: list[tuple[str, Any]], theirs: list[Any]
) -> list[dict[str, str]]:
    """Return each route name scaffold's and the owner's share, with the same parameters.

    ``url_path_for(name, ...)`` (and a template's ``url_for``) returns the first route of that
    name in the app: one of the two changes meaning without an error.
    """
    named = []
    for ref, mine in ours:
        name, arguments = getattr(mine, "name", None), _sample(mine)
        for other in theirs:
            if not name or getattr(other, "name", None) != name or _sample(other) != arguments:
                continue
            if not _named_on_purpose(mine) and not _named_on_purpose(other):
                continue  # two functions called alike (health): no one asked for that name
            named.append(
                {
                    "ref": ref,
                    "route": _label(mine),
                    "name": name,
                    "owner": _owners(other, request["root"]),
                    "arguments": ", ".join(f"{k}={v!r}" for k, v in arguments.items()),
                    "now": _path_for(app, name, arguments),
                    "ours": _path_for(mine, name, arguments),
                    "theirs": _path_for(other, name, arguments),
                }
            )
    return named


def _named_on_purpose(route: Any) -> bool:
    """Say whether a route's name was chosen (``name="static"``), not its function's name.

    A route is named after its endpoint unless told otherwise; two endpoints that happen to be
    called alike are common (``health``, ``index``) and matter only to a ``url_path_for`` of
    that name, which nobody writes for a name they did not choose.
    """
    endpoint = getattr(route, "endpoint", None)
    if endpoint is None:  # a mount: its name is given, or it has none
        return True
    # as Starlette names a route by default: its function's name, else its class's
    default = getattr(endpoint, "__name__", type(endpoint).__name__)
    return getattr(route, "name", None) != default


def _uninstalled(requirements: list[str]) -> list[str]:
    """Return the requirements no distribution of this environment provides."""
    from importlib import metadata

    absent = []
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        try:
            metadata.distribution(name.group(0) if name else requirement)
        except metadata.PackageNotFoundError:
            absent.append(requirement)
    return absent


def main() -> None:
    """Import the app named in ``argv[1]`` (JSON) and print what it serves, as JSON."""
    request = json.loads(sys.argv[1])
    for folder in (request["root"], request["source_root"]):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    try:
        module = importlib.import_module(request["module"])
    except Exception as error:  # reported, with what the environment lacks
        lines = str(error).splitlines()
        failed = {
            "error": f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": "),
            "uninstalled": _uninstalled(request.get("requirements", [])),
        }
        print(json.dumps(failed))
        return
    name = request["app"]
    # "create_app()": a factory another module calls; building the app is what that module does
    app = getattr(module, name[:-2])() if name.endswith("()") else getattr(module, name)
    app.openapi()  # an owner's operation-id or schema hook must still work with our routes
    _stop_handlers()
    problems = []
    for ref in request["routers"]:
        problems += _router_problems(app, ref)
    for path in request["mounts"]:
        problems += _mount_problems(app, path)
    routes = [
        {"kind": type(r).__name__, "path": getattr(r, "path", ""), "name": getattr(r, "name", None)}
        for r in app.router.routes
    ]
    ours, theirs = _sides(app, request)
    answer = {
        "routes": routes,
        "unreachable": problems,
        "taken": _taken(app, request, ours, theirs),
        "named": _named_alike(app, request, ours, theirs),
        "file": module.__file__,
    }
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
