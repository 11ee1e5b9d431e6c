"""The CLI's one error boundary: scaffold's errors and Ctrl-C become one line and an exit code.

Every command, the blueprint-authoring ones too, runs inside :func:`error_boundary`, so a user
sees ``error: <what to do>`` on stderr (or a JSON ``{"error": ...}`` with ``--json``) and the
error's exit code, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from collections.abc import Iterator

EXIT_INTERRUPTED = 130


def fail(message: str, exit_code: int, *, as_json: bool) -> NoReturn:
    """Print ``error: message`` (and the JSON error with ``as_json``) and exit."""
    from rich.markup import escape

    from scaffold.console import err_console

    if as_json:
        typer.echo(json.dumps({"error": {"message": message, "exit_code": exit_code}}))
    # escape: a message quotes user input ('x[/]'), which must not be read as rich markup.
    err_console().print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(exit_code)


@contextlib.contextmanager
def error_boundary(*, as_json: bool) -> Iterator[None]:
    """Turn scaffold's errors and Ctrl-C into one line and an exit code."""
    import sys

    from scaffold.errors import ScaffoldError

    if (writer := sys.modules.get("scaffold.apply")) is not None:
        writer.forget_written()  # a command earlier in this process (the tests) wrote
    try:
        yield
    except ScaffoldError as error:
        fail(str(error), error.exit_code, as_json=as_json)
    except KeyboardInterrupt:
        from scaffold.entry import interrupted_outcome

        fail(f"interrupted; {interrupted_outcome()}", EXIT_INTERRUPTED, as_json=as_json)
    except Exception:
        from scaffold.entry import interrupted_outcome, was_interrupted

        if not was_interrupted():  # a bug: Typer shows its traceback
            raise
        # Ctrl-C landed in a library that turned it into an error of its own
        fail(f"interrupted; {interrupted_outcome()}", EXIT_INTERRUPTED, as_json=as_json)
