"""Interactive choices: a checklist of blueprints, then each chosen blueprint's options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.prompt import Confirm, IntPrompt, Prompt
from rich.table import Table

from scaffold.console import err_console

if TYPE_CHECKING:
    from scaffold.catalog import Catalog
    from scaffold.models import OptionSpec


def _checklist(catalog: Catalog) -> list[str]:
    console = err_console()
    choosable = [bp for bp in catalog if not bp.manifest.always]
    table = Table(title="Blueprints (base is always included)", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("name", style="bold")
    table.add_column("summary")
    table.add_column("default", justify="center")
    for number, blueprint in enumerate(choosable, start=1):
        mark = "x" if blueprint.manifest.default else ""
        table.add_row(str(number), blueprint.name, escape(blueprint.manifest.summary), mark)
    console.print(table)
    defaults = [bp.name for bp in choosable if bp.manifest.default]
    while True:
        answer = Prompt.ask(
            "Blueprints: numbers or names, comma-separated; 'all'; 'none'; Enter for the defaults",
            default=",".join(defaults),
            console=console,
        ).strip()
        picked = _parse_checklist(answer, [bp.name for bp in choosable])
        if picked is not None:
            return picked
        console.print("[red]Not understood; use numbers or names from the table.[/]")


def _parse_checklist(answer: str, names: list[str]) -> list[str] | None:
    if answer.lower() == "all":
        return names
    if answer.lower() in {"none", ""}:
        return []
    picked = []
    for token in (t.strip() for t in answer.split(",")):
        if token.isdigit() and 1 <= int(token) <= len(names):
            picked.append(names[int(token) - 1])
        elif token in names:
            picked.append(token)
        elif token:
            return None
    return list(dict.fromkeys(picked))


def _ask_option(blueprint: str, key: str, spec: OptionSpec, current: Any) -> Any:
    console = err_console()
    label = f"{blueprint}.{key}" + (f" [dim]({spec.help})[/]" if spec.help else "")
    default = spec.default if current is None else current
    if spec.type == "bool":
        return Confirm.ask(label, default=bool(default), console=console)
    if spec.type == "int":
        return IntPrompt.ask(label, default=default, console=console)
    if spec.type == "choice":
        return Prompt.ask(label, choices=list(spec.choices), default=default, console=console)
    if spec.type == "list[str]":
        text = Prompt.ask(
            label + " (comma-separated)", default=",".join(default or []), console=console
        )
        return [item.strip() for item in text.split(",") if item.strip()]
    return Prompt.ask(label, default=default, console=console)


def ask_choices(catalog: Catalog, raw: dict[str, Any]) -> dict[str, Any]:
    """Ask which blueprints to use and their options; return the updated raw spec."""
    chosen: dict[str, dict[str, Any]] = {}
    for name in _checklist(catalog):
        given = dict(raw["blueprints"].get(name, {}))
        for key, spec in catalog.get(name).manifest.options.items():
            given[key] = _ask_option(name, key, spec, given.get(key))
        chosen[name] = given
    return {**raw, "blueprints": chosen}
