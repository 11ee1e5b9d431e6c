"""The probe :mod:`scaffold.verify` runs in a project's own Python (a script, not imported there).

It imports the app from the staged copy, builds its OpenAPI schema, lists its routes, and for
each route scaffold added asks the app's own router which route it dispatches that path to.
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


def _describe(route: Any) -> str:  # any route class of any Starlette
    methods = sorted(getattr(route, "methods", None) or [])
    name = getattr(route, "name", None)
    path = getattr(route, "path", "")
    kind = type(route).__name__
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
    print(json.dumps({"routes": routes, "unreachable": problems, "file": module.__file__}))


if __name__ == "__main__":
    main()
