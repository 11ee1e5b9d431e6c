"""The command line: Typer commands that map flags to one call into the core.

Commands import the core lazily so that ``scaffold --help`` and ``--version`` stay fast; every
:class:`~scaffold.errors.ScaffoldError` is turned into one red line and its exit code by
:func:`_error_boundary`, the only place that does so.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scaffold import __version__
from scaffold.boundary import error_boundary
from scaffold.cli_blueprint import blueprint_app
from scaffold.cli_help import reflow_commands

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from scaffold.catalog import Catalog
    from scaffold.models import ProjectSpec
    from scaffold.pipeline import Generated
    from scaffold.plan import Plan
    from scaffold.project import Project
    from scaffold.record import Adopted
    from scaffold.sources import Settings, Source
    from scaffold.status import GitReleases


app = typer.Typer(
    name="scaffold",
    help=(
        "Create FastAPI projects from composable blueprints.\n\n"
        "Start with [bold]scaffold new my-api[/] (interactive in a terminal), or "
        "[bold]scaffold new my-api --all --no-input[/] for every blueprint. "
        "[bold]scaffold blueprints[/] lists what you can choose."
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


SOURCE_HELP = (
    "Extra blueprint source, highest precedence first (repeatable): a folder, "
    "gh:org/repo@v1.2.0, a git URL or local repository path with @TAG, or pkg:NAME. "
    "NAME=SOURCE pins blueprint NAME to that source."
)
SourceOption = Annotated[
    list[str] | None, typer.Option("--source", metavar="SOURCE", help=SOURCE_HELP)
]
TrustOption = Annotated[
    bool,
    typer.Option(
        "--trust",
        help="Let blueprints run code (copier tasks, migrations, jinja extensions). "
        "Without it such a blueprint stops the command with exit code 3.",
    ),
]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"scaffold {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    *,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print scaffold's version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Create FastAPI projects from composable blueprints."""


def _complete_blueprint(incomplete: str) -> list[str]:
    from scaffold.catalog import load_catalog

    return [name for name in load_catalog().names() if name.startswith(incomplete)]


def _stdin_is_interactive() -> bool:
    return sys.stdin.isatty()


def _build_spec(name: str, raw: dict[str, Any]) -> ProjectSpec:
    from pydantic import ValidationError

    from scaffold.errors import SpecError
    from scaffold.models import ProjectSpec, describe_validation_error

    try:
        return ProjectSpec.model_validate({"name": name, **raw})
    except ValidationError as error:
        raise SpecError(describe_validation_error(error)) from None


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Project (distribution) name, e.g. my-api.")],
    *,
    blueprint: Annotated[
        list[str] | None,
        typer.Option(
            "--blueprint",
            "-b",
            help="A blueprint to include (repeat for several). See 'scaffold blueprints'.",
            autocompletion=_complete_blueprint,
        ),
    ] = None,
    all_blueprints: Annotated[
        bool, typer.Option("--all", help="Include every available blueprint.")
    ] = False,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-O",
            metavar="BLUEPRINT.OPTION=VALUE",
            help="Set a blueprint option; VALUE is JSON or text (lists: a,b or JSON).",
        ),
    ] = None,
    description: Annotated[
        str | None, typer.Option(help="One-line description for the project.")
    ] = None,
    python: Annotated[
        str | None, typer.Option(help="Minimum Python version of the project \\[default: 3.11].")
    ] = None,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir", "-o", help="Folder to create the project in.", file_okay=False
        ),
    ] = Path(),
    answers: Annotated[
        Path | None,
        typer.Option(help="YAML or TOML file with every choice, for CI.", dir_okay=False),
    ] = None,
    from_template: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="TEMPLATE",
            help=(
                "Start from a copier template (a folder or git URL, @TAG for a version): it "
                "takes base's place and the other blueprints extend its app."
            ),
        ),
    ] = None,
    source: SourceOption = None,
    trust: TrustOption = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt; use flags, answers and defaults.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be written; write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a destination that is not empty.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")
    ] = False,
) -> None:
    """Create a new FastAPI project in OUTPUT_DIR/NAME.

    In a terminal, without -b or --all, you pick blueprints from a checklist. Otherwise the
    project gets the blueprints you name (plus what they require) or the default set.

    Examples:
      scaffold new my-api --all --no-input

      scaffold new my-api -b websockets -b templates -O websockets.allowed_origins=https://x.io

      scaffold new my-api --answers answers.yaml --json

      scaffold new my-api --from gh:acme/service-template@v1.2.0 -b websockets

    """
    with error_boundary(as_json=as_json):
        from scaffold.answers import load_answers, merge_choices

        answers_data = load_answers(answers) if answers else {}
        raw = merge_choices(
            answers_data,
            blueprints=list(blueprint or []),
            option_flags=list(option or []),
            description=description,
            python=python,
        )
        interactive = (
            not no_input
            and not as_json
            and not blueprint
            and not all_blueprints
            and not answers_data.get("blueprints")
            and _stdin_is_interactive()
        )
        _build_spec(name, raw)  # validate the name and fields before any prompt
        sources = [from_template, *(source or [])] if from_template else source
        catalog = _load_catalog(sources, trust=trust)
        template = None
        if from_template:
            from scaffold.foundation import foundation_blueprint

            template = foundation_blueprint(catalog, from_template).name
            raw["blueprints"].setdefault(template, {})
        if interactive:
            from scaffold.prompts import ask_choices

            raw = ask_choices(catalog, raw)
            if template:  # the foundation is not one of the choices
                raw["blueprints"].setdefault(template, {})
        elif all_blueprints:
            raw["blueprints"] = {bp.name: raw["blueprints"].get(bp.name, {}) for bp in catalog}
        elif not blueprint and not answers_data.get("blueprints") and not template:
            # Options alone do not choose the project: they add their blueprint to the defaults.
            defaults = [bp.name for bp in catalog if bp.manifest.default]
            raw["blueprints"] = {bp: {} for bp in defaults} | raw["blueprints"]
            if not as_json:
                _note(f"No blueprints chosen; using the default set: {', '.join(defaults)}")
        spec = _build_spec(name, raw)
        _generate_and_report(
            spec,
            output_dir / name,
            catalog=catalog,
            force=force,
            dry_run=dry_run,
            as_json=as_json,
            template=template,
        )


def _load_catalog(
    flags: list[str] | None,
    *,
    trust: bool = False,
    project: Project | None = None,
    moving: Collection[str] = (),
    first: tuple[Source, ...] = (),
) -> Catalog:
    """Load the blueprints of every configured source, in precedence order.

    Flags, ``SCAFFOLD_SOURCES``, the project's ``[tool.scaffold]``, its record (each blueprint
    from the source it came from, at its recorded tag unless in ``moving``), the user's config
    file, then the built-in blueprints and installed packages. ``first`` goes before all of
    them (``update --to``).
    """
    return _catalog_of(_settings(flags, trust=trust, project=project, moving=moving), first)


def _settings(
    flags: list[str] | None,
    *,
    trust: bool = False,
    project: Project | None = None,
    moving: Collection[str] = (),
) -> Settings:
    from scaffold.sources import load_settings

    return load_settings(
        flags=tuple(flags or ()),
        trust=trust,
        project_root=project.root if project is not None else None,
        recorded=project.sources(moving=moving) if project is not None else (),
    )


def _read_only(settings: Settings) -> Settings:
    """Drop all trust from ``settings``: ``status`` and ``check`` never run blueprint code.

    They run on pull requests in CI, where the project and its record are the author's.
    """
    from dataclasses import replace

    return replace(settings, trusted=(), trust_all=False)


def _catalog_of(settings: Settings, first: tuple[Source, ...] = ()) -> Catalog:
    from scaffold.catalog import load_catalog

    return load_catalog(
        (*first, *settings.sources), trusted=settings.trusted, trust_all=settings.trust_all
    )


def _note(message: str) -> None:
    from scaffold.console import err_console

    err_console().print(f"[cyan]note:[/] {message}", soft_wrap=True)


def _generate_and_report(
    spec: ProjectSpec,
    destination: Path,
    *,
    catalog: Catalog,
    force: bool,
    dry_run: bool,
    as_json: bool,
    template: str | None = None,
) -> None:
    from scaffold.console import err_console
    from scaffold.pipeline import generate

    console = None if as_json else err_console()
    # No spinner off a terminal: nothing would be drawn, and rich's live display costs imports.
    live = console is not None and console.is_terminal
    status = console.status("Generating...") if live and console else contextlib.nullcontext()
    notes: list[str] = []
    with status:
        if template is None:
            generated = generate(spec, destination, catalog=catalog, force=force, dry_run=dry_run)
        else:
            from scaffold.foundation import generate_from

            generated, notes = generate_from(
                spec, destination, template=template, catalog=catalog, force=force, dry_run=dry_run
            )
    # A Ctrl-C from here on is reported by the boundary as "<destination> was written".
    if as_json:
        typer.echo(json.dumps(_json_report(generated) | {"notes": notes}, indent=2))
        return
    from scaffold.report import print_generated

    print_generated(generated)
    for note in notes:
        _note(note)


def _json_report(generated: Generated) -> dict[str, Any]:
    adopted = generated.adopted
    recorded = _recorded_options(generated.files)
    return {
        "name": generated.spec.name,
        "package": adopted.package if adopted else generated.spec.package,
        "app": f"{adopted.module}:{adopted.app}" if adopted else None,
        "foundation": adopted.foundation if adopted else None,
        "path": str(generated.destination.resolve()),
        "dry_run": not generated.written,
        "blueprints": [
            {
                "name": item.name,
                "version": item.blueprint.manifest.version,
                "source": item.blueprint.source,
                "ref": item.blueprint.ref,
                "automatic": item.automatic,
                # as recorded: a copier template's computed answers, not None
                "options": recorded.get(item.name, item.options),
            }
            for item in generated.selection.items
        ],
        "files": sorted(generated.files),
    }


def _recorded_options(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """Return each blueprint's options as the project's record holds them."""
    from scaffold.record import RECORD_PATH, parse_record

    content = files.get(RECORD_PATH)
    if content is None:
        return {}
    record = parse_record(content.decode("utf-8"))
    return {name: entry.options for name, entry in record.blueprints.items()}


@app.command("blueprints")
def list_blueprints(
    *,
    source: SourceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """List the blueprints you can choose, with their versions and options."""
    with error_boundary(as_json=as_json):
        catalog = _load_catalog(source)
        if as_json:
            listing = [
                {
                    "name": bp.name,
                    "version": bp.manifest.version,
                    "summary": bp.manifest.summary,
                    "source": bp.source,
                    "ref": bp.ref,
                    "engine": bp.engine,
                    "always": bp.manifest.always,
                    "default": bp.manifest.default,
                    "requires": list(bp.manifest.requires),
                    "conflicts": list(bp.manifest.conflicts),
                    "options": {k: v.model_dump() for k, v in bp.manifest.options.items()},
                }
                for bp in catalog
            ]
            typer.echo(json.dumps(listing, indent=2))
            return
        from scaffold.report import print_catalog

        print_catalog(catalog)


# --- changing an existing project -------------------------------------------------------------

ProjectDirOption = Annotated[
    Path,
    typer.Option("--project-dir", "-C", help="The project's folder.", file_okay=False),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Show a diff per file and the outcome; write nothing.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")
]
AllowDirtyOption = Annotated[
    bool, typer.Option("--allow-dirty", help="Change a git work tree with uncommitted changes.")
]
EXIT_CONFLICTS = 1


def _changing(project_dir: Path, *, dry_run: bool) -> contextlib.AbstractContextManager[None]:
    """Hold the project's lock for a command that changes it: one change at a time."""
    if dry_run:
        return contextlib.nullcontext()
    from scaffold.lock import project_lock

    return project_lock(project_dir)


def _say_recovered(recovered: str | None) -> None:
    if recovered:
        _note(recovered)


def _open_for_change(project_dir: Path, *, dry_run: bool, allow_dirty: bool) -> Project:
    from scaffold.project import open_for_change

    project = open_for_change(project_dir, dry_run=dry_run, allow_dirty=allow_dirty)
    _say_recovered(project.recovered)
    return project


def _apply_plan(plan: Plan, *, command: str, dry_run: bool, as_json: bool) -> None:
    """Write the plan (unless dry), report it, and exit 1 when files have conflicts."""
    from scaffold.apply import apply_changes

    written = not dry_run and bool(plan.changes)
    if written:
        apply_changes(plan.project.root, {m.path: m.content for m in plan.changes})
    # A Ctrl-C from here on is reported by the boundary as "the changes were written".
    if as_json:
        typer.echo(json.dumps(_plan_json(plan, command=command, dry_run=dry_run), indent=2))
    else:
        from scaffold.report import print_plan

        print_plan(plan, dry_run=dry_run)
    if plan.conflicts:
        raise typer.Exit(EXIT_CONFLICTS)


def _plan_json(plan: Plan, *, command: str, dry_run: bool) -> dict[str, Any]:
    return {
        "command": command,
        "project": str(plan.project.root.resolve()),
        "dry_run": dry_run,
        "changed": bool(plan.changes),
        "notes": plan.notes,
        "blueprints": [
            {
                "name": item.name,
                "version": item.blueprint.manifest.version,
                "automatic": item.automatic,
            }
            for item in plan.selection.items
        ],
        "files": [{"path": m.path, "outcome": m.outcome} for m in plan.changes],
        "conflicts": plan.conflicts,
    }


@app.command()
def add(
    blueprints: Annotated[
        list[str],
        typer.Argument(help="Blueprints to add.", autocompletion=_complete_blueprint),
    ],
    *,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-O", metavar="BLUEPRINT.OPTION=VALUE", help="Set an option."),
    ] = None,
    project_dir: ProjectDirOption = Path(),
    source: SourceOption = None,
    trust: TrustOption = False,
    dry_run: DryRunOption = False,
    allow_dirty: AllowDirtyOption = False,
    as_json: JsonOption = False,
) -> None:
    """Add blueprints to a project, merging them into the files you edited.

    Files you did not touch are replaced; edited files are merged by their structure (Python
    by statement, pyproject.toml by key, .env.example by variable, Markdown by section). Where
    you and the blueprint changed the same statement the command refuses, naming it, exit 1;
    the same Markdown section or lines of another file get git conflict markers, exit 1.
    """
    with error_boundary(as_json=as_json), _changing(project_dir, dry_run=dry_run):
        from scaffold.answers import parse_option_flag
        from scaffold.copier_render import copier_run
        from scaffold.evolve import plan_change, spec_with

        project = _open_for_change(project_dir, dry_run=dry_run, allow_dirty=allow_dirty)
        added: dict[str, dict[str, Any]] = {name: {} for name in blueprints}
        for flag in option or []:
            name, key, value = parse_option_flag(flag)
            added.setdefault(name, {})[key] = value
        present = [
            n
            for n in blueprints
            if n in project.record.blueprints and not project.record.blueprints[n].automatic
        ]
        catalog = _load_catalog(source, trust=trust, project=project)
        with copier_run(
            destination=project.root.resolve().name,
            dry_run=dry_run,
            moving=frozenset(added),
            existing=frozenset(project.record.blueprints),
        ):  # the templates already there render again without running their tasks
            plan = plan_change(project, spec_with(project, added), catalog=catalog)
        if present:
            plan.notes.append(f"already part of the project: {', '.join(present)}")
        plan.notes += _selection_notes(project, plan)
        _apply_plan(plan, command="add", dry_run=dry_run, as_json=as_json)


@app.command()
def remove(
    blueprints: Annotated[list[str], typer.Argument(help="Blueprints to remove.")],
    *,
    project_dir: ProjectDirOption = Path(),
    source: SourceOption = None,
    trust: TrustOption = False,
    dry_run: DryRunOption = False,
    allow_dirty: AllowDirtyOption = False,
    as_json: JsonOption = False,
) -> None:
    """Remove blueprints: their files and their parts of the shared files go.

    A file you edited is merged, never deleted blind. Refused when another blueprint of the
    project requires one you remove.
    """
    with error_boundary(as_json=as_json), _changing(project_dir, dry_run=dry_run):
        from scaffold.copier_render import copier_run
        from scaffold.evolve import check_removable, plan_change, spec_without

        project = _open_for_change(project_dir, dry_run=dry_run, allow_dirty=allow_dirty)
        catalog = _load_catalog(source, trust=trust, project=project)
        for name in blueprints:
            catalog.get(name)  # a misspelt name gets "did you mean"
        absent = [name for name in blueprints if name not in project.record.blueprints]
        adopted = project.record.adopted
        if adopted is not None and adopted.foundation in blueprints:
            from scaffold.errors import SpecError

            msg = f"'{adopted.foundation}' is the template this project was made from; it stays"
            raise SpecError(msg, hint="remove the other blueprints, or the project itself")
        with copier_run(
            destination=project.root.resolve().name, dry_run=dry_run, moving=frozenset()
        ):  # the templates that stay render again without running their tasks
            plan = plan_change(project, spec_without(project, blueprints), catalog=catalog)
        check_removable(plan, blueprints)
        if absent:
            plan.notes.append(f"not part of the project: {', '.join(absent)}")
        plan.notes += _selection_notes(project, plan)
        _apply_plan(plan, command="remove", dry_run=dry_run, as_json=as_json)


@app.command()
def update(
    blueprints: Annotated[
        list[str] | None,
        typer.Argument(help="Only these blueprints (default: all).", show_default=False),
    ] = None,
    *,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="VERSION",
            help="Move git-sourced blueprints to this tag (1.2.0 or v1.2.0) instead of the newest.",
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-O",
            metavar="BLUEPRINT.OPTION=VALUE",
            help="Change an option of a blueprint the project has, and re-render with it.",
        ),
    ] = None,
    project_dir: ProjectDirOption = Path(),
    source: SourceOption = None,
    trust: TrustOption = False,
    dry_run: DryRunOption = False,
    allow_dirty: AllowDirtyOption = False,
    as_json: JsonOption = False,
) -> None:
    """Bring the project to the blueprint versions available now, by the same merge.

    Blueprints from git sources move to their newest version tag (or to --to VERSION); the
    others to what their source offers now. Moving a blueprint to an older version is refused.
    With -O, an option chosen earlier changes, and what it renders goes in by the same merge
    (as copier's `update --data` does); the record keeps the new answer.

    Examples:
      scaffold update

      scaffold update acme-service --to 2.0.0 --dry-run

      scaffold update -O middleware.gzip_minimum_size=500

    """
    with error_boundary(as_json=as_json), _changing(project_dir, dry_run=dry_run):
        from scaffold.copier_render import copier_run
        from scaffold.evolve import check_not_downgraded, retarget, spec_with

        project = _open_for_change(project_dir, dry_run=dry_run, allow_dirty=allow_dirty)
        moving = list(blueprints or project.record.blueprints)
        strangers = [name for name in moving if name not in project.record.blueprints]
        if strangers:
            from scaffold.errors import BlueprintError

            msg = f"not part of the project: {', '.join(strangers)}"
            raise BlueprintError(msg, hint="'scaffold status' lists the project's blueprints")
        changed = _changed_options(project, option or [])
        first = retarget(project, moving, to) if to else ()
        catalog = _load_catalog(source, trust=trust, project=project, moving=moving, first=first)
        spec = spec_with(project, changed) if changed else project.spec()
        with copier_run(
            destination=project.root.resolve().name,
            dry_run=dry_run,
            existing=frozenset(project.record.blueprints),
        ):
            plan = _plan_update(project, spec, catalog)
        check_not_downgraded(project, plan)
        plan.notes += _selection_notes(project, plan)
        _apply_plan(plan, command="update", dry_run=dry_run, as_json=as_json)


def _plan_update(project: Project, spec: ProjectSpec, catalog: Catalog) -> Plan:
    """Plan the update; an answer the new version refuses is named with the flag that sets it."""
    from scaffold.errors import OptionValueError
    from scaffold.evolve import plan_change

    try:
        return plan_change(project, spec, catalog=catalog)
    except OptionValueError as error:  # mostly a recorded answer the template's release changed
        hint = f"give it a value that fits: scaffold update -O {error.option}=VALUE"
        raise OptionValueError(error.message, option=error.option, hint=hint) from None


def _changed_options(project: Project, flags: list[str]) -> dict[str, dict[str, Any]]:
    """Parse ``-O`` flags of ``update``: only blueprints the project already has."""
    from scaffold.answers import parse_option_flag

    changed: dict[str, dict[str, Any]] = {}
    for flag in flags:
        name, key, value = parse_option_flag(flag)
        if name not in project.record.blueprints:
            from scaffold.errors import SpecError

            msg = f"-O {flag}: the project has no blueprint '{name}'"
            raise SpecError(msg, hint=f"add it with: scaffold add {name} -O {flag}")
        changed.setdefault(name, {})[key] = value
    return changed


@app.command()
def adopt(
    *,
    project_dir: ProjectDirOption = Path(),
    app_reference: Annotated[
        str | None,
        typer.Option(
            "--app",
            metavar="MODULE:NAME",
            help="The app to adopt when there are several, e.g. app.main:app.",
        ),
    ] = None,
    source: SourceOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be adopted; write nothing.")
    ] = False,
    allow_dirty: AllowDirtyOption = False,
    as_json: JsonOption = False,
) -> None:
    """Take an existing FastAPI project into scaffold's care; none of its code changes.

    Finds the app created as NAME = FastAPI(...) (the only one, or the one --app names) and
    records it under .scaffold/. Then 'scaffold add' edits that module in place (imports,
    middleware, mounts, routers, lifespan), keeping your formatting and comments. When the
    app cannot be found or edited safely, adopt says why and writes nothing (exit 2).

    Examples:
      scaffold adopt -C my-service

      scaffold adopt --app app.main:app && scaffold add static websockets

    """
    with error_boundary(as_json=as_json), _changing(project_dir, dry_run=dry_run):
        from dataclasses import asdict

        from scaffold.adopt import adopt_project
        from scaffold.apply import apply_changes
        from scaffold.project import recover_interrupted, refuse_dirty

        _say_recovered(recover_interrupted(project_dir))
        adoption = adopt_project(project_dir, app=app_reference, sources=tuple(source or ()))
        if not dry_run:
            refuse_dirty(project_dir, allow_dirty=allow_dirty)
            apply_changes(project_dir, dict(adoption.files))
        if as_json:
            document = {
                "command": "adopt",
                "project": str(project_dir.resolve()),
                "name": adoption.spec.name,
                "dry_run": dry_run,
                "adopted": asdict(adoption.adopted),
                "files": sorted(adoption.files),
                "refused_blueprints": [
                    {"blueprint": name, "reasons": reasons}
                    for name, reasons in adoption.refused.items()
                ],
            }
            typer.echo(json.dumps(document, indent=2))
            return
        _print_adoption(adoption.adopted, adoption.spec.name, project_dir, dry_run=dry_run)
        _warn_refused(adoption.refused)


def _warn_refused(refused: Mapping[str, list[str]]) -> None:
    """Say on stderr the blueprints ``add`` would refuse on the project's pins, by reason.

    One line per reason, naming every blueprint it refuses: an old FastAPI pin refuses all of
    them, and the same reason fourteen times hides the one line that differs.
    """
    if not refused:
        return
    from rich.markup import escape

    from scaffold.console import err_console

    by_reason: dict[str, list[str]] = {}
    for name, reasons in refused.items():
        by_reason.setdefault("; ".join(reasons), []).append(name)
    console = err_console()
    console.print(
        "[yellow]warning:[/] scaffold add would refuse these blueprints, as the project's "
        "pins stand (raise them to add one):",
        soft_wrap=True,
    )
    for reason, names in by_reason.items():
        console.print(f"  {escape(', '.join(names))}: {escape(reason)}", soft_wrap=True)


def _print_adoption(adopted: Adopted, name: str, root: Path, *, dry_run: bool) -> None:
    from rich.markup import escape

    from scaffold.console import out_console

    console = out_console()
    verb = "Would adopt" if dry_run else "Adopted"
    console.print(
        f"{verb} [bold]{escape(adopted.module)}:{escape(adopted.app)}[/] as project "
        f"[bold]{escape(name)}[/] (package {escape(adopted.package)})"
    )
    if dry_run:
        console.print("[yellow]Dry run: nothing was written.[/]")
        return
    console.print("Recorded in .scaffold/project.toml; your code is unchanged.")
    then = "[bold]scaffold blueprints[/], then e.g. [bold]scaffold add static[/]"
    commit = _commit_record_command(root)
    if commit is None:
        console.print(f"Next: {then}")
        return
    # add refuses a dirty work tree, and the record adopt just wrote is untracked
    console.print(
        f"Next: commit .scaffold/ ([bold]`{escape(commit)}`[/]), then {then}", soft_wrap=True
    )


def _commit_record_command(root: Path) -> str | None:
    """Return the git command committing ``.scaffold/``; None outside a git work tree."""
    import shlex

    from scaffold.errors import DestinationError
    from scaffold.project import uncommitted_changes

    try:
        if uncommitted_changes(root) is None:
            return None
    except DestinationError:  # a work tree git cannot read: add will say so itself
        return None
    here = root.resolve() == Path.cwd().resolve()
    git = "git" if here else f"git -C {shlex.quote(str(root))}"
    return f'{git} add .scaffold && {git} commit -m "scaffold adopt"'


def _selection_notes(project: Project, plan: Plan) -> list[str]:
    """Say which blueprints came, went or moved to another version."""
    before = project.record.blueprints
    after = {item.name: item for item in plan.selection.items}
    notes = []
    for name, item in after.items():
        version = item.blueprint.manifest.version
        if name not in before:
            why = " (required by another blueprint)" if item.automatic else ""
            notes.append(f"adds {name} {version}{why}")
        elif before[name].version != version:
            notes.append(f"moves {name} from {before[name].version} to {version}")
    notes += [f"removes {name}" for name in before if name not in after]
    return notes


@app.command()
def status(
    *,
    project_dir: ProjectDirOption = Path(),
    source: SourceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the project's blueprints and versions, and the generated files you edited."""
    with error_boundary(as_json=as_json):
        from dataclasses import asdict

        from scaffold.project import open_project
        from scaffold.status import project_status

        project = open_project(project_dir)
        _say_recovered(project.recovered)
        # What the project is made of: each git blueprint at its recorded commit, whatever ref
        # a flag or config names (that ref is the version aimed for, not the one in use).
        settings = _read_only(_settings(source, project=project))
        catalog = _catalog_of(settings, first=project.sources())
        releases = _git_releases(project, catalog, settings, strict=False)
        result = project_status(project, catalog, releases.latest)
        if as_json:
            document = {"project": project.record.name, **asdict(result)}
            typer.echo(json.dumps(document, indent=2))
            return
        from scaffold.report import print_status

        print_status(project, result)


@app.command()
def check(
    *,
    project_dir: ProjectDirOption = Path(),
    source: SourceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fail (exit 1) when the project drifted: for CI.

    Drift: a blueprint with a newer version available (or none), a file a blueprint manages
    verbatim that differs from what it renders now, or leftover conflict markers. Your
    ordinary edits to generated files are not drift. Exit 0: clean; 1: drift; 2: usage error.
    """
    with error_boundary(as_json=as_json):
        from dataclasses import asdict

        from scaffold.project import open_project
        from scaffold.status import check_project

        project = open_project(project_dir)
        _say_recovered(project.recovered)
        # Verbatim files are compared with the recorded versions; newer ones are 'outdated'.
        settings = _read_only(_settings(source, project=project))
        catalog = _catalog_of(settings, first=project.sources())
        drift = check_project(
            project, catalog, _git_releases(project, catalog, settings, strict=True)
        )
        if as_json:
            document = {
                "ok": not drift,
                "project": project.record.name,
                "drift": [asdict(item) for item in drift],
            }
            typer.echo(json.dumps(document, indent=2))
        else:
            from scaffold.report import print_check

            print_check(project, drift)
        if drift:
            raise typer.Exit(EXIT_CONFLICTS)


def _git_releases(
    project: Project, catalog: Catalog, settings: Settings, *, strict: bool
) -> GitReleases:
    """Ask the project's git sources for their tags: the version to be at, and moved tags.

    The version is the newest tag, unless a ``@TAG`` for the repository in a flag,
    ``SCAFFOLD_SOURCES`` or a config file pins it. ``check`` is ``strict``: an unreachable
    remote is an error, since CI must not pass blind; ``status`` shows the recorded versions
    instead, so it works offline.
    """
    from scaffold.gitsource import GitSourceError
    from scaffold.status import GitReleases, git_releases

    wanted: dict[str, str] = {}
    for configured_source in settings.sources:  # highest layer first: the first ref named wins
        if (
            configured_source.kind == "git"
            and configured_source.ref
            and configured_source.layer != "record"  # the record's tag is what is in use
        ):
            wanted.setdefault(configured_source.location, configured_source.ref)
    try:
        return git_releases(project, catalog, wanted)
    except GitSourceError as error:
        if strict:
            raise
        _note(f"newer versions not checked: {error}")
        return GitReleases()


reflow_commands(app)
app.add_typer(blueprint_app, name="blueprint")


def main() -> None:
    """Run the ``scaffold`` command under one name, however it was started (help, completion)."""
    app(prog_name="scaffold")
