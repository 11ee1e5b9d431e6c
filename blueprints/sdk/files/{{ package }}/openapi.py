"""The OpenAPI schema, shaped for client generators ("Generating SDKs" in FastAPI's docs).

A generated client names each function after its operation ID. FastAPI's default ID joins the
function name, path and method (`health_health_get`); here it is the route's first tag and its
name (`health-health`, which `@hey-api/openapi-ts` turns into `healthHealth`), so the client's
names stay readable and change only when a route is renamed or re-tagged.
"""

from enum import Enum

from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """Return `TAG-NAME` for a tagged route and `NAME` for one without tags."""
    if not route.tags:
        return route.name
    tag = route.tags[0]
    return f"{tag.value if isinstance(tag, Enum) else tag}-{route.name}"
