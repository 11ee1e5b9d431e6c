"""Where blueprints come from: source specs, their precedence, and which of them are trusted.

A source spec is one string, as typed after ``--source`` or written in a config file::

    ./blueprints                    a local folder of blueprint folders (or one blueprint)
    gh:acme/blueprints@v1.4.0       a GitHub repository at a tag (gl: for GitLab)
    https://git.acme.io/bp.git      any git URL; without @REF the newest version tag is used
    /srv/git/blueprints.git@v2.0.0  a local git repository at a tag (or a commit)
    git+/srv/git/blueprints         a local git repository, newest tag
    pkg:acme                        an installed package's entry point in 'scaffold.blueprints'
    middleware=gh:acme/bp           a pinned source: 'middleware' is taken from it, even when
                                    another source offers a blueprint of that name too

Sources come in layers, highest first: ``--source`` flags, ``SCAFFOLD_SOURCES`` (specs separated
by whitespace), the project file (``[tool.scaffold]`` in the project's ``pyproject.toml``), the
project's record (the source each blueprint came from), the user file
(``~/.config/scaffold/config.toml``, or ``SCAFFOLD_CONFIG``), and the defaults: the built-in
blueprints and every installed entry point. The same source named in several layers is one
source; its ``@REF`` comes from the highest layer that gives one.

A blueprint that runs code (copier tasks, migrations, jinja extensions) needs ``--trust``, or a
source that starts with a prefix listed under ``trusted`` in the user's config file or in
``SCAFFOLD_TRUSTED``. A prefix followed by ``..`` (also percent-encoded) is not trusted. Trust
comes only from the person running scaffold: a ``trusted`` list in the project's own
``pyproject.toml`` is ignored, since anyone who can open a pull request can write it
(docs/security.md).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from scaffold.errors import BlueprintError

SourceKind = Literal["builtin", "folder", "git", "package"]
Layer = Literal["flag", "env", "project", "record", "user", "default"]
BUILTIN = "built-in"
ENTRY_POINT_GROUP = "scaffold.blueprints"
_URL_SCHEME = re.compile(r"^(https?|ssh|git|file)://", re.IGNORECASE)
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")  # git@github.com:org/repo
_PIN = re.compile(r"^([a-z][a-z0-9_-]*)=(.+)$")
_HOSTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


@dataclass(frozen=True)
class Source:
    """One place blueprints come from."""

    kind: SourceKind
    location: str  # folder: an absolute path; git: a URL or path; package: an entry-point name
    ref: str | None = None  # git only: the tag or commit asked for; None means the newest tag
    commit: str | None = None  # git only: the commit a project's record knows for ``ref``
    pins: frozenset[str] = frozenset()  # blueprint names this source wins for
    layer: Layer = "flag"
    spelling: str = ""  # how it is recorded in a project (the spec without @REF)

    @property
    def key(self) -> tuple[str, str]:
        """What makes two mentions the same source, whatever ref they ask for."""
        return (self.kind, self.location)

    @property
    def label(self) -> str:
        """The source as a person would name it in a message."""
        text = self.spelling or self.location
        return f"{text}@{self.ref}" if self.ref else text


BUILTIN_SOURCE = Source("builtin", BUILTIN, layer="default", spelling=BUILTIN)


def _split_ref(text: str) -> tuple[str, str | None]:
    """Split ``location@ref``; an ``@`` before the last ``/`` belongs to the location."""
    head, slash, tail = text.rpartition("/")
    if "@" not in tail:
        return text, None
    name, _, ref = tail.rpartition("@")
    if not name or not ref:
        return text, None
    return f"{head}{slash}{name}", ref


def _is_git_repository(path: Path) -> bool:
    return (path / ".git").exists() or _is_bare(path)


def parse_source(text: str, *, base: Path, layer: Layer = "flag") -> Source:
    """Parse one source spec; relative paths are taken from ``base``."""
    spec = text.strip()
    if not spec:
        msg = "an empty blueprint source was given"
        raise BlueprintError(msg, hint="name a folder, a git URL or pkg:NAME")
    pin = _PIN.match(spec)
    if pin and not _URL_SCHEME.match(spec):
        inner = parse_source(pin.group(2), base=base, layer=layer)
        return replace(inner, pins=inner.pins | {pin.group(1)})
    if spec.startswith("-"):  # would reach git as an option
        msg = f"blueprint source '{spec}' starts with '-'"
        raise BlueprintError(msg, hint="write ./ before a folder whose name starts with '-'")
    if spec == BUILTIN:
        return replace(BUILTIN_SOURCE, layer=layer)
    if spec.startswith("pkg:"):
        return Source("package", spec.removeprefix("pkg:"), layer=layer, spelling=spec)
    return _parse_location(spec, base=base, layer=layer)


def _parse_location(spec: str, *, base: Path, layer: Layer) -> Source:
    for prefix, host in _HOSTS.items():
        if spec.startswith(prefix):
            location, ref = _split_ref(spec)
            url = host + location.removeprefix(prefix).removesuffix(".git") + ".git"
            return Source("git", url, ref, layer=layer, spelling=location)
    if spec.startswith("git+"):
        location, ref = _split_ref(spec.removeprefix("git+"))
        if not (_URL_SCHEME.match(location) or _SCP_LIKE.match(location)):
            location = str(_local(base, location))
        return Source("git", location, ref, layer=layer, spelling=f"git+{location}")
    if _URL_SCHEME.match(spec) or _SCP_LIKE.match(spec):
        location, ref = _split_ref(spec)
        return Source("git", location, ref, layer=layer, spelling=location)
    location, ref = _split_ref(spec)
    path = _local(base, location)
    if ref is not None and _is_git_repository(path):
        return Source("git", str(path), ref, layer=layer, spelling=f"git+{path}")
    if ref is None and not (path / "blueprint.toml").exists() and _is_bare(path):
        return Source("git", str(path), None, layer=layer, spelling=f"git+{path}")
    # A folder whose name holds '@' (and is not a repository) is still a folder.
    folder = _local(base, spec)
    return Source("folder", str(folder), layer=layer, spelling=str(folder))


def _local(base: Path, text: str) -> Path:
    """Return an absolute, normalised path: ``proj/../bp`` and ``bp`` are one source."""
    return Path(os.path.normpath(base.absolute() / text))  # base may be "." (-C default)


def _is_bare(path: Path) -> bool:
    """Tell whether ``path`` is a bare repository: it can only be meant as a git source."""
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def split_specs(text: str) -> list[str]:
    """Split ``SCAFFOLD_SOURCES``-style text: specs separated by whitespace or commas."""
    return [part for part in re.split(r"[\s,]+", text) if part]


# --- configuration layers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Sources and trust, merged from every layer in precedence order."""

    sources: tuple[Source, ...] = ()
    trusted: tuple[str, ...] = ()  # source prefixes allowed to run code
    trust_all: bool = False  # --trust


def user_config_path() -> Path:
    """``SCAFFOLD_CONFIG``, else ``$XDG_CONFIG_HOME/scaffold/config.toml``."""
    configured = os.environ.get("SCAFFOLD_CONFIG")
    if configured:
        return Path(configured)
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(home) / "scaffold" / "config.toml"


def cache_dir() -> Path:
    """``SCAFFOLD_CACHE_DIR``, else ``$XDG_CACHE_HOME/scaffold``: speed caches, safe to delete."""
    configured = os.environ.get("SCAFFOLD_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scaffold"


def _read_table(path: Path, *, project: bool) -> dict[str, object] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        msg = f"cannot read {path}: {error}"
        raise BlueprintError(msg, hint="fix the file's TOML") from None
    if project:
        tool = data.get("tool", {})
        table = tool.get("scaffold") if isinstance(tool, dict) else None
        return table if isinstance(table, dict) else None
    return data


def _strings(table: dict[str, object], key: str, path: Path) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        msg = f"{path}: '{key}' must be a list of strings"
        raise BlueprintError(msg)
    return list(value)


def _layer_from_file(
    path: Path, *, layer: Layer, project: bool
) -> tuple[list[Source], list[str]] | None:
    table = _read_table(path, project=project)
    if table is None:
        return None
    base = path.parent
    sources = [parse_source(s, base=base, layer=layer) for s in _strings(table, "sources", path)]
    pins = table.get("pins", {})
    if not isinstance(pins, dict) or not all(isinstance(v, str) for v in pins.values()):
        msg = f"{path}: 'pins' must map blueprint names to source specs"
        raise BlueprintError(msg)
    for name, spec in pins.items():
        pinned = parse_source(spec, base=base, layer=layer)
        sources.append(replace(pinned, pins=pinned.pins | {name}))
    return sources, _strings(table, "trusted", path)


def load_settings(
    *,
    flags: tuple[str, ...] = (),
    trust: bool = False,
    project_root: Path | None = None,
    recorded: tuple[Source, ...] = (),
    cwd: Path | None = None,
) -> Settings:
    """Merge the layers: flags, environment, project file, record, user file, defaults."""
    here = cwd or Path.cwd()
    sources = [parse_source(spec, base=here, layer="flag") for spec in flags]
    env_specs = split_specs(os.environ.get("SCAFFOLD_SOURCES", ""))
    sources += [parse_source(spec, base=here, layer="env") for spec in env_specs]
    trusted = split_specs(os.environ.get("SCAFFOLD_TRUSTED", ""))
    if project_root is not None:
        found = _layer_from_file(project_root / "pyproject.toml", layer="project", project=True)
        if found is not None:
            sources += found[0]  # its 'trusted' list is ignored: the project cannot grant trust
    sources += recorded
    found = _layer_from_file(user_config_path(), layer="user", project=False)
    if found is not None:
        sources += found[0]
        trusted += found[1]
    return Settings(tuple(sources), tuple(trusted), trust)


def merge_sources(sources: tuple[Source, ...]) -> list[Source]:
    """Fold mentions of the same source into one, in precedence order.

    The first (highest) mention decides the position and layer; the ref comes from the highest
    mention that gives one; pins add up.
    """
    merged: dict[tuple[str, str], Source] = {}
    for source in sources:
        known = merged.get(source.key)
        if known is None:
            merged[source.key] = source
            continue
        ref, commit = (known.ref, known.commit) if known.ref else (source.ref, source.commit)
        merged[source.key] = replace(known, ref=ref, commit=commit, pins=known.pins | source.pins)
    return list(merged.values())


# --- trust --------------------------------------------------------------------------------------


def _decoded(text: str) -> str:
    """Percent-decode until stable (``%252e`` is ``%2e`` is ``.``) and unify separators."""
    for _ in range(8):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text.replace("\\", "/")


def _climbs(text: str) -> bool:
    return any(part in {"..", "."} for part in re.split(r"[/:]", text))


def is_trusted(source: Source, prefixes: tuple[str, ...]) -> bool:
    """Whether ``source`` falls under one of the trusted ``prefixes``.

    The source's text is decoded first: ``gh:acme/%2e%2e/evil`` climbs out of ``gh:acme/``.
    Anything that climbs (``..`` or ``.`` segments) is never trusted, whatever it would resolve
    to, because different tools resolve it differently.
    """
    candidates = {_decoded(source.location), _decoded(source.spelling or source.location)}
    for text in candidates:
        if _climbs(text):
            return False
    for prefix in prefixes:
        wanted = _decoded(prefix)
        if not wanted or _climbs(wanted):
            continue
        for text in candidates:
            if text == wanted.rstrip("/") or text.startswith(_with_boundary(wanted)):
                return True
            if (
                wanted.startswith(("gh:", "gl:"))
                and _host_form(wanted)
                and (text.startswith(_with_boundary(_host_form(wanted))))
            ):
                return True
    return False


def _with_boundary(prefix: str) -> str:
    """``gh:acme`` must not trust ``gh:acme-evil``: a prefix ends at a separator."""
    return prefix if prefix.endswith(("/", ":")) else prefix + "/"


def _host_form(prefix: str) -> str:
    for short, host in _HOSTS.items():
        if prefix.startswith(short):
            return host + prefix.removeprefix(short)
    return ""
