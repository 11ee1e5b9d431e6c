"""The one value every editing module shares: a name an import binds.

It lives apart so that the modules placing imports (:mod:`scaffold.adopted_imports`) and
editing apps (:mod:`scaffold.cst_edit`) do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportName:
    """``from module import name``, or ``import name`` when ``module`` is empty.

    ``alias``: imported ``as alias``, when the owner's module binds ``name`` to something else.
    """

    module: str
    name: str
    alias: str = ""

    @property
    def bound(self) -> str:
        """The name the import binds in the module."""
        return self.alias or self.name

    def __str__(self) -> str:
        """Render the import statement."""
        alias = f" as {self.alias}" if self.alias else ""
        return (
            f"from {self.module} import {self.name}{alias}"
            if self.module
            else (f"import {self.name}{alias}")
        )


# FastAPI re-exports these objects of Starlette's under its own modules: an owner's import from
# either module binds the very object a blueprint imports from the other, so it is reused
# rather than refused as a clash. (Not here: FastAPI's own subclasses of the same names,
# such as HTTPException, UploadFile and BackgroundTasks, which are other objects.)
_SAME_OBJECT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("StaticFiles", ("fastapi.staticfiles", "starlette.staticfiles")),
    ("Jinja2Templates", ("fastapi.templating", "starlette.templating")),
    ("Middleware", ("fastapi.middleware", "starlette.middleware")),
    ("CORSMiddleware", ("fastapi.middleware.cors", "starlette.middleware.cors")),
    ("GZipMiddleware", ("fastapi.middleware.gzip", "starlette.middleware.gzip")),
    (
        "TrustedHostMiddleware",
        ("fastapi.middleware.trustedhost", "starlette.middleware.trustedhost"),
    ),
    (
        "HTTPSRedirectMiddleware",
        ("fastapi.middleware.httpsredirect", "starlette.middleware.httpsredirect"),
    ),
    ("TestClient", ("fastapi.testclient", "starlette.testclient")),
    ("Request", ("fastapi", "fastapi.requests", "starlette.requests")),
    ("HTTPConnection", ("fastapi.requests", "starlette.requests")),
    ("WebSocket", ("fastapi", "fastapi.websockets", "starlette.websockets")),
    ("WebSocketDisconnect", ("fastapi", "fastapi.websockets", "starlette.websockets")),
    ("WebSocketState", ("fastapi.websockets", "starlette.websockets")),
    ("run_in_threadpool", ("fastapi.concurrency", "starlette.concurrency")),
    *(
        (name, ("fastapi.responses", "starlette.responses"))
        for name in (
            "Response",
            "HTMLResponse",
            "JSONResponse",
            "PlainTextResponse",
            "RedirectResponse",
            "StreamingResponse",
            "FileResponse",
        )
    ),
)
_MODULES_OF: dict[str, tuple[frozenset[str], ...]] = {}
for _name, _modules in _SAME_OBJECT:
    _MODULES_OF[_name] = (*_MODULES_OF.get(_name, ()), frozenset(_modules))


def same_object_modules(item: ImportName) -> frozenset[str]:
    """Return the modules ``from M import <item.name>`` gives the same object from (M included)."""
    for modules in _MODULES_OF.get(item.name, ()):
        if item.module in modules:
            return modules
    return frozenset({item.module})


def same_object_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return every (name, modules) group :func:`same_object_modules` knows, for its test."""
    return _SAME_OBJECT
