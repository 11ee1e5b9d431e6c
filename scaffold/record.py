"""What a generated project remembers about how it was made: ``.scaffold/project.toml``.

The record is small, readable and tracked with the project, so later commands work offline
and after a fresh clone. Format (version 1)::

    [scaffold]
    format = 1                  # the record's own format version
    version = "0.1.0"           # scaffold's version when the project was last generated

    [project]
    name = "my-api"
    description = "..."
    python = "3.11"

    [blueprints.websockets]     # one table per blueprint, in resolution order
    version = "1.0.0"
    source = "built-in"
    automatic = false           # true when added because another blueprint requires it
    options = { allowed_origins = [] }
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scaffold.compose import Selection
    from scaffold.models import ProjectSpec

RECORD_PATH = ".scaffold/project.toml"
RECORD_FORMAT = 1


def _toml_value(value: Any) -> str:
    """Render a scalar or a list as TOML; JSON's spelling of these is valid TOML."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def render_record(spec: ProjectSpec, selection: Selection, scaffold_version: str) -> bytes:
    """Render the record of a generation run."""
    lines = [
        "# Written by scaffold: how this project was generated. Keep it under version control.",
        "[scaffold]",
        f"format = {RECORD_FORMAT}",
        f"version = {_toml_value(scaffold_version)}",
        "",
        "[project]",
        f"name = {_toml_value(spec.name)}",
        f"description = {_toml_value(spec.description)}",
        f"python = {_toml_value(spec.python)}",
    ]
    for item in selection.items:
        options = {k: v for k, v in item.options.items() if v is not None}
        lines += [
            "",
            f"[blueprints.{item.name}]",
            f"version = {_toml_value(item.blueprint.manifest.version)}",
            f"source = {_toml_value(item.blueprint.source)}",
            f"automatic = {_toml_value(item.automatic)}",
            f"options = {_toml_value(options)}",
        ]
    return ("\n".join(lines) + "\n").encode("utf-8")
