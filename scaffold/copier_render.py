"""Copier templates as blueprints: a manifest read from ``copier.yml``, files from ``run_copy``.

A folder holding ``copier.yml`` (or ``copier.yaml``) is a blueprint whose files copier renders:
scaffold calls copier's public API, ``run_copy``, with the blueprint's options and the project's
context as answers, so copier's sandbox, its ``_subdirectory``/``_exclude`` handling and its
trust gate (tasks, migrations and jinja extensions need ``unsafe=True``) all apply. The output
lands in a private temporary folder and is read back into scaffold's in-memory tree; nothing
reaches the project before the whole result is known.

copier runs in a child process (``python -m scaffold.copier_render``) with a deadline and a
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scaffold.errors import BlueprintError, TrustError

if TYPE_CHECKING:
    from scaffold.compose import Selected

COPIER_FILES = ("copier.yml", "copier.yaml")
_TYPES = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "yaml": "str",
    "json": "str",
}
_DEFAULT_TIMEOUT = 60.0
_MEMORY_LIMIT = 2 * 1024**3
_EXIT_UNSAFE = 3


def copier_file(folder: Path) -> Path | None:
    """Return the folder's copier.yml, when it is a copier template."""
    for name in COPIER_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def read_copier_config(path: Path) -> dict[str, Any]:
    """Parse copier.yml safely: YAML tags (``!!python/...``) are refused, not constructed."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0]
        msg = f"{path} cannot be read safely: {first}"
        raise BlueprintError(
            msg, hint="copier.yml may not use YAML tags or !include here"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        msg = f"{path} must be a mapping of questions and settings"
        raise BlueprintError(msg)
    return data


def blueprint_name_for(text: str) -> str:
    """Derive a blueprint name from a folder or repository name (``Acme_Svc.git`` -> acme-svc)."""
    stem = Path(text.rstrip("/")).name.removesuffix(".git").lower()
    name = re.sub(r"[^a-z0-9_-]+", "-", stem).strip("-_")
    return name if re.match(r"^[a-z]", name) else f"t-{name}"


def _option(question: dict[str, Any]) -> dict[str, Any]:
    option: dict[str, Any] = {"type": _TYPES.get(str(question.get("type", "str")), "str")}
    choices = question.get("choices")
    if isinstance(choices, list) and all(isinstance(c, str) for c in choices):
        option = {"type": "choice", "choices": choices}
    elif isinstance(choices, dict):
        option = {"type": "choice", "choices": [str(v) for v in choices.values()]}
    default = question.get("default")
    if default is not None and not (isinstance(default, str) and "{{" in default):
        option["default"] = default
    if question.get("help"):
        option["help"] = str(question["help"])
    return option


def manifest_data(config: dict[str, Any], *, name: str, version: str | None) -> dict[str, Any]:
    """Build the data of a ``BlueprintManifest`` from copier's questions."""
    options = {}
    for key, question in config.items():
        if key.startswith("_"):
            continue
        spec = question if isinstance(question, dict) else {"default": question}
        options[key] = _option(spec)
    message = config.get("_message_before_copy")
    summary = str(message).strip().splitlines()[0] if message else f"copier template {name}"
    return {"name": name, "summary": summary, "version": version or "0", "options": options}


def unsafe_features(config: dict[str, Any]) -> list[str]:
    """List what in copier.yml runs code; copier refuses these unless trusted."""
    return [
        label
        for key, label in (
            ("_tasks", "tasks"),
            ("_migrations", "migrations"),
            ("_jinja_extensions", "jinja extensions"),
        )
        if config.get(key)
    ]


def render_blueprint(item: Selected, context: dict[str, Any]) -> dict[str, bytes]:
    """Render one selected copier blueprint with its options and the project's context.

    Answers are the blueprint's options plus what every scaffold template knows (``project``,
    ``package``, ``blueprints``), so a copier template can name the package it extends.
    """
    blueprint = item.blueprint
    config_path = copier_file(blueprint.root)
    if config_path is None:  # loaded as copier, so the file was there; it went away since
        msg = f"blueprint '{item.name}' lost its copier.yml"
        raise BlueprintError(msg)
    features = unsafe_features(read_copier_config(config_path))
    if features and not blueprint.trusted:
        # copier's own gate would refuse too (run_copy(unsafe=False)); saying it here is quicker
        # and names the source to trust.
        msg = f"blueprint '{item.name}' from {blueprint.source} runs code ({', '.join(features)})"
        hint = "review it, then pass --trust or list its source under 'trusted' in your config"
        raise TrustError(msg, hint=hint)
    answers = {
        "project_name": context["project"]["name"],
        "project": context["project"],
        "package": context["package"],
        "blueprints": list(context["blueprints"]),
        **{key: value for key, value in item.options.items() if value is not None},
    }
    return render_copier(blueprint.root, answers, trusted=blueprint.trusted, origin=item.name)


def render_copier(
    folder: Path, answers: dict[str, Any], *, trusted: bool, origin: str
) -> dict[str, bytes]:
    """Render the template at ``folder`` with ``answers`` through copier; return its files."""
    with tempfile.TemporaryDirectory(prefix="scaffold-copier-") as work:
        destination = Path(work) / "out"
        destination.mkdir()  # copier's tasks run in it, even when the template has no files
        request = {
            "src": str(folder),
            "dst": str(destination),
            "data": answers,
            "unsafe": trusted,
        }
        timeout = float(os.environ.get("SCAFFOLD_RENDER_TIMEOUT") or _DEFAULT_TIMEOUT)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "scaffold.copier_render"],
                input=json.dumps(request),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            msg = f"blueprint '{origin}': copier did not finish within {timeout:.0f} s"
            raise BlueprintError(msg, hint="the template loops or expands without bound") from None
        _raise_for(done, origin)
        return _read_tree(destination, origin)


def _raise_for(done: subprocess.CompletedProcess[str], origin: str) -> None:
    if done.returncode == 0:
        return
    lines = done.stderr.strip().splitlines() or ["copier failed"]
    if done.returncode == _EXIT_UNSAFE:
        msg = f"blueprint '{origin}' runs code ({lines[-1]})"
        hint = "review it, then pass --trust or list its source under 'trusted' in your config"
        raise TrustError(msg, hint=hint)
    msg = f"blueprint '{origin}': copier failed: {lines[-1]}"
    raise BlueprintError(msg, hint="fix the copier template")


def _read_tree(destination: Path, origin: str) -> dict[str, bytes]:
    from scaffold.render import safe_relative_path

    tree: dict[str, bytes] = {}
    if not destination.is_dir():
        return tree
    for path in sorted(destination.rglob("*")):
        relative = path.relative_to(destination).as_posix()
        if path.is_symlink():
            msg = f"blueprint '{origin}' renders a symbolic link {relative}"
            raise BlueprintError(msg, hint="blueprints may not contain links")
        if not path.is_file() or relative == ".copier-answers.yml":
            continue  # scaffold's record, not copier's answers file, remembers the choices
        tree[safe_relative_path(relative, origin=f"{origin}/{relative}")] = path.read_bytes()
    return tree


def _limit_memory() -> None:
    import resource

    with contextlib.suppress(ValueError, OSError):  # a lower hard limit is already stricter
        resource.setrlimit(resource.RLIMIT_AS, (_MEMORY_LIMIT, _MEMORY_LIMIT))


def _worker() -> int:
    """Run copier once, as the child process, and exit 0, 3 (untrusted code) or 1."""
    _limit_memory()
    request = json.loads(sys.stdin.read())
    import copier
    from copier.errors import UnsafeTemplateError

    try:
        copier.run_copy(
            request["src"],
            request["dst"],
            data=request["data"],
            defaults=True,
            quiet=True,
            unsafe=request["unsafe"],
            overwrite=True,
            exclude=["blueprint.toml"],
        )
    except UnsafeTemplateError as error:
        print(str(error).splitlines()[0], file=sys.stderr)
        return _EXIT_UNSAFE
    except MemoryError:
        print("the template needed more memory than allowed", file=sys.stderr)
        return 1
    except Exception as error:  # any copier failure becomes one line for the parent
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(f"{type(error).__name__}: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(_worker())
