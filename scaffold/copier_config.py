"""Read a copier template's ``copier.yml`` as copier reads it, without trusting it.

copier's loader (``copier._template.load_template_config``) accepts several YAML documents in
one file and a ``!include GLOB`` tag whose matches (relative to the template's folder) are read
as more documents. The documents are then merged: a later document's key replaces an earlier
one's, except ``_exclude``, ``_jinja_extensions``, ``_secret_questions`` and ``_skip_if_exists``,
whose lists are joined in document order. This module reads the file the same way, so that the
manifest scaffold builds from the questions is the configuration copier renders with, and:

* loads with PyYAML's safe loader: any tag but ``!include`` (``!!python/...``) is refused, not
  constructed;
* refuses an include that is absolute, climbs with ``..``, or resolves (through a link) outside
  the template's folder, before copier is ever started;
* refuses an include cycle, includes nested deeper than :data:`_MAX_DEPTH`, and more than
  :data:`_MAX_FILES` included files (copier would recurse until Python's stack ran out).

Every refusal is a one-line :class:`BlueprintError`.
"""

from __future__ import annotations

from collections import ChainMap
from pathlib import Path, PurePosixPath
from typing import Any

from scaffold.errors import BlueprintError

# copier joins these lists across documents instead of letting the last document win
MERGED_SETTINGS = ("_exclude", "_jinja_extensions", "_secret_questions", "_skip_if_exists")
_MAX_DEPTH = 16
_MAX_FILES = 256
_HINT = "copier.yml may use !include only for files inside the template, and no other YAML tag"


class _IncludeError(Exception):
    """An include scaffold will not follow; the message is the one line to show."""


class _ShapeError(Exception):
    """Documents copier could not merge; the message is the one line to show."""


class _Includes:
    """The state of one read: the template's folder, the files being read, the count so far."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.reading: list[Path] = []
        self.count = 0

    def files(self, pattern: str) -> list[Path]:
        """Return the files ``pattern`` names, in copier's order; refuse any outside the root."""
        parts = PurePosixPath(pattern).parts
        if not pattern.strip() or PurePosixPath(pattern).is_absolute():
            msg = f"!include {pattern!r} is not a relative path inside the template"
            raise _IncludeError(msg)
        if ".." in parts:
            msg = f"!include {pattern} climbs out of the template folder with '..'"
            raise _IncludeError(msg)
        try:
            # copier's own call, unsorted: both orders are the file system's, so both agree
            found = list(self.root.glob(pattern))
        except (ValueError, OSError) as error:
            msg = f"!include {pattern} is not a pattern copier can read ({error})"
            raise _IncludeError(msg) from None
        resolved = []
        for match in found:
            real = match.resolve()
            if not real.is_relative_to(self.root):
                relative = match.relative_to(self.root).as_posix()
                msg = f"!include {pattern} reaches {relative}, a link outside the template folder"
                raise _IncludeError(msg)
            if not real.is_file():
                relative = match.relative_to(self.root).as_posix()
                msg = f"!include {pattern} names {relative}, which is not a file"
                raise _IncludeError(msg)
            resolved.append(real)
        return resolved

    def enter(self, path: Path) -> None:
        """Start reading ``path``; refuse a cycle, a chain too deep, too many files."""
        relative = path.relative_to(self.root).as_posix()
        if path in self.reading:
            msg = f"!include of {relative} includes itself (an include cycle)"
            raise _IncludeError(msg)
        if len(self.reading) >= _MAX_DEPTH:
            msg = f"!include of {relative} is nested more than {_MAX_DEPTH} deep"
            raise _IncludeError(msg)
        self.count += 1
        if self.count > _MAX_FILES:
            msg = f"copier.yml includes more than {_MAX_FILES} files"
            raise _IncludeError(msg)
        self.reading.append(path)


def _flatten(value: Any) -> list[Any]:
    """Flatten nested lists as copier does (funcy's ``lflatten``): documents, includes."""
    if not isinstance(value, list | tuple):
        return [value]
    return [item for inner in value for item in _flatten(inner)]


def _documents(data: bytes, loader: type[Any]) -> list[Any]:
    import yaml

    return _flatten([doc for doc in yaml.load_all(data, Loader=loader) if doc])


def _loader(includes: _Includes) -> type[Any]:
    """Return a safe loader that knows ``!include`` (a new class: SafeLoader stays untouched)."""
    import yaml

    loader_class: type[Any] = type("CopierLoader", (yaml.SafeLoader,), {})

    def include(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
        if not isinstance(node, yaml.ScalarNode):
            msg = "!include takes one path or glob, not a list or mapping"
            raise _IncludeError(msg)
        documents: list[Any] = []
        for path in includes.files(str(loader.construct_scalar(node))):
            includes.enter(path)
            try:
                documents.extend(_documents(path.read_bytes(), type(loader)))
            finally:
                includes.reading.pop()
        return documents

    loader_class.add_constructor("!include", include)
    return loader_class


def merge_documents(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge copier.yml's documents as copier does: the last wins, four settings are joined."""
    merged: dict[str, list[Any]] = {}
    for key in MERGED_SETTINGS:
        for document in documents:
            if key in document:
                value = document[key]
                if not isinstance(value, list | tuple | str):
                    msg = f"{key} must be a list, not {type(value).__name__}"
                    raise _ShapeError(msg)
                merged.setdefault(key, []).extend(value)
    return dict(ChainMap(merged, *reversed(documents)))


def read_copier_config(path: Path) -> dict[str, Any]:
    """Parse copier.yml safely, with its documents and ``!include`` files merged as copier does.

    YAML tags other than ``!include`` (``!!python/...``) are refused, not constructed; an
    include that leaves the template's folder is refused.
    """
    import yaml

    root = path.parent.resolve()
    try:
        documents = _documents(path.read_bytes(), _loader(_Includes(root)))
        for document in documents:
            if not isinstance(document, dict):
                msg = "must hold mappings of questions and settings"
                raise _ShapeError(msg)
        return merge_documents(documents)
    except yaml.YAMLError as error:
        first = str(error).strip().splitlines()[0]
        msg = f"{path} cannot be read safely: {first}"
        raise BlueprintError(msg, hint=_HINT) from None
    except _ShapeError as error:
        msg = f"{path}: {error}"
        raise BlueprintError(msg, hint="fix the copier template") from None
    except (_IncludeError, OSError, RecursionError) as error:
        msg = f"{path}: {error}"
        raise BlueprintError(msg, hint=_HINT) from None
