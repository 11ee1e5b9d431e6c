"""Three-way merge of a TOML file (``pyproject.toml``) by key, through tomlkit.

scaffold's change between base and new is applied to the owner's document, key by key: a key
scaffold adds is added (a table at the end of its parent), a value scaffold changed is replaced
while the owner left it as scaffold wrote it, a key scaffold drops goes only while it still
holds scaffold's value. Arrays merge by item: scaffold's new items are added (in name order when
the owner's array is sorted) and its dropped items go; in dependency arrays
(``dependencies``, ``optional-dependencies``, ``dependency-groups``, ``requires``) an item is a
requirement, so a package the owner already lists, pinned their way, is not added again.
tomlkit keeps every comment, quote style and the order of what it does not touch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scaffold.dependency_edit import requirement_name
from scaffold.edit import UnsafeEditError

_DEPENDENCY_KEYS = ("dependencies", "optional-dependencies", "dependency-groups", "requires")


@dataclass
class TomlMerge:
    """The merged document and notes for the owner."""

    text: str
    notes: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    return value.unwrap() if hasattr(value, "unwrap") else value


def merge_toml(base: str, ours: str, new: str, *, origin: str) -> TomlMerge | None:
    """Merge three versions of a TOML document; ``None`` when one does not parse."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        base_doc, ours_doc, new_doc = (tomlkit.parse(t) for t in (base, ours, new))
    except (TOMLKitError, ValueError):
        return None
    merge = TomlMerge(text="")
    _merge_table(base_doc, ours_doc, new_doc, path=(), origin=origin, merge=merge)
    merge.text = ours_doc.as_string()
    return merge


def _is_table(value: Any) -> bool:
    return isinstance(_plain(value), dict)


def _merge_table(
    base: Any, ours: Any, new: Any, *, path: tuple[str, ...], origin: str, merge: TomlMerge
) -> None:
    for key in list(base):
        if key not in new and key in ours:
            if _plain(ours[key]) == _plain(base[key]):
                del ours[key]
            else:
                merge.notes.append(f"{origin}: kept {'.'.join((*path, key))}: you changed it")
    for key in new:
        where = (*path, key)
        if key not in ours:
            if key not in base:
                ours[key] = new[key]
            continue  # the owner removed it: theirs to decide
        was = base.get(key)  # tomlkit's tables are Mappings: ``base[key]``, or None if absent
        _merge_value(was, ours, key, new[key], path=where, origin=origin, merge=merge)


def _merge_value(
    base: Any,
    ours: Any,
    key: str,
    new: Any,
    *,
    path: tuple[str, ...],
    origin: str,
    merge: TomlMerge,
) -> None:
    owners = ours[key]
    if _is_table(owners) and _is_table(new):
        base_table = base if base is not None else {}
        _merge_table(base_table, owners, new, path=path, origin=origin, merge=merge)
        return
    if isinstance(_plain(owners), list) and isinstance(_plain(new), list):
        was = _plain(base) if base is not None and isinstance(_plain(base), list) else []
        _merge_array(was, owners, _plain(new), path=path, origin=origin, merge=merge)
        return
    if _plain(owners) == _plain(new) or (base is not None and _plain(new) == _plain(base)):
        return
    if base is not None and _plain(owners) == _plain(base):
        ours[key] = new
        return
    msg = (
        f"{origin}: you and scaffold both set {'.'.join(path)} "
        f"(yours: {_plain(owners)!r}, scaffold's: {_plain(new)!r})"
    )
    raise UnsafeEditError(msg, hint="set it by hand to the value you want, and run again")


def _merge_array(
    base: list[Any],
    ours: Any,
    new: list[Any],
    *,
    path: tuple[str, ...],
    origin: str,
    merge: TomlMerge,
) -> None:
    requirements = any(part in _DEPENDENCY_KEYS for part in path)
    for item in [item for item in base if item not in new]:
        owned = _plain(ours)
        if item in owned:
            del ours[owned.index(item)]
    for item in [item for item in new if item not in base]:
        owned = _plain(ours)
        if item in owned:
            continue
        if requirements and isinstance(item, str):
            names = [requirement_name(o) for o in owned if isinstance(o, str)]
            if requirement_name(item) in names:
                merge.notes.append(
                    f"{origin}: kept your requirement for {requirement_name(item)} in "
                    f"{'.'.join(path)} (scaffold's: {item})"
                )
                continue
            if names == sorted(names):
                position = sum(name < requirement_name(item) for name in names)
                ours.insert(position, item)
                continue
        ours.append(item)
