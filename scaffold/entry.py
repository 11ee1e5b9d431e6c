"""The console script's entry point.

It runs the CLI inside a guard, so that Ctrl-C during start-up (before the CLI's own error
boundary exists) exits 130 with one line instead of a traceback.
"""

from __future__ import annotations

import gc
import signal
import sys

EXIT_INTERRUPTED = 130


# The signals that have stopped this run. A library can catch the KeyboardInterrupt a signal
# raises inside it and raise its own error instead (pydantic-core, building a model's schema
# while Ctrl-C lands, raises "SchemaError: ... KeyboardInterrupt"): the boundary then still
# knows the run was interrupted, and says so instead of showing a traceback.
_RECEIVED: list[int] = []


def _stop(signum: int, _frame: object) -> None:
    _RECEIVED.append(signum)
    raise KeyboardInterrupt


def was_interrupted() -> bool:
    """Say whether Ctrl-C (or SIGTERM, SIGHUP) has stopped this run."""
    return bool(_RECEIVED)


def interrupted_outcome() -> str:
    """Say what a Ctrl-C leaves: "nothing was written", or what the writer had committed.

    Read from the writer's module only if it was imported: an interrupt during start-up has
    written nothing, and importing now would only delay the exit.
    """
    writer = sys.modules.get("scaffold.apply")
    written: list[str] = writer.written_so_far() if writer is not None else []
    return "; ".join(written) if written else "nothing was written"


def _redeliver_interrupt(unraisable: sys.UnraisableHookArgs) -> None:
    """Let a Ctrl-C that landed where Python cannot raise it stop the run all the same.

    A signal that arrives inside a weakref callback or a finalizer (importlib's module locks
    have both) becomes an "Exception ignored in ..." traceback on stderr and is lost. Sending it
    to the main thread again raises it at the next instruction, through whatever handler is set
    then (the writer's, when it is holding Ctrl-C back).
    """
    if isinstance(unraisable.exc_value, KeyboardInterrupt):
        import _thread

        _thread.interrupt_main()
        return
    sys.__unraisablehook__(unraisable)


def main() -> None:
    """Run the ``scaffold`` command.

    SIGTERM (a CI job cancelled, a service stopped) and SIGHUP (a closed terminal) stop scaffold
    as Ctrl-C does: cleanly, the disk left consistent, instead of killing it mid-write.
    """
    # A command lives well under a second and builds many long-lived objects while importing
    # typer, pydantic and jinja2: collecting the young generation every 700 allocations costs
    # ~20 ms of that for nothing. A higher threshold still collects in long runs.
    gc.set_threshold(100_000, 50, 100)
    sys.unraisablehook = _redeliver_interrupt
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when ignored
        signal.signal(signal.SIGINT, _stop)
    try:
        from scaffold.cli import main as cli_main

        # Interrupts inside a command are reported by the CLI's own boundary; one that gets
        # here came while Typer was still building the command, before anything was written.
        cli_main()
    except KeyboardInterrupt:
        # Usually before anything was written; but the signal can also land after the CLI's
        # boundary, on the way out of a command that wrote.
        sys.stderr.write(f"error: interrupted; {interrupted_outcome()}\n")
        sys.exit(EXIT_INTERRUPTED)
    except Exception:
        if not was_interrupted():
            raise
        sys.stderr.write(f"error: interrupted; {interrupted_outcome()}\n")
        sys.exit(EXIT_INTERRUPTED)
    finally:
        # The process is about to exit: a last garbage collection of every module's objects
        # only costs time (~25 ms here), so move them out of the collector's reach.
        gc.freeze()
