"""scaffold: create and evolve FastAPI projects from composable blueprints.

The public surface is small on purpose: :func:`generate` and :class:`ProjectSpec` for programs,
``scaffold`` on the command line for people. Everything else is an implementation detail.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ProjectSpec", "ScaffoldError", "__version__", "generate"]

if TYPE_CHECKING:
    from scaffold.errors import ScaffoldError
    from scaffold.generate import generate
    from scaffold.models import ProjectSpec


def __getattr__(name: str) -> Any:
    """Import the public names lazily so that ``import scaffold`` stays cheap."""
    if name == "generate":
        from scaffold.generate import generate

        return generate
    if name == "ProjectSpec":
        from scaffold.models import ProjectSpec

        return ProjectSpec
    if name == "ScaffoldError":
        from scaffold.errors import ScaffoldError

        return ScaffoldError
    msg = f"module 'scaffold' has no attribute {name!r}"
    raise AttributeError(msg)


class _Package(ModuleType):
    """The ``scaffold`` module; ``scaffold.generate`` stays the function, never the submodule.

    Importing the submodule ``scaffold.generate`` makes the import system bind it here, which
    would shadow the public function of the same name.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "generate" and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
