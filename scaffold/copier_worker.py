"""The child process that runs copier once: ``python -m scaffold.copier_worker``.

It reads one JSON request on stdin, calls copier's ``run_copy`` into the request's destination,
and prints one JSON document on stdout: where the answers file landed and the rendered
``_message_before_copy`` / ``_message_after_copy`` (and their ``_update`` kin). A request with
``"mode": "migrate"`` runs one stage of the template's ``_migrations`` in its destination
instead, as copier's update runs them (:mod:`scaffold.copier_migrate`). Exit codes: 0 done,
3 the template runs code and was not trusted, 1 any other failure (one line on stderr,
``Type: first line``).
Running copier here keeps its imports off scaffold's own path and lets the parent bound it with
a deadline; the memory cap is set here, before copier loads.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

_MEMORY_LIMIT = 2 * 1024**3
EXIT_UNSAFE = 3


def _limit_memory() -> None:
    import resource

    with contextlib.suppress(ValueError, OSError):  # a lower hard limit is already stricter
        resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))


def _messages(worker: Any) -> dict[str, str]:
    """Render the template's messages with the answers, as copier prints them when not quiet.

    Keys: ``before`` / ``after`` (``_message_*_copy``) and ``before_update`` /
    ``after_update`` (``_message_*_update``, what copier prints when it updates a project).
    """
    rendered = {}
    for stage in ("before", "after"):
        for operation, suffix in (("copy", ""), ("update", "_update")):
            text = getattr(worker.template, f"message_{stage}_{operation}", "")
            if text:
                # copier's own renderer: the same environment, answers and _envops as the files.
                with contextlib.suppress(Exception):
                    rendered[stage + suffix] = worker._render_string(text)
    return rendered


def _run(request: dict[str, Any]) -> dict[str, Any]:
    from copier._main import Worker

    rendered: list[str] | None = None  # what the template wrote, listed before its tasks ran
    with Worker(
        src_path=request["src"],
        dst_path=request["dst"],
        data=request["data"],
        defaults=True,
        quiet=True,
        unsafe=request["unsafe"],
        skip_tasks=not request["run_tasks"],
        overwrite=True,
        exclude=["blueprint.toml"],
    ) as worker:
        execute = worker._execute_tasks

        def listed_then_executed(tasks: Any) -> None:
            nonlocal rendered
            rendered = _listing(request["dst"])
            execute(tasks)

        # copier runs the tasks right after rendering: what appears then is the tasks' work
        # (a venv, a lock file, a link), which copier leaves in the project as they made it.
        object.__setattr__(worker, "_execute_tasks", listed_then_executed)
        worker.run_copy()
    try:
        answers_file = worker.answers_relpath.as_posix()
    except Exception:  # a template without an answers file at all
        answers_file = ".copier-answers.yml"
    made = [] if rendered is None else sorted(set(_listing(request["dst"])) - set(rendered))
    return {
        "answers_file": answers_file,
        "messages": _messages(worker),
        "made_by_tasks": made,
        "remembered": _remembered(worker),
    }


def _remembered(worker: Any) -> dict[str, Any]:
    """Return the answers copier would write to an answers file, computed ones included.

    A template without an answers file records none; scaffold records them all the same, so
    that an update renders with the answers the project was made with (a year, a git identity).
    """
    try:
        answers = worker._answers_to_remember()
    except Exception:  # copier's internals moved: the answers file, when there is one, remains
        return {}
    return {str(k): v for k, v in answers.items() if not str(k).startswith("_")}


def _listing(folder: str) -> list[str]:
    """Every file, link and folder under ``folder``, by its relative path."""
    import os

    found = []
    for here, folders, files in os.walk(folder):
        relative = os.path.relpath(here, folder)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        # a link to a folder is listed (as an entry) but not walked into
        found += [prefix + name for name in (*folders, *files)]
    return found


def _migrate(request: dict[str, Any]) -> dict[str, Any]:
    """Run one stage (``before``/``after``) of the new template's ``_migrations`` in ``dst``.

    copier's own code selects and runs them (``Template.migration_tasks``, then the worker's
    ``_execute_tasks``): the same order (as declared), conditions (``when``, by default the
    ``after`` stage), rendering and environment (``$STAGE``, ``$VERSION_FROM``, ...). The checkout
    scaffold renders is a plain folder, which copier gives no version: the versions it reads
    from git are given here, as ``git describe`` names a tag (``v1.2.0``) and as PEP 440.
    """
    from types import SimpleNamespace

    from copier._main import Worker, _operation
    from copier._types import Phase
    from packaging.version import Version

    with Worker(
        src_path=request["src"],
        dst_path=request["dst"],
        data=request["data"],
        defaults=True,
        quiet=True,
        unsafe=True,
        overwrite=True,
    ) as worker:
        template = worker.template
        # cached properties: what copier would have read from the template's git repository
        template.__dict__["commit"] = request["to"]
        template.__dict__["version"] = Version(request["to"])
        old = SimpleNamespace(commit=request["from"], version=Version(request["from"]))
        token = _operation.set("update")
        try:
            if request["stage"] == "after":  # copier renders 'before' with no answers yet
                with Phase.use(Phase.PROMPT):
                    worker._ask()
            tasks = template.migration_tasks(request["stage"], old)  # type: ignore[arg-type]
            with Phase.use(Phase.MIGRATE):
                worker._execute_tasks(tasks)
        finally:
            _operation.reset(token)
    return {"tasks": len(tasks)}


def _one_line(error: Exception) -> str:
    """Say what went wrong in one line; a validation error's first line only counts errors.

    ("1 validation error for Question": the reason and the question are on the lines after.)
    """
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        reasons = []
        for item in error.errors():
            reason = str(item.get("msg", "")).removeprefix("Value error, ")
            given = item.get("input")
            name = given.get("var_name") if isinstance(given, dict) else None
            where = ".".join(str(part) for part in item.get("loc", ()))
            about = f"question '{name}'" if name else f"{error.title} {where}".strip()
            reasons.append(f"{about}: {reason}")
        if reasons:
            return "; ".join(reasons)
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def main() -> int:
    """Run copier once, as the child process; see the module docstring for the protocol."""
    _limit_memory()
    request = json.loads(sys.stdin.read())
    from copier.errors import UnsafeTemplateError

    try:
        outcome = _migrate(request) if request.get("mode") == "migrate" else _run(request)
    except UnsafeTemplateError as error:
        print(str(error).splitlines()[0], file=sys.stderr)
        return EXIT_UNSAFE
    except MemoryError:
        print("the template needed more memory than allowed", file=sys.stderr)
        return 1
    except Exception as error:  # any copier failure becomes one line for the parent
        print(f"{type(error).__name__}: {_one_line(error)}", file=sys.stderr)
        return 1
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
