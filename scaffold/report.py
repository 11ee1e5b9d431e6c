"""What people see: the tree of a generated project, its next steps, the blueprint listing."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from scaffold.console import out_console

if TYPE_CHECKING:
    from scaffold.catalog import Catalog
    from scaffold.pipeline import Generated
    from scaffold.plan import Plan
    from scaffold.project import Project
    from scaffold.status import Drift, Status


def _file_tree(label: str, paths: list[str]) -> Tree:
    root = Tree(label, guide_style="dim")
    folders: dict[str, Tree] = {"": root}
    for path in sorted(paths, key=lambda p: (p.count("/") == 0, p)):
        parent = ""
        for part in path.split("/")[:-1]:
            key = f"{parent}/{part}" if parent else part
            if key not in folders:
                folders[key] = folders[parent].add(f"[bold blue]{escape(part)}/[/]")
            parent = key
        folders[parent].add(escape(path.rsplit("/", 1)[-1]))
    return root


def print_generated(generated: Generated) -> None:
    """Show the written tree, the blueprints added automatically and the next steps."""
    console = out_console()
    for item in generated.selection.automatic:
        console.print(
            f"[cyan]note:[/] added [bold]{item.name}[/], which another chosen blueprint requires"
        )
    verb = "Would write" if not generated.written else "Created"
    names = ", ".join(generated.selection.names)
    console.print(
        f"{verb} [bold]{escape(str(generated.destination))}[/] "
        f"({len(generated.files)} files; blueprints: {names})"
    )
    console.print(
        _file_tree(f"[bold]{escape(generated.destination.name)}/[/]", list(generated.files))
    )
    if not generated.written:
        console.print("[yellow]Dry run: nothing was written.[/]")
        return
    console.print("\n[bold]Next steps[/]")
    for step in next_steps(generated, uv=shutil.which("uv") is not None):
        console.print(f"  {escape(step)}")


def next_steps(generated: Generated, *, uv: bool) -> list[str]:
    """List the commands that install, serve and test the project: with uv when it is there."""
    cd = f"cd {generated.destination}"
    adopted = generated.adopted
    if adopted is not None:  # new --from: the template's app, installed as its README says
        source_root = adopted.package_dir[: -len(adopted.package)].rstrip("/")
        module = adopted.module.removeprefix(f"{source_root}/" if source_root else "")
        dotted = module.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        where = f"{cd}/{source_root}" if source_root else cd
        return [
            where,
            "install it as the template's README says",
            f"uvicorn {dotted}:{adopted.app} --reload",
        ]
    if uv:
        return [cd, "uv sync", "uv run fastapi dev", "uv run pytest && uv run ruff check ."]
    package = generated.spec.package
    return [
        cd,
        "python -m venv .venv && . .venv/bin/activate",
        "pip install -e '.[dev]'",
        f"fastapi dev                    # or: uvicorn {package}.main:app",
        "pytest && ruff check .",
    ]


def print_catalog(catalog: Catalog) -> None:
    """Show every blueprint with its version, summary and relations."""
    table = Table(title="Blueprints", title_justify="left", show_lines=False)
    table.add_column("name", style="bold")
    table.add_column("version")
    table.add_column("summary")
    table.add_column("notes", style="dim")
    for blueprint in catalog:
        manifest = blueprint.manifest
        notes = []
        if manifest.always:
            notes.append("always")
        elif manifest.default:
            notes.append("default")
        if manifest.requires:
            notes.append("requires " + ", ".join(manifest.requires))
        if manifest.options:
            notes.append("options: " + ", ".join(manifest.options))
        if blueprint.source != "built-in":
            notes.append(f"from {blueprint.source}")
        table.add_row(
            manifest.name, manifest.version, escape(manifest.summary), escape("; ".join(notes))
        )
    out_console().print(table)


_OUTCOME_STYLE = {
    "new": "green",
    "replaced": "cyan",
    "merged": "blue",
    "conflict": "bold red",
    "deleted": "magenta",
    "kept": "dim",
    "unchanged": "dim",
    "migrated": "yellow",
}


def _print_diff(path: str, before: bytes | None, after: bytes | None) -> None:
    import difflib

    from rich.text import Text

    def lines(content: bytes | None) -> list[str]:
        return [] if content is None else content.decode("utf-8").splitlines(keepends=True)

    try:
        before_lines, after_lines = lines(before), lines(after)
    except UnicodeDecodeError:
        out_console().print(Text(f"Binary file {path} changed", style="bold"))
        return

    diff = difflib.unified_diff(before_lines, after_lines, fromfile=f"a/{path}", tofile=f"b/{path}")
    console = out_console()
    for line in diff:
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        if line.startswith(("@@", "+++", "---")):
            style = "cyan" if line.startswith("@@") else "bold"
        console.print(Text(line.rstrip("\n"), style=style), soft_wrap=True)


def print_plan(plan: Plan, *, dry_run: bool) -> None:
    """Show what a change did (or, dry, would do), file by file, with diffs when dry."""
    console = out_console()
    for note in plan.notes:
        console.print(f"[cyan]note:[/] {escape(note)}")
    changes = plan.changes
    if not changes:
        console.print("Nothing to change: the project is up to date with these blueprints.")
        return
    if dry_run:
        for merge in changes:
            _print_diff(merge.path, merge.before, merge.content)
    table = Table(title="Would change" if dry_run else "Changed", title_justify="left")
    table.add_column("file")
    table.add_column("outcome")
    for merge in changes:
        style = _OUTCOME_STYLE[merge.outcome]
        table.add_row(escape(merge.path), f"[{style}]{merge.outcome}[/]")
    console.print(table)
    if plan.conflicts:
        console.print(
            f"[bold red]{len(plan.conflicts)} file(s) have conflicts[/] "
            "(marked <<<<<<< yours / >>>>>>> scaffold): " + ", ".join(plan.conflicts)
        )
    if dry_run:
        console.print("[yellow]Dry run: nothing was written.[/]")


def print_status(project: Project, status: Status) -> None:
    """Show blueprints with versions and the generated files the owner edited."""
    console = out_console()
    table = Table(title=f"{escape(project.record.name)}: blueprints", title_justify="left")
    for column in ("name", "recorded", "available", "source"):
        table.add_column(column)
    for state in status.blueprints:
        available = state.available or "[red]missing[/]"
        if state.available and state.available != state.recorded:
            available = f"[yellow]{state.available}[/]"
        name = state.name + (" [dim](automatic)[/]" if state.automatic else "")
        table.add_row(name, state.recorded, available, escape(state.source))
    console.print(table)
    for label, paths, style in (
        ("edited since generated", status.edited, "blue"),
        ("deleted by you", status.missing, "magenta"),
        ("with conflict markers", status.conflicts, "bold red"),
    ):
        if paths:
            console.print(f"[{style}]Files {label}:[/] " + ", ".join(escape(p) for p in paths))
    if not (status.edited or status.missing):
        console.print("Every generated file is as scaffold wrote it.")


def print_check(project: Project, drift: list[Drift]) -> None:
    """Show the result of ``check``."""
    console = out_console()
    if not drift:
        console.print(f"[green]ok:[/] {escape(project.record.name)} has not drifted.")
        return
    console.print(f"[bold red]drift:[/] {len(drift)} finding(s) in {escape(project.record.name)}")
    for item in drift:
        where = item.path or item.blueprint or ""
        console.print(f"  [red]{item.kind}[/] {escape(where)}: {escape(item.detail)}")
