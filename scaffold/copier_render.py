"""Copier templates as blueprints: a manifest read from ``copier.yml``, files from ``run_copy``.

A folder holding ``copier.yml`` (or ``copier.yaml``) is a blueprint whose files copier renders:
scaffold calls copier's public API, ``run_copy``, with the blueprint's options and the project's
context as answers, so copier's sandbox, its ``_subdirectory``/``_exclude`` handling and its
trust gate (tasks, migrations and jinja extensions need ``unsafe=True``) all apply. The output
lands in a private temporary folder and is read back into scaffold's in-memory tree; nothing
reaches the project before the whole result is known.

copier runs in a child process (``python -m scaffold.copier_worker``) with a deadline and a
memory cap: a hostile template cannot hang scaffold or exhaust the machine, and copier's ~0.3 s
of imports never touch the built-in path. A ``blueprint.toml`` beside ``copier.yml`` adds what
copier has no words for (contributions, requires, verbatim files); without one, the manifest is
made from the questions.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold.copier_config import read_copier_config
from scaffold.copier_worker import EXIT_UNSAFE
from scaffold.errors import BlueprintError, SpecError, TrustError

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

    from scaffold.compose import Selected

COPIER_FILES = ("copier.yml", "copier.yaml")
_TYPES = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "yaml": "yaml",
    "json": "json",
}
_DEFAULT_TIMEOUT = 60.0
_PAIR = 2  # a choice given as [label, value]


def copier_file(folder: Path) -> Path | None:
    """Return the folder's copier.yml, when it is a copier template."""
    for name in COPIER_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def blueprint_name_for(text: str) -> str:
    """Derive a blueprint name from a folder or repository name (``Acme_Svc.git`` -> acme-svc)."""
    stem = Path(text.rstrip("/")).name.removesuffix(".git").lower()
    name = re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-_")
    return name if re.match(r"^[a-z]", name) else f"t-{name}"


def _delimiters(config: dict[str, Any]) -> tuple[str, ...]:
    """Return the strings that open a jinja expression or block here (``_envops``)."""
    envops = config.get("_envops") or {}
    if not isinstance(envops, dict):
        envops = {}
    return (
        str(envops.get("variable_start_string", "{{")),
        str(envops.get("block_start_string", "{%")),
    )


def _choice_values(choices: Any) -> list[Any]:
    """Return the values of copier's choices: a list, [label, value] pairs, or a mapping."""
    if isinstance(choices, dict):
        values = list(choices.values())
    elif isinstance(choices, list):
        values = [c[1] if isinstance(c, list | tuple) and len(c) == _PAIR else c for c in choices]
    else:
        return []
    return [v.get("value") if isinstance(v, dict) else v for v in values]


def _option(question: dict[str, Any], delimiters: tuple[str, ...]) -> dict[str, Any]:
    kind = str(question.get("type", "str"))
    option: dict[str, Any] = {"type": _TYPES.get(kind, "str")}
    values = _choice_values(question.get("choices"))
    if values and all(isinstance(v, bool) for v in values):
        option = {"type": "bool"}  # {"Yes please": true, "No": false} is a yes/no question
    elif values and all(isinstance(v, str) for v in values):
        multiple = question.get("multiselect") is True
        option = {"type": "list[str]" if multiple else "choice", "choices": values}
    elif question.get("multiselect") is True:
        option = {"type": "yaml"}  # a list of numbers or mixed values: copier checks them
    default = question.get("default")
    templated = isinstance(default, str) and any(d in default for d in delimiters)
    if default is not None and not templated:
        if option["type"] in {"yaml", "json"} and isinstance(default, str):
            option["default"] = _structured_default(default)
        else:
            option["default"] = default
    if question.get("help"):
        option["help"] = str(question["help"])
    if question.get("secret") is True:
        option["secret"] = True
    return option


def _structured_default(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def question_names(config: dict[str, Any]) -> list[str]:
    """Return the template's questions (copier.yml's keys that are not ``_settings``)."""
    return [key for key in config if not key.startswith("_")]


def manifest_data(config: dict[str, Any], *, name: str, version: str | None) -> dict[str, Any]:
    """Build the data of a ``BlueprintManifest`` from copier's questions.

    A default that is a template (``{{ project_name | slugify }}``, ``{% if %}``, or in the
    template's own ``_envops`` delimiters) is not a default scaffold knows: copier renders it
    with the other answers, and the answer it computed is recorded from its answers file.
    """
    delimiters = _delimiters(config)
    secret = config.get("_secret_questions") or []  # copier's other way to say secret: true
    options = {}
    for key in question_names(config):
        question = config[key]
        spec = question if isinstance(question, dict) else {"default": question}
        options[key] = _option(spec, delimiters)
        if isinstance(secret, list) and key in secret:
            options[key]["secret"] = True
    message = config.get("_message_before_copy")
    summary = str(message).strip().splitlines()[0] if message else f"copier template {name}"
    return {"name": name, "summary": summary, "version": version or "0", "options": options}


def unsafe_features(config: dict[str, Any], *, run_tasks: bool = True) -> list[str]:
    """List what in copier.yml runs code when copying; copier refuses these unless trusted.

    Tasks do not run at all when ``run_tasks`` is false (a dry run). Migrations are refused
    without trust whenever the template has them, even where none would run now (copier asks
    only then): a trusted source is one whose owner reviewed them, before an update runs them
    (:mod:`scaffold.copier_migrate`).
    """
    features = []
    if config.get("_tasks") and run_tasks:
        features.append("tasks")
    if config.get("_migrations"):
        features.append("migrations")
    if config.get("_jinja_extensions"):
        features.append("jinja extensions")
    return features


@dataclass(frozen=True)
class CopierRun:
    """How this command runs copier: set once by the CLI or the pipeline, read by every render."""

    # the destination as copier would be given it (_copier_conf.dst_path): the path the user
    # gave, when it is relative and stays below the folder scaffold runs in, else its name
    destination: str = "project"
    run_tasks: bool = True  # False for --dry-run: copier's tasks never run then
    show_messages: bool = True  # _message_before_copy / _message_after_copy on stderr
    # the blueprints this command adds or updates (None: every one, as 'new' does); the others
    # are rendered again only to merge, without their tasks: their code does not run
    moving: frozenset[str] | None = None
    # the blueprints the project has already: their templates render as copier's update does
    # (it prints _message_before_update / _message_after_update, not the copy messages)
    existing: frozenset[str] = frozenset()
    # 'new': where what a template's tasks made for the project's own machine (a '.git' from
    # git init, a gitignored .venv or node_modules) waits until the project is written with
    # it, as copier leaves it; never part of the project's tracked files or record
    local_holder: Path | None = None
    local_kept: list[str] = field(default_factory=list)  # in the holder, by project path
    # the templates' messages, printed once the command's renders all succeeded: a command
    # that then refuses must not have said "Done! cd into your project"
    messages: list[str] = field(default_factory=list)

    def runs_tasks_of(self, name: str) -> bool:
        """Say whether the tasks of blueprint ``name`` run in this command."""
        return self.run_tasks and (self.moving is None or name in self.moving)

    def local(self) -> LocalState | None:
        """Return what the templates' tasks made locally, and empty folders, if anything."""
        if self.local_holder is None or not self.local_kept:
            return None
        return LocalState(self.local_holder, tuple(self.local_kept))


@dataclass(frozen=True)
class LocalState:
    """What a new project gets beside its files: each entry is in ``holder`` at its path."""

    holder: Path
    entries: tuple[str, ...]  # ".git", ".venv", "docs/_static/badges"


_RUN: ContextVar[CopierRun | None] = ContextVar("scaffold_copier_run", default=None)


def as_given(destination: Path) -> str:
    """Return the destination as copier would be given it: the user's relative path, else its name.

    ``scaffold new svc`` is ``copier copy TEMPLATE svc``, so ``_copier_conf.dst_path`` is
    ``svc`` (and ``out/svc`` with ``-o out``); an absolute path, or one climbing with ``..``,
    cannot be rebuilt under scaffold's private folder, and gives its last part.
    """
    parts = destination.parts
    if parts and not destination.is_absolute() and ".." not in parts:
        return destination.as_posix()
    return destination.absolute().name


def current_run() -> CopierRun:
    """Return how this command runs copier (defaults outside :func:`copier_run`)."""
    return _RUN.get() or CopierRun()


@contextlib.contextmanager
def copier_run(
    *,
    destination: str,
    dry_run: bool,
    moving: frozenset[str] | None = None,
    existing: frozenset[str] = frozenset(),
    keep_local: bool = False,
) -> Iterator[CopierRun]:
    """Run copier renders in this block for ``destination``; a dry run never runs tasks.

    ``keep_local`` ('new'): what the templates' tasks make for the local machine (a ``.git``,
    a gitignored ``.venv``) is kept for the writer (:meth:`CopierRun.local`) until the block
    ends; other commands leave it out, as they render in a private folder.
    """
    with contextlib.ExitStack() as stack:
        holder = None
        if keep_local and not dry_run:
            holder = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="scaffold-local-"))
            )
        run = CopierRun(
            destination=destination or "project",
            run_tasks=not dry_run,
            moving=moving,
            existing=existing,
            local_holder=holder,
        )
        token = _RUN.set(run)
        try:
            yield run
        finally:
            _RUN.reset(token)
        _print_messages(run.messages)


_MEMO: ContextVar[dict[str, CopierOutput] | None] = ContextVar("scaffold_copier_memo", default=None)


@contextlib.contextmanager
def copier_memo() -> Iterator[None]:
    """Render each template once in this block: the same blueprint and answers, the same output.

    ``new --from`` renders its template alone, to find its app, then with the other
    blueprints; the second render must be the first (its tasks ran once, its messages showed
    once).
    """
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


@dataclass(frozen=True)
class CopierOutput:
    """What copier wrote, the answers it computed (as its answers file records them)."""

    files: dict[str, bytes]
    answers: dict[str, Any]
    messages: dict[str, str]
    replayed: bool  # rendered only to merge others' change, its tasks left out
    skip_if_exists: tuple[str, ...]  # _skip_if_exists: the owner's once they exist
    data: dict[str, Any]  # what copier was given (its migrations render with the same)


def _answers_for(item: Selected, context: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Return the data copier gets: what the user chose, and scaffold's context where it fits.

    An option still at the template's own default is left to copier (it may differ only in
    type, and copier records it the same). The project's name goes to ``project_name`` only when
    the template asks that question without a default of its own; ``project``, ``package`` and
    ``blueprints`` are extra context (never recorded by copier) unless they are questions.
    """
    questions = set(question_names(config))
    options = item.blueprint.manifest.options
    data: dict[str, Any] = {
        key: value
        for key, value in item.options.items()
        if value is not None and (key not in options or value != options[key].default)
    }
    if "project_name" in questions and "project_name" not in data:
        question = config["project_name"]
        if not (isinstance(question, dict) and "default" in question):
            data["project_name"] = context["project"]["name"]
    extra = {
        "project_name": context["project"]["name"],
        "project": context["project"],
        "package": context["package"],
        "blueprints": list(context["blueprints"]),
    }
    return {**{k: v for k, v in extra.items() if k not in questions}, **data}


def render_blueprint(item: Selected, context: dict[str, Any]) -> CopierOutput:
    """Render one selected copier blueprint with its options and the project's context."""
    memo = _MEMO.get()
    if memo is None:
        return _render_blueprint(item, context)
    # What copier is given, but the package: a foundation's app names it only after the
    # template rendered (new --from), and a template is not scaffold's to re-package.
    seen = list(context.get("blueprints", ()))
    key = json.dumps([str(item.blueprint.root), item.name, item.options, seen], default=str)
    if key not in memo:
        memo[key] = _render_blueprint(item, context)
    return memo[key]


def _render_blueprint(item: Selected, context: dict[str, Any]) -> CopierOutput:
    blueprint = item.blueprint
    config_path = copier_file(blueprint.root)
    if config_path is None:  # loaded as copier, so the file was there; it went away since
        msg = f"blueprint '{item.name}' lost its copier.yml"
        raise BlueprintError(msg)
    config = read_copier_config(config_path)
    run = current_run()
    tasks = run.runs_tasks_of(item.name)
    features = unsafe_features(config, run_tasks=tasks)
    if features and not blueprint.trusted:
        # copier's own gate would refuse too (run_copy(unsafe=False)); saying it here is quicker
        # and names the source to trust.
        msg = f"blueprint '{item.name}' from {blueprint.source} runs code ({', '.join(features)})"
        hint = "review it, then pass --trust or list its source under 'trusted' in your config"
        raise TrustError(msg, hint=hint)
    data = _answers_for(item, context, config)
    output = render_copier(
        blueprint.root,
        data,
        trusted=blueprint.trusted,
        origin=item.name,
        run=replace(run, run_tasks=tasks),
        preserve_symlinks=config.get("_preserve_symlinks") is True,
    )
    files = _with_template_origin(output.files, blueprint, output.answers_file)
    answers = _recorded_answers(
        files.get(output.answers_file), item, config, remembered=output.remembered
    )
    if run.show_messages and (run.moving is None or item.name in run.moving):
        run.messages.extend(_chosen(output.messages, updating=item.name in run.existing))
    skip = config.get("_skip_if_exists") or []
    return CopierOutput(
        files=files,
        answers=answers,
        messages=output.messages,
        replayed=run.moving is not None and item.name not in run.moving,
        skip_if_exists=tuple(str(p) for p in skip) if isinstance(skip, list) else (),
        data=data,
    )


def _chosen(messages: dict[str, str], *, updating: bool) -> list[str]:
    """Return the template's messages copier would print: its update messages on an update."""
    keys = [f"{stage}_update" if updating else stage for stage in ("before", "after")]
    return [messages[key].rstrip("\n") for key in keys if messages.get(key, "").strip()]


def _print_messages(messages: list[str]) -> None:
    from scaffold.console import err_console

    for message in messages:
        err_console().print(message, markup=False)


def _with_template_origin(
    files: dict[str, bytes], blueprint: Any, answers_file: str
) -> dict[str, bytes]:
    """Make the answers file name the template as copier would: ``_src_path`` and ``_commit``.

    copier rendered a private checkout, so it wrote that folder as ``_src_path`` and no
    ``_commit``; the project must name the source and tag it came from, so that copier itself
    can still update it.
    """
    content = files.get(answers_file)
    if content is None:
        return files
    text = content.decode("utf-8")
    json_form = _JSON_SRC.search(text)
    if json_form:  # {{ _copier_answers|tojson }}
        commit = f'"_commit": {json.dumps(blueprint.ref)}, ' if blueprint.ref else ""
        text = (
            text[: json_form.start()]
            + f'{commit}"_src_path": {json.dumps(copier_src_path(str(blueprint.source)))}'
            + text[json_form.end() :]
        )
    else:  # {{ _copier_answers|to_nice_yaml }}: one key a line
        text = "".join(_yaml_origin(line, blueprint) for line in text.splitlines(keepends=True))
    return {**files, answers_file: type(content)(text.encode("utf-8"))}


_JSON_SRC = re.compile(r'(?:"_commit":\s*"[^"]*",\s*)?"_src_path":\s*"(?:[^"\\]|\\.)*"')


def _yaml_origin(line: str, blueprint: Any) -> str:
    import yaml

    if line.startswith("_commit:"):
        return ""
    if not line.startswith("_src_path:"):
        return line
    commit = str(yaml.safe_dump({"_commit": blueprint.ref})) if blueprint.ref else ""
    source = copier_src_path(str(blueprint.source))
    return commit + str(yaml.safe_dump({"_src_path": source}, width=10_000))


def copier_src_path(source: str) -> str:
    """Return the ``_src_path`` copier writes for the template scaffold knows as ``source``.

    copier records the template as it was given; given a local repository's path it writes
    that path (``/srv/tpl``), which scaffold spells ``git+/srv/tpl``. The ``git+`` stays where
    copier needs it to see a repository: a bare one whose name does not end in ``.git``
    (copier's ``get_repo`` finds a repository by its work tree or by that suffix). URLs,
    ``gh:`` and folders are spelt as copier writes them already.
    """
    path = source.removeprefix("git+")
    if path == source or not Path(path).is_absolute():  # a URL after git+ is copier's spelling
        return source
    if path.endswith(".git") or (Path(path) / ".git").exists():
        return path
    return source


def _recorded_answers(
    content: bytes | None,
    item: Selected,
    config: dict[str, Any],
    *,
    remembered: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the answers copier remembered (computed ones included), for scaffold's record.

    copier's answers file leaves out secret questions; so does this. Without an answers file,
    what copier would have written to one (``remembered``), else the options as given.
    """
    secret = {key for key, spec in item.blueprint.manifest.options.items() if spec.secret}
    given = {k: v for k, v in item.options.items() if k not in secret and v is not None}
    if content is None:
        computed = {k: v for k, v in (remembered or {}).items() if k not in secret}
        return {**given, **computed}
    import yaml

    try:
        remembered = yaml.safe_load(content.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return given
    if not isinstance(remembered, dict):
        return given
    questions = set(question_names(config))
    computed = {str(k): v for k, v in remembered.items() if k in questions and k not in secret}
    return {**given, **computed}


@dataclass(frozen=True)
class _Rendered:
    files: dict[str, bytes]
    answers_file: str
    messages: dict[str, str]
    remembered: dict[str, Any]  # what copier's answers file would hold, computed answers too


class WorkerTimeoutError(Exception):
    """copier's worker did not finish within the deadline (``SCAFFOLD_RENDER_TIMEOUT``)."""

    def __init__(self, seconds: float) -> None:
        """Remember the deadline, for the message."""
        super().__init__(f"no answer within {seconds:.0f} s")
        self.seconds = seconds


def run_worker(
    request: dict[str, Any], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run copier once in its child process (:mod:`scaffold.copier_worker`), bounded in time."""
    timeout = float(os.environ.get("SCAFFOLD_RENDER_TIMEOUT") or _DEFAULT_TIMEOUT)
    from scaffold.processes import run_to_end

    try:
        # run_to_end: a task's processes (npm, uv sync) end with the worker on a timeout or
        # Ctrl-C, before the folder they write in is removed
        return run_to_end(
            [sys.executable, "-m", "scaffold.copier_worker"],
            stdin=json.dumps(request, default=str),
            timeout=timeout,
            env=env,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        raise WorkerTimeoutError(timeout) from None


def render_copier(
    folder: Path,
    answers: dict[str, Any],
    *,
    trusted: bool,
    origin: str,
    run: CopierRun | None = None,
    preserve_symlinks: bool = False,
) -> _Rendered:
    """Render the template at ``folder`` with ``answers`` through copier; return its files."""
    run = run or current_run()
    # ignore_cleanup_errors: a cleanup that fails never replaces the error (or the Ctrl-C)
    # that ended the render
    with tempfile.TemporaryDirectory(prefix="scaffold-copier-", ignore_cleanup_errors=True) as work:
        # At the path the user gave, from the folder copier runs in: templates read
        # _copier_conf.dst_path (`cd {{ _copier_conf.dst_path }}`) as copier copy sets it.
        destination = Path(work) / run.destination
        # copier's tasks run in it, even when the template has no files
        destination.mkdir(parents=True)
        request = {
            "src": str(folder),
            "dst": run.destination,
            "data": answers,
            "unsafe": trusted,
            "run_tasks": run.run_tasks,
        }
        try:
            done = run_worker(request, cwd=Path(work))
        except WorkerTimeoutError as error:
            msg = f"blueprint '{origin}': copier did not finish within {error.seconds:.0f} s"
            raise BlueprintError(msg, hint="the template loops or expands without bound") from None
        _raise_for(done, origin)
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
        made = {str(path) for path in outcome.get("made_by_tasks") or ()}
        _set_aside_local(destination, made, run)
        return _Rendered(
            files=_read_tree(destination, origin, links=preserve_symlinks, made=made),
            answers_file=str(outcome.get("answers_file") or ".copier-answers.yml"),
            messages=dict(outcome.get("messages") or {}),
            remembered=dict(outcome.get("remembered") or {}),
        )


def _set_aside_local(destination: Path, made: set[str], run: CopierRun) -> None:
    """Take what the tasks made for this machine out of the rendered files.

    That is a ``.git`` (git init) and, of what the tasks made, what the project's ignore files
    exclude (``node_modules``, a local database): copier leaves it in the project, but it is
    no file of the template's to track, record or merge. So are the folders copier made empty,
    which scaffold's files cannot hold. 'new' keeps them for the writer (an entry a template
    rendered earlier already made stays the earlier one's); other commands leave them out.
    What cannot travel from the folder the tasks ran in to the project is left out with a note:
    a virtual environment (its scripts name the folder it was made in) and an entry holding a
    link that leaves the project.
    """
    import shutil

    holder = run.local_holder
    for entry in _local_entries(destination, made):
        path = destination / entry
        kept = holder / entry if holder is not None else None
        if entry == ".git" and (path.is_symlink() or not path.is_dir()):
            kept = None  # a repository is a real folder; a link or file there is not one
        if kept is not None and (why := _cannot_travel(destination, entry)):
            _note_left_out(entry, why)
            kept = None
        if kept is not None and not kept.exists() and not kept.is_symlink():
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), str(kept))
            run.local_kept.append(entry)
        elif path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _cannot_travel(destination: Path, entry: str) -> str | None:
    """Say why ``entry`` cannot move into the project as it is, or None when it can."""
    path = destination / entry
    if entry == ".git":
        return None
    if not path.is_symlink() and (path / "pyvenv.cfg").is_file():
        return (
            "it is a virtual environment, whose scripts name the folder the tasks ran in; "
            f"make it again in the project (uv sync, or python -m venv {entry})"
        )
    links = [path] if path.is_symlink() else []
    if not links and path.is_dir():
        links = [Path(here) / name for here, folders, files in os.walk(path)
                 for name in (*folders, *files) if (Path(here) / name).is_symlink()]  # fmt: skip
    for link in links:
        target = link.readlink()
        # normpath, not resolve: judged by the link's own text, as its new place reads it
        inside = os.path.normpath(link.parent / target)
        if target.is_absolute() or not inside.startswith(f"{destination}{os.sep}"):
            shown = link.relative_to(destination).as_posix()
            return f"its link {shown} -> {target} leaves the project"
    return None


def _note_left_out(entry: str, why: str) -> None:
    from scaffold.console import err_console

    err_console().print(
        f"[cyan]note:[/] the template's tasks made {entry}, left out of the project: {why}",
        markup=True,
        highlight=False,
    )


def _local_entries(destination: Path, made: set[str]) -> list[str]:
    """Return the top-most local paths: ``.git``, ignored ones the tasks made, empty folders."""
    import pathspec

    specs: list[tuple[str, pathspec.PathSpec[Any]]] = []
    for ignore in sorted(destination.rglob(".gitignore")):
        folder = ignore.parent.relative_to(destination).as_posix()
        if ignore.is_file() and not ignore.is_symlink() and ".git" not in folder.split("/"):
            lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
            prefix = "" if folder == "." else f"{folder}/"
            specs.append((prefix, pathspec.PathSpec.from_lines("gitignore", lines)))

    def ignored(relative: str) -> bool:
        is_folder = (destination / relative).is_dir() and not (destination / relative).is_symlink()
        shown = f"{relative}/" if is_folder else relative
        return any(
            shown.startswith(prefix) and spec.match_file(shown.removeprefix(prefix))
            for prefix, spec in specs
        )

    repository = destination / ".git"
    chosen: list[str] = [".git"] if repository.exists() or repository.is_symlink() else []
    for relative in sorted(made | _empty_folders(destination)):
        if any(relative == c or relative.startswith(f"{c}/") for c in chosen):
            continue
        if relative not in made or ignored(relative):
            chosen.append(relative)
    return chosen


def _empty_folders(destination: Path) -> set[str]:
    """Return the folders copier made that hold no file at any depth (``docs/_static/``).

    copier writes them; scaffold's files are files, so they travel as local entries.
    """
    holding: set[Path] = set()
    empty: set[str] = set()
    for here, folders, files in os.walk(destination, topdown=False):
        folder = Path(here)
        links = [name for name in folders if (folder / name).is_symlink()]
        if files or links or any(folder / name in holding for name in folders):
            holding.add(folder)
        elif folder != destination:
            empty.add(folder.relative_to(destination).as_posix())
    return {path for path in empty if path != ".git" and not path.startswith(".git/")}


_REQUIRED = re.compile(r'Question "([^"]+)" is required')
_INVALID = re.compile(r"Validation error for question '([^']+)': (.*)")


def _raise_for(done: subprocess.CompletedProcess[str], origin: str) -> None:
    if done.returncode == 0:
        return
    lines = done.stderr.strip().splitlines() or ["copier failed"]
    if done.returncode == EXIT_UNSAFE:
        msg = f"blueprint '{origin}' runs code ({lines[-1]})"
        hint = "review it, then pass --trust or list its source under 'trusted' in your config"
        raise TrustError(msg, hint=hint)
    required = _REQUIRED.search(lines[-1])
    if required:
        msg = f"blueprint '{origin}' needs an answer to '{required[1]}', which has no default"
        raise SpecError(msg, hint=f"pass -O {origin}.{required[1]}=VALUE")
    invalid = _INVALID.search(lines[-1])
    if invalid:
        msg = f"{origin}.{invalid[1]}: {invalid[2].strip() or 'the template refuses this answer'}"
        raise SpecError(msg, hint=f"pass another value with -O {origin}.{invalid[1]}=VALUE")
    if "ExtensionNotFoundError" in lines[-1]:
        msg = f"blueprint '{origin}': copier could not load its jinja extensions"
        hint = (
            "install the packages its _jinja_extensions name into scaffold's environment "
            "(often copier-templates-extensions)"
        )
        raise BlueprintError(msg, hint=hint)
    msg = f"blueprint '{origin}': copier failed: {lines[-1]}"
    raise BlueprintError(msg, hint="fix the copier template")


def _read_tree(
    destination: Path, origin: str, *, links: bool, made: Collection[str] = ()
) -> dict[str, bytes]:
    """Read what copier wrote; ``made``: what the tasks made (their links are kept as links).

    Without ``_preserve_symlinks`` copier writes a template's links as files, so a link here
    was made by a task (``ln -s``), and is kept as copier leaves it if it stays inside.
    """
    from scaffold.filekind import Executable, check_link
    from scaffold.render import safe_relative_path

    tree: dict[str, bytes] = {}
    if not destination.is_dir():
        return tree
    for path in sorted(destination.rglob("*")):
        relative = path.relative_to(destination).as_posix()
        if relative == ".git" or relative.startswith(".git/"):
            continue  # a task's 'git init': never a file; 'new' keeps it (_set_aside_local)
        if path.is_symlink():
            if not links and relative not in made:
                msg = f"blueprint '{origin}' renders a symbolic link {relative}"
                raise BlueprintError(msg, hint="blueprints may not contain links")
            # _preserve_symlinks: the link itself, as copier writes it, if it stays inside
            target = str(path.readlink())
            tree[safe_relative_path(relative, origin=f"{origin}/{relative}")] = check_link(
                relative, target, origin=f"blueprint '{origin}': {relative}"
            )
            continue
        if not path.is_file():
            continue
        content = path.read_bytes()
        if path.stat().st_mode & 0o111:  # executable scripts stay executable
            content = Executable(content)
        tree[safe_relative_path(relative, origin=f"{origin}/{relative}")] = content
    return tree


def ignored_by_template(tree: dict[str, bytes], copier_paths: set[str]) -> set[str]:
    """Return the files a copier template wrote that the project's ``.gitignore`` excludes.

    They are the owner's local files (a ``.env`` holding passwords): written once, never stored
    in ``.scaffold/base.zip``, which is tracked.
    """
    if not copier_paths:
        return set()
    import pathspec

    ignored: set[str] = set()
    for path, content in tree.items():
        if not path.endswith(".gitignore"):
            continue
        folder = path.rpartition("/")[0]
        prefix = f"{folder}/" if folder else ""
        lines = content.decode("utf-8", errors="replace").splitlines()
        spec = pathspec.PathSpec.from_lines("gitignore", lines)
        ignored |= {
            p
            for p in copier_paths
            if p.startswith(prefix) and spec.match_file(p.removeprefix(prefix))
        }
    return ignored
