"""What people see: the tree of a generated project, its next steps, the blueprint listing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from scaffold.console import out_console

if TYPE_CHECKING:
    from scaffold.catalog import Catalog
    from scaffold.pipeline import Generated


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
    package = generated.spec.package
    console.print("\n[bold]Next steps[/]")
    console.print(f"  cd {escape(str(generated.destination))}")
    console.print("  python -m venv .venv && . .venv/bin/activate")
    console.print(escape("  pip install -e '.[dev]'"))
    console.print(f"  fastapi dev                    [dim]# or: uvicorn {package}.main:app[/]")
    console.print("  pytest && ruff check .")


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
