"""Verify an adopted change before writing it: the app imports and scaffold's routes answer.

An edit that parses is not an app that runs: an owner's ``generate_unique_id_function`` may
read ``route.tags[0]``, a catch-all ``app.mount("/", ...)`` or the owner's own ``GET /`` may
stand in front of a blueprint's route. So the staged result (a temporary copy of the project
with the plan's files in place; nothing is written to the project) is imported in the
project's own environment, in a subprocess, and its routes are listed:

* the interpreter is the project's virtual environment (``.venv`` or ``venv``), else
  ``uv run`` for a project uv manages (``uv.lock``), else Poetry's environment for a project
  with ``poetry.lock``; without one, the command goes on and says that nothing was verified.
  Each is looked for first in the folder the app runs from (``backend/`` of a repository that
  keeps its app there, see :func:`app_folder`), which is also the probe's working directory,
  and the copy sees its parent folder's entries (``../.env``) through links;
* an import error (or an OpenAPI schema that no longer builds) aborts the command with exit 1
  and the traceback's exception line, unless the app fails the same way before the change (then the
  owner's environment cannot import it, and the note says so);
* each route of a router scaffold includes, and each path scaffold mounts, must be the first
  one Starlette matches for its path: otherwise the command aborts, naming the owner's route
  that answers instead;
* no route of the owner's may serve a request one of scaffold's serves, whichever comes first:
  a route registered on the app by another module the app module imports at its end comes
  after scaffold's, and scaffold's would take its path silently (a front end's fallback, a
  mount at "/" or a route at "/{x:path}", counts only for "/": scaffold's go before it);
* no route of scaffold's may share its route name with one of the owner's (``url_path_for``
  and a template's ``url_for`` find only the first of them).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold.errors import ScaffoldError
from scaffold.processes import run_to_end

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scaffold.record import Adopted

IMPORT_TIMEOUT = 120  # seconds; a real app's import may start a database driver or read files
_COPY_SKIPPED = frozenset(
    {".git", ".hg", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)
_VENVS = (".venv", "venv")
_PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt")
_PARENT_LINKS = 256  # at most this many entries of the project's parent are linked; else none


class VerifyError(ScaffoldError):
    """The changed app does not import, or a route scaffold adds would never answer."""

    exit_code = 1


@dataclass(frozen=True)
class Interpreter:
    """How to run Python in the project's own environment."""

    command: tuple[str, ...]  # followed by the probe's arguments
    described: str  # for notes: ".venv/bin/python", "uv run"


@dataclass(frozen=True)
class Expected:
    """What scaffold adds to the app and expects to answer."""

    routers: tuple[str, ...] = ()  # "package.module:router"
    mounts: tuple[str, ...] = ()  # mounted paths
    requirements: tuple[str, ...] = ()  # the requirements the changed app has


@dataclass
class Verified:
    """What the probe found, and the notes for the plan."""

    routes: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _venv_python(root: Path) -> Path | None:
    for name in _VENVS:
        folder = root / name
        if (folder / "pyvenv.cfg").is_file():
            for candidate in (folder / "bin" / "python", folder / "Scripts" / "python.exe"):
                if candidate.exists():
                    return candidate
    return None


def app_folder(root: Path, adopted: Adopted) -> str:
    """Return the folder the app is run from, relative to ``root`` ("" for the root itself).

    That is the nearest folder above the app's source root holding a virtual environment or a
    project file: ``backend/`` when the repository keeps its FastAPI app there (its ``.venv``,
    its ``pyproject.toml``, settings reading ``../.env``), else the project's root.
    """
    for relative in adopted.project_folders():
        folder = root / relative
        if _venv_python(folder) is not None or any(
            (folder / name).is_file() for name in _PROJECT_FILES
        ):
            return relative
    return ""


def find_interpreter(root: Path, folder: str = "") -> Interpreter | None:
    """Return the project's own Python, or None when the project names none.

    ``folder`` (see :func:`app_folder`) is searched before the root, for each kind in turn.
    """
    places = [root / folder, root] if folder else [root]
    for place in places:
        python = _venv_python(place)
        if python is not None:
            return Interpreter((str(python.absolute()),), python.relative_to(root).as_posix())
    uv = shutil.which("uv")
    if uv is not None and any((place / "uv.lock").is_file() for place in places):
        # Run in the staged copy (cwd), whose own .venv uv creates there: not in the project.
        return Interpreter((uv, "run", "--frozen", "--quiet", "python"), "uv run")
    poetry = shutil.which("poetry")
    for place in places:
        if poetry is None or not (place / "poetry.lock").is_file():
            continue
        found = subprocess.run(
            [poetry, "env", "info", "--path"],
            cwd=place,
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT,
            check=False,
        )
        env = Path(found.stdout.strip())
        if found.returncode == 0 and (env / "bin" / "python").exists():
            return Interpreter((str(env / "bin" / "python"),), "Poetry's environment")
    return None


def copy_regular(source: str, target: str) -> None:
    """Copy a regular file; a FIFO, socket or device stays behind (opening one could block)."""
    import stat

    if stat.S_ISREG(os.lstat(source).st_mode):
        shutil.copy2(source, target)


def ignored_in_copy(folder: str, names: list[str]) -> set[str]:
    """Name what a copy of the project leaves out: VCS, virtual environments, caches."""
    here = Path(folder)
    return {
        name
        for name in names
        if name in _COPY_SKIPPED or name.startswith(".scaffold-") or name in _VENVS
        if (here / name).is_dir()
    } | {name for name in names if (here / name / "pyvenv.cfg").is_file()}


def _stage(root: Path, changes: Mapping[str, bytes | None], into: Path) -> Path:
    """Copy the project into ``into/<its name>``, with the plan's files in place; return it.

    The entries of the project's parent folder are linked beside the copy, so that an app
    reading ``../.env`` (a repository keeping its backend in a folder of its own) reads there
    what it reads when it runs.
    """
    into.mkdir(parents=True)
    parent = root.absolute().parent
    try:
        siblings = (
            []
            if parent == root.absolute()
            else list(
                itertools.islice(
                    (entry for entry in parent.iterdir() if entry.name != root.absolute().name),
                    _PARENT_LINKS + 1,
                )
            )
        )
    except OSError:
        siblings = []
    if len(siblings) <= _PARENT_LINKS:
        for entry in siblings:
            (into / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    staged = into / (root.absolute().name or "project")
    shutil.copytree(root, staged, ignore=ignored_in_copy, symlinks=True, copy_function=copy_regular)
    for relative, content in changes.items():
        target = staged / relative
        if content is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return staged


def _probe(
    interpreter: Interpreter, folder: Path, adopted: Adopted, expected: Expected, cwd: str = ""
) -> dict[str, object]:
    """Import the app in ``folder`` with the project's Python, from ``cwd`` in it.

    Return what the probe says.
    """
    module = adopted.module.removesuffix(".py").removesuffix("/__init__")
    source_root = adopted.package_dir[: -len(adopted.package)].rstrip("/")
    dotted = module.removeprefix(f"{source_root}/") if source_root else module
    request = {
        "root": str(folder),
        "source_root": str(folder / source_root) if source_root else str(folder),
        "module": dotted.replace("/", "."),
        "app": adopted.app,
        "routers": list(expected.routers),
        "mounts": list(expected.mounts),
        "requirements": list(expected.requirements),
    }
    script = Path(__file__).with_name("verify_probe.py").read_text(encoding="utf-8")
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("VIRTUAL_ENV", None)  # uv run picks the staged copy's environment
    try:
        completed = run_to_end(
            [*interpreter.command, "-c", script, json.dumps(request)],
            cwd=folder / cwd,
            timeout=IMPORT_TIMEOUT,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"importing the app took longer than {IMPORT_TIMEOUT} s"}
    except OSError as error:
        return {"error": f"cannot run {interpreter.described}: {error.strerror or error}"}
    lines = completed.stdout.strip().splitlines()
    if completed.returncode == 0 and lines:
        answer: dict[str, object] = json.loads(lines[-1])
        return answer
    return {"error": exception_line(completed.stderr)}


def exception_line(stderr: str) -> str:
    """Return the line naming the exception of the last traceback in ``stderr``.

    Not simply the last line: pydantic's ``ValidationError`` (a settings class missing its
    variables) ends with a link to its documentation, and a note or a chained message may
    follow the exception's first line.
    """
    lines = stderr.strip().splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    if starts:
        for line in lines[starts[-1] + 1 :]:
            if line.strip() and not line[0].isspace():
                return line.strip()
    return (lines or ["no output"])[-1]


def _unreachable_message(problem: Mapping[str, object], module: str) -> str:
    route, blocker = problem["route"], problem["blocker"]
    blueprint = problem.get("blueprint", "")
    return (
        f"scaffold's {route} ({blueprint}) would never answer: {blocker} in the app of "
        f"{module} answers that path first"
    )


def _listed(answer: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    found = answer.get(key)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _taken_message(problem: Mapping[str, object]) -> str:
    ours = f"scaffold's {problem['route']} ({problem['blueprint']})"
    if problem.get("first") == "scaffold":  # the owner's route would silently stop answering
        return f"{ours} would take {problem['request']} from {problem['owner']}"
    return f"{ours} would not answer {problem['request']}: {problem['owner']} answers it first"


def _named_message(problem: Mapping[str, object]) -> str:
    ours = f"scaffold's {problem['route']} ({problem['blueprint']})"
    name, arguments = problem["name"], problem["arguments"]
    call = f"url_path_for({name!r}{', ' if arguments else ''}{arguments})"
    if problem["now"] == problem["ours"]:
        return (
            f"{ours} would take the route name {name!r} from {problem['owner']}: app.{call} "
            f"would give {problem['ours']} instead of {problem['theirs']}"
        )
    return (
        f"{ours} would share the route name {name!r} with {problem['owner']}, which keeps it: "
        f"scaffold's {call} would give {problem['theirs']}, not {problem['ours']}"
    )


def _refuse_clashes(answer: Mapping[str, object], module: str, owners: Mapping[str, str]) -> None:
    """Raise when a route of scaffold's and one of the owner's meet, naming both.

    A path both serve, in either order (one of them never answers it), or a route name both
    use (``url_path_for`` finds one of them).
    """

    def owned(problem: Mapping[str, object]) -> dict[str, object]:
        return {**problem, "blueprint": owners.get(str(problem.get("ref", "")), "")}

    unreachable = _listed(answer, "unreachable")
    messages = [_unreachable_message(owned(problem), module) for problem in unreachable]
    said = {(p.get("ref"), p.get("route")) for p in unreachable}
    messages += [
        _taken_message(owned(problem))
        for problem in _listed(answer, "taken")
        if problem.get("first") == "scaffold"
        or (problem.get("ref"), problem.get("route")) not in said
    ]
    routes = len(messages)
    messages += [_named_message(owned(problem)) for problem in _listed(answer, "named")]
    if messages:
        msg = "; ".join(dict.fromkeys(messages)) + "; nothing was written"
        hint = "move your route or mount" if routes else "rename yours"
        raise VerifyError(msg, hint=f"{hint}, or leave that blueprint out")


def verify_change(
    root: Path,
    changes: Mapping[str, bytes | None],
    adopted: Adopted,
    expected: Expected,
    *,
    blueprints: Mapping[str, str] | None = None,
) -> Verified:
    """Import the changed app in the project's environment; raise :class:`VerifyError`.

    ``blueprints`` maps a router reference or a mounted path to the blueprint adding it.
    """
    folder = app_folder(root, adopted)
    interpreter = find_interpreter(root, folder)
    if interpreter is None:
        note = (
            "the app was not imported to verify the change: the project has no .venv (nor "
            "uv.lock with uv, nor poetry.lock with Poetry); create .venv to have scaffold check "
            "that the app still imports and that its new routes answer"
        )
        return Verified(notes=[note])
    # ignore_cleanup_errors: an app that is still writing when Ctrl-C lands does not turn the
    # interrupt into an error about its temporary folder.
    with tempfile.TemporaryDirectory(
        prefix="scaffold-verify-", ignore_cleanup_errors=True
    ) as temporary:
        staged = _stage(root, changes, Path(temporary) / "staged")
        answer = _probe(interpreter, staged, adopted, expected, folder)
        if "error" in answer:
            before = _refuse_or_note(
                root, answer, adopted, interpreter, temporary=Path(temporary), folder=folder
            )
            return Verified(
                notes=[
                    f"the app did not import with {interpreter.described} before this change "
                    f"either ({before}), so scaffold could not verify it"
                ]
            )
    _refuse_clashes(answer, adopted.module, blueprints or {})
    routes = answer.get("routes")
    listed = routes if isinstance(routes, list) else []
    note = f"verified with {interpreter.described}: the app imports and serves {len(listed)} routes"
    return Verified(routes=listed, notes=[note])


def _refuse_or_note(
    root: Path,
    answer: Mapping[str, object],
    adopted: Adopted,
    interpreter: Interpreter,
    *,
    temporary: Path,
    folder: str,
) -> str:
    """Raise for a staged app that fails where the unchanged one imports; else say why not."""
    unchanged = _stage(root, {}, temporary / "unchanged")
    before = _probe(interpreter, unchanged, adopted, Expected(), folder)
    if "error" in before:
        return str(before["error"])  # broken before scaffold touched it: say so, do not block
    uninstalled = answer.get("uninstalled")
    if isinstance(uninstalled, list) and uninstalled:
        listed = ", ".join(str(item) for item in uninstalled)
        msg = (
            f"after this change the app in {adopted.module} no longer imports with "
            f"{interpreter.described} ({answer['error']}), which lacks requirements the "
            f"change needs: {listed}; nothing was written"
        )
        command = " ".join(f"'{item}'" for item in uninstalled)
        hint = f"install them there (pip install {command}), then run the command again"
        raise VerifyError(msg, hint=hint)
    msg = (
        f"after this change the app in {adopted.module} no longer imports with "
        f"{interpreter.described}: {answer['error']}; nothing was written"
    )
    raise VerifyError(msg, hint="this is a bug in scaffold or a clash with your code; report it")
