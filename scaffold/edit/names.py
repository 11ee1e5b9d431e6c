"""The one value every editing module shares: a name an import binds.

It lives apart so that the modules placing imports (:mod:`scaffold.adopted_imports`) and
editing apps (:mod:`scaffold.cst_edit`) do not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImportName:
    """``from module import name``, or ``import name`` when ``module`` is empty."""

    module: str
    name: str

    def __str__(self) -> str:
        """Render the import statement."""
        return f"from {self.module} import {self.name}" if self.module else f"import {self.name}"
