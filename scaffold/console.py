"""The one rich Console scaffold writes through.

Human output goes to stderr so that ``--json`` can own stdout; created lazily because importing
rich's console costs tens of milliseconds that ``--version`` and ``--json`` should not pay.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


@cache
def err_console() -> Console:
    """Return the console for human-facing output (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@cache
def out_console() -> Console:
    """Return the console for primary output (stdout), used by listings."""
    from rich.console import Console

    return Console(highlight=False)
