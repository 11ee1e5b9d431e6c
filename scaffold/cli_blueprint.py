"""``scaffold blueprint``: commands for people who write blueprints.

``new`` writes a skeleton that already passes ``check``; ``check`` generates projects with the
blueprint (alone and combined with the others) and runs ruff and their own tests. The work is in
:mod:`scaffold.authoring`; this module maps flags to it and reports. It is imported by
``scaffold.cli`` at start-up, so it imports nothing heavy until a command runs, and errors go
through the CLI's one ``error_boundary``.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scaffold.cli_help import reflow_commands

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

    from rich.console import Console

    from scaffold.apply import WriteResult
    from scaffold.authoring import CheckPlan, CombinationResult

EXIT_CHECK_FAILED = 1

blueprint_app = typer.Typer(
    name="blueprint",
    help=(
        "Write your own blueprints: [bold]new[/] starts one, [bold]check[/] proves it works "
        "alone and with the others."
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout and nothing else.")
]


@blueprint_app.command("new")
def new_blueprint(
    name: Annotated[str, typer.Argument(help="The blueprint's name, e.g. acme-auth.")],
    *,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir", "-o", help="Folder to create the blueprint in.", file_okay=False
        ),
    ] = Path(),
    as_json: JsonOption = False,
) -> None:
    """Create a blueprint skeleton in OUTPUT_DIR/NAME that passes 'scaffold blueprint check'.

    It has a commented blueprint.toml (an option, a check, a router contribution), a route
    template, a test for the generated project and a README.

    Examples:
      scaffold blueprint new acme-auth -o org-blueprints

      scaffold blueprint check org-blueprints/acme-auth

    """
    from scaffold.boundary import error_boundary

    with error_boundary(as_json=as_json):
        from scaffold.authoring import create_skeleton

        written = create_skeleton(name, output_dir)
        if as_json:
            document = {"name": name, "path": str(written.destination.resolve())}
            typer.echo(json.dumps(document | {"files": sorted(written.files)}, indent=2))
            return
        _print_created(name, written)


def _print_created(name: str, written: WriteResult) -> None:
    from rich.markup import escape

    from scaffold.console import out_console

    console = out_console()
    where = escape(str(written.destination))
    console.print(f"Created blueprint [bold]{escape(name)}[/] in {where}")
    for path in sorted(written.files):
        console.print(f"  {escape(path)}")
    console.print("\n[bold]Next steps[/]")
    console.print(f"  edit {where}/blueprint.toml and the templates under {where}/files")
    console.print(f"  scaffold blueprint check {where}")
    parent = escape(str(written.destination.parent))
    console.print(f"  scaffold new my-api --source {parent} -b {escape(name)}")


@blueprint_app.command("check")
def check_blueprint(
    path: Annotated[Path, typer.Argument(help="The blueprint's folder (holding blueprint.toml).")],
    *,
    with_blueprints: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            metavar="NAME",
            help="Pair with these blueprints only (repeatable) \\[default: every built-in].",
        ),
    ] = None,
    no_run: Annotated[
        bool, typer.Option("--no-run", help="Render and run ruff only; skip the projects' tests.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds one project's pytest may take.", min=1)
    ] = 300.0,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", help="Combinations checked at once \\[default: CPUs, max 4].", min=1
        ),
    ] = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the generated projects and print where they are.")
    ] = False,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            metavar="SOURCE",
            help="Extra blueprint source, highest precedence first (repeatable), as for "
            "'scaffold new'; SCAFFOLD_SOURCES and the user config file are read too.",
        ),
    ] = None,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust",
            help="Let blueprints run code (copier tasks, migrations, jinja extensions). "
            "Without it such a blueprint stops the check with exit code 3.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Generate projects with a blueprint and check each: render, ruff, format, pytest.

    The projects: the blueprint alone (with what it requires), with each built-in blueprint it
    does not conflict with, and with all of those at once. Their tests run in a virtual
    environment scaffold makes with uv and caches, holding the union of the projects'
    requirements (the first check downloads them; the next ones with the same requirements
    start at once). The other blueprints come from the same sources and trust as for every
    command. Exit 0: every combination passes; 1: a check failed or the requirements could not
    be installed; 2: the folder or manifest is invalid; 3: the blueprint runs code (copier
    tasks, jinja extensions) and --trust was not given.

    Examples:
      scaffold blueprint check org-blueprints/acme-auth

      scaffold blueprint check org-blueprints/acme-auth --no-run --json

    """
    from scaffold.boundary import error_boundary

    with error_boundary(as_json=as_json):
        from scaffold.authoring import check_document, plan_check, run_check
        from scaffold.sources import load_settings

        settings = load_settings(flags=tuple(source or ()), trust=trust)
        plan = plan_check(path, with_names=tuple(with_blueprints or ()), settings=settings)
        with _workdir(keep=keep, as_json=as_json) as workdir, _progress(plan, as_json) as report:
            results = run_check(
                plan,
                workdir,
                run_tests=not no_run,
                timeout=timeout,
                workers=jobs,
                on_done=report.done,
                prepare=report.prepare,
            )
        if as_json:
            document = check_document(plan, results, run_tests=not no_run)
            typer.echo(json.dumps(document, indent=2))
        else:
            _print_results(plan, results, ran_tests=not no_run)
        if not all(result.ok for result in results):
            raise typer.Exit(EXIT_CHECK_FAILED)


@contextlib.contextmanager
def _workdir(*, keep: bool, as_json: bool) -> Iterator[Path]:
    """Provide a private folder for the generated projects; removed afterwards unless ``keep``."""
    import tempfile

    if not keep:
        with tempfile.TemporaryDirectory(prefix="scaffold-blueprint-check-") as temporary:
            yield Path(temporary)
        return
    kept = Path(tempfile.mkdtemp(prefix="scaffold-blueprint-check-"))
    if not as_json:
        from rich.markup import escape

        from scaffold.console import err_console

        err_console().print(f"[cyan]note:[/] the projects are kept in {escape(str(kept))}")
    yield kept


@dataclass(frozen=True)
class _Reporter:
    """What the check tells its user: each finished combination, and the test environment."""

    done: Callable[[CombinationResult], None] | None = None
    step: Callable[[str], None] | None = None

    def prepare(self, requirements: list[str]) -> Path:
        """Make (or reuse) the environment for the tests, saying what it does meanwhile."""
        from scaffold.check_env import ensure_environment

        return ensure_environment(requirements, on_step=self.step)


@contextlib.contextmanager
def _progress(plan: CheckPlan, as_json: bool) -> Iterator[_Reporter]:
    """Report progress: a live spinner and bar in a terminal, one line each otherwise."""
    if as_json:
        yield _Reporter()
        return
    from rich.markup import escape

    from scaffold.console import err_console

    console = err_console()
    if not console.is_terminal:  # CI logs: a line per event, no redrawn bar

        def line(result: CombinationResult) -> None:
            verdict = "ok" if result.ok else "FAILED"
            name = escape(result.combination.name)
            console.print(f"checked {name}: {verdict} ({result.seconds:.1f}s)", soft_wrap=True)

        def step(what: str) -> None:
            console.print(f"test environment: {escape(what)}", soft_wrap=True, highlight=False)

        yield _Reporter(done=line, step=step)
        return
    with _live_progress(console, escape(plan.blueprint.name), len(plan.combinations)) as reporter:
        yield reporter


@contextlib.contextmanager
def _live_progress(console: Console, name: str, total: int) -> Iterator[_Reporter]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    with Progress(
        *columns, MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        task = progress.add_task(f"Checking {name}", total=total)

        def advance(result: CombinationResult) -> None:
            progress.advance(task)
            progress.update(task, description=f"Checking {name} (last: {result.combination.name})")

        def step(what: str) -> None:
            progress.update(task, description=f"Checking {name}: {what}")

        yield _Reporter(done=advance, step=step)


_CELL = {"passed": "[green]ok[/]", "failed": "[bold red]FAIL[/]", "skipped": "[dim]skipped[/]"}


def _print_results(
    plan: CheckPlan, results: Sequence[CombinationResult], *, ran_tests: bool
) -> None:
    from rich.markup import escape
    from rich.table import Table

    from scaffold.authoring import STEPS
    from scaffold.console import out_console

    manifest = plan.blueprint.manifest
    title = f"{escape(manifest.name)} {manifest.version}: {len(results)} combinations"
    table = Table(title=title, title_justify="left")
    table.add_column("combination", overflow="fold")
    for step in STEPS:
        table.add_column(step)
    table.add_column("seconds", justify="right")
    for result in results:
        cells = [_CELL[result.steps[step].status] for step in STEPS]
        table.add_row(escape(result.combination.name), *cells, f"{result.seconds:.1f}")
    console = out_console()
    console.print(table)
    failed = [result for result in results if not result.ok]
    for result in failed:
        for step in STEPS:
            outcome = result.steps[step]
            if outcome.status == "failed":
                console.print(f"\n[bold red]FAIL[/] {escape(result.combination.name)}: {step}")
                console.print(escape(outcome.output), soft_wrap=True, highlight=False)
    if failed:
        names = ", ".join(escape(result.combination.name) for result in failed)
        console.print(f"\n[bold red]{len(failed)} of {len(results)} failed:[/] {names}")
        return
    skipped = "" if ran_tests else " (tests not run: --no-run)"
    console.print(f"\n[green]ok:[/] every combination passes{skipped}")


reflow_commands(blueprint_app)
