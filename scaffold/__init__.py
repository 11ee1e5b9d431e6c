"""scaffold: create and evolve FastAPI projects from composable blueprints.

The public surface is small on purpose: :func:`generate` and :class:`ProjectSpec` for programs,
``scaffold`` on the command line for people. Everything else is an implementation detail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ProjectSpec", "ScaffoldError", "__version__", "generate"]

if TYPE_CHECKING:
    from scaffold.errors import ScaffoldError
    from scaffold.models import ProjectSpec
    from scaffold.pipeline import generate


def __getattr__(name: str) -> Any:
    """Import the public names lazily so that ``import scaffold`` stays cheap."""
    if name == "generate":
        from scaffold.pipeline import generate

        return generate
    if name == "ProjectSpec":
        from scaffold.models import ProjectSpec

        return ProjectSpec
    if name == "ScaffoldError":
        from scaffold.errors import ScaffoldError

        return ScaffoldError
    msg = f"module 'scaffold' has no attribute {name!r}"
    raise AttributeError(msg)
