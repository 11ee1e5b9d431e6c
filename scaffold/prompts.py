"""Interactive choices: a checklist of blueprints, then each chosen blueprint's options.

On a terminal that can draw it, the checklist is an arrow-key checkbox list (questionary, on
prompt_toolkit; imported only here, so only the interactive path pays for it). Where it
cannot (``TERM=dumb``, stderr not a terminal, a console prompt_toolkit does not support) the
numbered table and its prompt serve instead.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.prompt import Confirm, IntPrompt, Prompt
from rich.table import Table

from scaffold.console import err_console

if TYPE_CHECKING:
    from scaffold.catalog import Blueprint, Catalog
    from scaffold.models import OptionSpec


_DUMB_TERMINALS = {"", "dumb", "unknown"}


def _checklist(catalog: Catalog) -> list[str]:
    choosable = [bp for bp in catalog if not bp.manifest.always]
    if _can_draw_checkbox():
        picked = _checkbox(choosable)
        if picked is not None:
            return picked
    return _numbered_checklist(choosable)


def _can_draw_checkbox() -> bool:
    """Tell whether the terminal can show an arrow-key list: both ends a tty, a real TERM."""
    term = os.environ.get("TERM", "dumb" if os.name != "nt" else "windows")
    return sys.stdin.isatty() and sys.stderr.isatty() and term not in _DUMB_TERMINALS


def _checkbox(choosable: list[Blueprint]) -> list[str] | None:
    """Ask with questionary's checkbox on stderr; None when it cannot run here."""
    try:
        import questionary
        from prompt_toolkit.output import create_output
    except ImportError:
        return None
    choices = [
        questionary.Choice(
            title=f"{blueprint.name}: {blueprint.manifest.summary}",
            value=blueprint.name,
            checked=blueprint.manifest.default,
        )
        for blueprint in choosable
    ]
    question = questionary.checkbox(
        "Blueprints (base is always included)",
        choices=choices,
        instruction="(arrows move, space toggles, a: all, i: invert, Enter accepts)",
        output=create_output(stdout=sys.stderr),
    )
    try:
        # unsafe_ask: Ctrl-C raises KeyboardInterrupt, which the CLI's boundary reports.
        answer: list[str] = question.unsafe_ask()
    except (OSError, RuntimeError):  # a console prompt_toolkit cannot drive after all
        return None
    return answer


def _numbered_checklist(choosable: list[Blueprint]) -> list[str]:
    console = err_console()
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
            answer = _ask_option(name, key, spec, given.get(key))
            if key not in given and _is_template(spec.default) and answer == spec.default:
                continue  # Enter on "{{ package | upper }}_": rendered for the project later
            given[key] = answer
        chosen[name] = given
    return {**raw, "blueprints": chosen}


def _is_template(default: Any) -> bool:
    return isinstance(default, str) and "{" in default
