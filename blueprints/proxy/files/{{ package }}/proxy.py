"""Running behind a reverse proxy that serves the app under a path prefix.

The server (uvicorn, started by `fastapi run`) applies the proxy's `X-Forwarded-Proto` and
`X-Forwarded-For` headers for the addresses in `--forwarded-allow-ips`; this module applies
the prefix, from the `root_path` setting, as uvicorn's `--root-path` would.
"""

from typing import Protocol

from starlette.types import ASGIApp, Receive, Scope, Send


class RootPathMiddleware:
    """Serve the app under `root_path`, whether or not the proxy strips the prefix.

    The ASGI scope then carries the public path (`/api/v1/items`) and its `root_path`, from
    which Starlette routes (`/items`) and builds URLs (`url_for`, the docs' `openapi.json`).
    """

    def __init__(self, app: ASGIApp, root_path: str) -> None:
        """Wrap `app`; `root_path` is '' or starts with '/' and does not end with one."""
        self.app = app
        self.root_path = root_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Put the prefix in the scope of HTTP and WebSocket requests."""
        if scope["type"] in {"http", "websocket"}:
            scope = dict(scope)
            path: str = scope["path"]
            if path != self.root_path and not path.startswith(self.root_path + "/"):
                scope["path"] = self.root_path + path
                raw_path = scope.get("raw_path")
                if raw_path is not None:
                    scope["raw_path"] = self.root_path.encode("ascii") + raw_path
            scope["root_path"] = self.root_path
        await self.app(scope, receive, send)


class RootPathSettings(Protocol):
    """The settings `check_root_path` reads."""

    root_path: str


def check_root_path(settings: RootPathSettings) -> None:
    """Refuse a prefix that would not join paths: it must be '' or '/name', no trailing '/'."""
    root_path = settings.root_path
    if root_path and (not root_path.startswith("/") or root_path.endswith("/")):
        msg = f"root_path must be '' or start with '/' and not end with one, not {root_path!r}"
        raise ValueError(msg)
