"""The child process that runs copier once: ``python -m scaffold.copier_worker``.

It reads one JSON request on stdin, calls copier's ``run_copy`` into the request's destination,
and prints one JSON document on stdout: where the answers file landed and the rendered
``_message_before_copy`` / ``_message_after_copy``. Exit codes: 0 done, 3 the template runs
code and was not trusted, 1 any other failure (one line on stderr, ``Type: first line``).
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
    """Render the template's messages with the answers, as copier prints them when not quiet."""
    rendered = {}
    for stage in ("before", "after"):
        text = getattr(worker.template, f"message_{stage}_copy", "")
        if text:
            # copier's own renderer: the same environment, answers and _envops as the files.
            with contextlib.suppress(Exception):
                rendered[stage] = worker._render_string(text)
    return rendered


def _run(request: dict[str, Any]) -> dict[str, Any]:
    import copier

    worker = copier.run_copy(
        request["src"],
        request["dst"],
        data=request["data"],
        defaults=True,
        quiet=True,
        unsafe=request["unsafe"],
        skip_tasks=not request["run_tasks"],
        overwrite=True,
        exclude=["blueprint.toml"],
    )
    try:
        answers_file = worker.answers_relpath.as_posix()
    except Exception:  # a template without an answers file at all
        answers_file = ".copier-answers.yml"
    return {"answers_file": answers_file, "messages": _messages(worker)}


def main() -> int:
    """Run copier once, as the child process; see the module docstring for the protocol."""
    _limit_memory()
    request = json.loads(sys.stdin.read())
    from copier.errors import UnsafeTemplateError

    try:
        outcome = _run(request)
    except UnsafeTemplateError as error:
        print(str(error).splitlines()[0], file=sys.stderr)
        return EXIT_UNSAFE
    except MemoryError:
        print("the template needed more memory than allowed", file=sys.stderr)
        return 1
    except Exception as error:  # any copier failure becomes one line for the parent
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(f"{type(error).__name__}: {first}", file=sys.stderr)
        return 1
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
