"""Errors that scaffold reports to its users.

Every error a user can cause derives from one root, so the CLI has one boundary::

    ScaffoldError                 exit 2 unless a subclass says otherwise
    ├── SpecError                 a choice is invalid (name, option, answers file)
    │   └── OptionValueError      an option's value does not fit its blueprint (names which)
    ├── BlueprintError            a blueprint is unknown, malformed or cannot be combined
    │   ├── ResolutionError       requires / conflicts cannot be satisfied
    │   └── TrustError            a blueprint runs code and its source is not trusted (exit 3)
    ├── DestinationError          the target folder cannot be written as asked
    └── FormatError               ruff could not format the generated code (exit 1: our bug)

A ``ScaffoldError`` carries a one-line message that says what to do; the CLI prints it in red
and exits with ``exit_code``.
"""

from __future__ import annotations


class ScaffoldError(Exception):
    """The root of every error scaffold reports to a user."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        """Keep the message and an optional hint saying what to do next."""
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        """Render the one-line message, followed by the hint when there is one."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


class SpecError(ScaffoldError):
    """A project choice is invalid: name, option value, answers file."""


class OptionValueError(SpecError):
    """An option's value does not fit its blueprint: ``option`` names it (``opt.flag``).

    Each command sets a value its own way (``new``/``add`` with ``-O``, ``update`` with ``-O``
    on the project's recorded answers), so the command can name the exact one.
    """

    def __init__(self, message: str, *, option: str, hint: str | None = None) -> None:
        """Keep the message, the option as ``BLUEPRINT.KEY`` and the hint."""
        super().__init__(message, hint=hint)
        self.option = option


class BlueprintError(ScaffoldError):
    """A blueprint is unknown, malformed, or renders something unsafe."""


class ResolutionError(BlueprintError):
    """The chosen blueprints cannot be combined (a conflict or a missing requirement)."""


class TrustError(BlueprintError):
    """A blueprint wants to run code (copier tasks, jinja extensions) from an untrusted source."""

    exit_code = 3


class DestinationError(ScaffoldError):
    """The destination cannot be written as asked (exists and is not empty, not writable)."""


class FormatError(ScaffoldError):
    """ruff failed on the generated tree: a bug in a blueprint, not in the user's input."""

    exit_code = 1
