"""Choices from an answers file (YAML or TOML) and from flags, merged into one raw spec.

An answers file may hold::

    description: An API for widgets
    python: "3.12"
    blueprints: [static, websockets]         # or a mapping: name -> its options
    options:
      websockets: {allowed_origins: ["https://example.com"]}

Flags win over the file: ``-b`` adds blueprints, ``-O BLUEPRINT.OPTION=VALUE`` sets options.
"""

from __future__ import annotations

import json
import tomllib
from typing import TYPE_CHECKING, Any

from scaffold.errors import SpecError
from scaffold.untrusted import UnreadableError, read_regular

if TYPE_CHECKING:
    from pathlib import Path

_MAX_ANSWERS_BYTES = 1024 * 1024
_KNOWN_KEYS = {"name", "description", "python", "blueprints", "options"}


def load_answers(path: Path) -> dict[str, Any]:
    """Read an answers file; its format is chosen by its suffix (.toml, else YAML)."""
    try:
        text = read_regular(path, limit=_MAX_ANSWERS_BYTES).decode("utf-8")
    except UnicodeDecodeError as error:
        msg = f"the answers file {path} is not UTF-8 ({error.reason} at byte {error.start})"
        raise SpecError(msg, hint="save it as UTF-8") from None
    except UnreadableError as error:
        msg = f"cannot read the answers file {path}: {error.message.rpartition(': ')[2]}"
        raise SpecError(msg, hint="check the --answers path") from None
    if path.suffix == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except (ValueError, RecursionError) as error:  # TOMLDecodeError is a ValueError
            msg = f"the answers file {path} is not valid TOML: {_why(error)}"
            raise SpecError(msg) from None
    else:
        import yaml  # only answers files need it

        try:
            data = yaml.safe_load(text)  # safe_load: no tags, no Python objects
        except yaml.YAMLError as error:
            problem = str(error).splitlines()[0]
            msg = f"the answers file {path} is not valid YAML: {problem}"
            raise SpecError(msg) from None
        except (ValueError, RecursionError) as error:  # 5000-digit ints, nesting 100k deep
            msg = f"the answers file {path} cannot be read: {_why(error)}"
            raise SpecError(msg) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        msg = f"the answers file {path} must hold a mapping of choices"
        raise SpecError(msg, hint=f"use the keys {', '.join(sorted(_KNOWN_KEYS))}")
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        msg = f"the answers file {path} has an unknown key '{unknown[0]}'"
        raise SpecError(msg, hint=f"known keys: {', '.join(sorted(_KNOWN_KEYS))}")
    return data


def _blueprints_from_answers(answers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    raw = answers.get("blueprints") or []
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        chosen: dict[str, dict[str, Any]] = {name: {} for name in raw}
    elif isinstance(raw, dict):
        bad = [str(name) for name, opts in raw.items() if not isinstance(opts, dict | None)]
        if bad:
            msg = f"options for '{bad[0]}' in the answers file must be a mapping"
            raise SpecError(msg, hint="for example: blueprints: {websockets: {}}")
        chosen = {str(name): dict(opts or {}) for name, opts in raw.items()}
    else:
        msg = "'blueprints' in the answers file must be a list of names or a mapping"
        raise SpecError(msg, hint="for example: blueprints: [static, websockets]")
    options = answers.get("options") or {}
    if not isinstance(options, dict):
        msg = "'options' in the answers file must map blueprint names to their options"
        raise SpecError(msg)
    for name, values in options.items():
        if not isinstance(values, dict):
            msg = f"options for '{name}' in the answers file must be a mapping"
            raise SpecError(msg)
        chosen.setdefault(str(name), {}).update(values)
    return chosen


def parse_option_flag(flag: str) -> tuple[str, str, Any]:
    """Split ``BLUEPRINT.OPTION=VALUE``; a JSON list, table or string is parsed, else it is text.

    As with copier's ``-d``, a scalar stays text until the option's type reads it:
    ``python_version=3.10`` is the string ``3.10`` for a text option, the number for a number.
    """
    target, equals, raw_value = flag.partition("=")
    blueprint, dot, option = target.partition(".")
    if not equals or not dot or not blueprint or not option:
        msg = f"--option '{flag}' is not of the form BLUEPRINT.OPTION=VALUE"
        raise SpecError(msg, hint="for example: -O middleware.gzip_minimum_size=500")
    value: Any = raw_value.strip()
    if value.startswith(("[", "{", '"')):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = raw_value
        except (ValueError, RecursionError) as error:  # 5000 digits; [[[[... nested 100k deep
            msg = f"--option {target}: the value cannot be read ({_why(error)})"
            raise SpecError(msg, hint="give a plain JSON value, a number or a list") from None
    else:
        value = raw_value
    return blueprint.strip(), option.strip(), value


def _why(error: Exception) -> str:
    if isinstance(error, tomllib.TOMLDecodeError):
        return str(error)
    if isinstance(error, RecursionError):
        return "it is nested too deeply"
    return str(error).split(":", maxsplit=1)[0].lower()


def merge_choices(
    answers: dict[str, Any],
    *,
    blueprints: list[str],
    option_flags: list[str],
    description: str | None,
    python: str | None,
) -> dict[str, Any]:
    """Merge an answers file with flags into the raw fields of a ProjectSpec (no name)."""
    chosen = _blueprints_from_answers(answers)
    for name in blueprints:
        chosen.setdefault(name, {})
    for flag in option_flags:
        blueprint, option, value = parse_option_flag(flag)
        chosen.setdefault(blueprint, {})[option] = value
    raw: dict[str, Any] = {"blueprints": chosen}
    for key, value in (("description", description), ("python", python)):
        if value is not None:
            raw[key] = value
        elif key in answers:
            given = answers[key]
            # YAML and TOML read `python: 3.12` as a number; anything else is validated as given.
            numeric = isinstance(given, int | float) and not isinstance(given, bool)
            raw[key] = str(given) if numeric else given
    return raw
