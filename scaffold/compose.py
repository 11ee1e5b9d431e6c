"""Resolution and composition: which blueprints, with which options, contributing what.

``resolve`` turns the names a user asked for into an ordered :class:`Selection` (requirements
added and announced, conflicts refused, options validated). ``compose`` gathers every
blueprint's typed contributions into one :class:`Composition`, in a deterministic order, for the
templates of the shared files (``main.py``, ``config.py``, ``pyproject.toml``,
``tests/conftest.py``, the ``docker`` blueprint's ``compose.yaml``) to iterate over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from scaffold.errors import BlueprintError, OptionValueError, ResolutionError, SpecError
from scaffold.models import Contributions, describe_validation_error

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from scaffold.catalog import Blueprint, Catalog
    from scaffold.models import ProjectSpec
    from scaffold.render import Renderer

_C = TypeVar("_C", bound=BaseModel)


@dataclass(frozen=True)
class Selected:
    """A blueprint in the selection with its validated options."""

    blueprint: Blueprint
    options: dict[str, Any]
    automatic: bool  # added because another blueprint requires it

    @property
    def name(self) -> str:
        """The blueprint's name."""
        return self.blueprint.name


@dataclass(frozen=True)
class Selection:
    """The resolved blueprints, in the order their contributions apply."""

    items: tuple[Selected, ...]
    # filled while rendering: the answers copier templates computed (recorded, as copier's
    # answers file records them), and the paths written by copier alone (never reformatted)
    computed: dict[str, dict[str, Any]] = field(default_factory=dict)
    copier_paths: set[str] = field(default_factory=set)
    # copier blueprints rendered again only to merge another's change (add/remove of others),
    # without their tasks
    tasks_skipped: set[str] = field(default_factory=set)
    # _skip_if_exists patterns of the copier blueprints: files the owner has are left alone
    skip_if_exists: list[str] = field(default_factory=list)
    # what each copier blueprint was given as data (its _migrations render with the same)
    copier_data: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The blueprint names, in order."""
        return [item.name for item in self.items]

    @property
    def automatic(self) -> list[Selected]:
        """The blueprints added because a chosen one requires them."""
        return [item for item in self.items if item.automatic]


def _closure(catalog: Catalog, requested: Iterable[str]) -> tuple[dict[str, Blueprint], set[str]]:
    """Return the requested blueprints plus everything they require, and which were added."""
    wanted = [bp.name for bp in catalog if bp.manifest.always] + list(requested)
    chosen: dict[str, Blueprint] = {}
    automatic: set[str] = set()
    queue = [(name, False) for name in wanted]
    while queue:
        name, is_automatic = queue.pop(0)
        if name in chosen:
            continue
        blueprint = catalog.get(name)
        chosen[name] = blueprint
        if is_automatic:
            automatic.add(name)
        queue.extend((req, True) for req in blueprint.manifest.requires if req not in chosen)
    return chosen, automatic - set(requested)


def brought_by(catalog: Catalog, name: str) -> list[str]:
    """Return the blueprints ``add name`` brings: it, what it requires, and the ``always`` ones."""
    return list(_closure(catalog, [name])[0])


def _check_conflicts(chosen: Mapping[str, Blueprint]) -> None:
    for name, blueprint in chosen.items():
        for other in blueprint.manifest.conflicts:
            if other in chosen:
                msg = f"blueprints '{name}' and '{other}' cannot be used together"
                raise ResolutionError(msg, hint=f"choose one of '{name}' and '{other}'")


def _ordered(chosen: Mapping[str, Blueprint]) -> list[str]:
    """Order by requirements (a blueprint after what it requires), then always-first, then name."""
    remaining = {name: set(bp.manifest.requires) & chosen.keys() for name, bp in chosen.items()}

    def rank(name: str) -> tuple[bool, str]:
        return (not chosen[name].manifest.always, name)

    order: list[str] = []
    while remaining:
        ready = sorted((n for n, deps in remaining.items() if not deps), key=rank)
        if not ready:
            cycle = ", ".join(sorted(remaining))
            msg = f"blueprints {cycle} require each other in a cycle"
            raise ResolutionError(msg, hint="remove one requirement from their manifests")
        first = ready[0]
        order.append(first)
        del remaining[first]
        for deps in remaining.values():
            deps.discard(first)
    return order


def _validated_options(
    blueprint: Blueprint, given: Mapping[str, Any], renderer: Renderer
) -> dict[str, Any]:
    manifest = blueprint.manifest
    unknown = sorted(set(given) - set(manifest.options))
    if unknown:
        known = ", ".join(sorted(manifest.options)) or "none"
        msg = f"blueprint '{manifest.name}' has no option '{unknown[0]}'"
        raise SpecError(msg, hint=f"its options are: {known}")
    values = dict(given)
    for key, spec in manifest.options.items():
        if key not in values and isinstance(spec.default, str) and "{" in spec.default:
            values[key] = renderer.render_string(spec.default, {})  # e.g. "{{ package | upper }}_"
        elif spec.type == "list[str]" and isinstance(values.get(key), str):
            values[key] = [part.strip() for part in values[key].split(",") if part.strip()]
        elif spec.type in {"yaml", "json"} and isinstance(values.get(key), str):
            values[key] = _structured(manifest.name, key, spec.type, values[key])
    try:
        options = manifest.options_model.model_validate(values).model_dump()
    except ValidationError as error:
        msg = f"{manifest.name}.{describe_validation_error(error)}"
        option = f"{manifest.name}.{error.errors()[0]['loc'][0]}"
        raise OptionValueError(msg, option=option, hint=_set_it(option)) from None
    for check in manifest.checks:
        if renderer.evaluate(check.when, options):
            msg = f"{manifest.name}: {check.message}"
            raise SpecError(msg, hint="change the options named above")
    return options


def _structured(blueprint: str, key: str, kind: str, text: str) -> Any:
    """Read a ``yaml`` or ``json`` option given as text into the value it spells."""
    import json

    import yaml

    try:
        return yaml.safe_load(text) if kind == "yaml" else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        first = str(error).splitlines()[0]
        msg = f"{blueprint}.{key}: not valid {kind.upper()}: {first}"
        option = f"{blueprint}.{key}"
        raise OptionValueError(msg, option=option, hint=_set_it(option)) from None


def _set_it(option: str) -> str:
    """Say how to give ``option`` another value (the command may say it more precisely)."""
    return f"give it a value that fits with -O {option}=VALUE"


def resolve(spec: ProjectSpec, catalog: Catalog, renderer: Renderer) -> Selection:
    """Resolve the spec's blueprints against the catalog into an ordered selection."""
    requested = [name for name in spec.blueprints if name not in spec.automatic]
    chosen, automatic = _closure(catalog, requested)
    _check_conflicts(chosen)
    items = tuple(
        Selected(
            blueprint=chosen[name],
            options=_validated_options(chosen[name], spec.blueprints.get(name, {}), renderer),
            automatic=name in automatic,
        )
        for name in _ordered(chosen)
    )
    return Selection(items=items)


@dataclass
class Composition:
    """Every blueprint's contributions, filtered by their conditions and ordered."""

    middleware: list[Any] = field(default_factory=list)
    mounts: list[Any] = field(default_factory=list)
    routers: list[Any] = field(default_factory=list)
    lifespan: list[Any] = field(default_factory=list)
    app_arguments: list[Any] = field(default_factory=list)
    settings: list[Any] = field(default_factory=list)
    settings_validators: list[Any] = field(default_factory=list)
    fixtures: list[Any] = field(default_factory=list)
    page_sections: list[Any] = field(default_factory=list)
    assets: list[Any] = field(default_factory=list)
    readme_sections: list[Any] = field(default_factory=list)
    compose_services: list[Any] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    dev_dependencies: list[str] = field(default_factory=list)


def _requirement_key(requirement: str) -> tuple[str, str]:
    name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
    return (re.sub(r"[-_.]+", "-", name).lower(), requirement)


def _present(requirements: Iterable[str]) -> list[str]:
    """Drop requirements that render empty: ``{{ 'asyncpg' if driver == 'postgresql' }}``."""
    return [requirement.strip() for requirement in requirements if requirement.strip()]


def _unique_requirements(requirements: Iterable[str]) -> list[str]:
    return sorted(set(requirements), key=_requirement_key)


def compose(selection: Selection, renderer: Renderer) -> Composition:
    """Gather the selection's contributions, rendering their templated strings."""
    composition = Composition()
    ranked: dict[str, list[tuple[int, int, int, Any]]] = {
        kind: [] for kind in Contributions.model_fields
    }
    for position, item in enumerate(selection.items):
        manifest = item.blueprint.manifest
        for kind in Contributions.model_fields:
            for index, entry in enumerate(getattr(manifest.contribute, kind)):
                if entry.when and not renderer.evaluate(entry.when, item.options):
                    continue
                rendered = renderer.render_model(entry, item.options)
                ranked[kind].append((entry.order, position, index, rendered))
        composition.dependencies.extend(
            _present(renderer.render_strings(manifest.dependencies, item.options))
        )
        composition.dev_dependencies.extend(
            _present(renderer.render_strings(manifest.dev_dependencies, item.options))
        )
    for kind, entries in ranked.items():
        setattr(composition, kind, [entry for *_, entry in sorted(entries, key=lambda e: e[:3])])
    composition.dependencies = _unique_requirements(composition.dependencies)
    composition.dev_dependencies = _unique_requirements(composition.dev_dependencies)
    _apply_option_defaults(composition, selection)
    _check_service_names(composition)
    return composition


def _check_service_names(composition: Composition) -> None:
    """Refuse two compose services of one name, or one named like the app's own service."""
    seen = {"app"}
    for service in composition.compose_services:
        if service.name in seen:
            msg = f"two blueprints contribute the compose service '{service.name}'"
            if service.name == "app":
                msg = "a blueprint contributes the compose service 'app', which is the app's own"
            raise BlueprintError(msg, hint="give the contributed service another name")
        seen.add(service.name)


def _apply_option_defaults(composition: Composition, selection: Selection) -> None:
    """Fill settings defaults that a blueprint takes from one of its options."""
    options_of = {item.name: item.options for item in selection.items}
    owners = {
        entry.name: item.name
        for item in selection.items
        for entry in item.blueprint.manifest.contribute.settings
    }
    resolved = []
    for entry in composition.settings:
        if entry.default_from_option is not None:
            value = options_of[owners[entry.name]][entry.default_from_option]
            entry = entry.model_copy(update={"default": value})  # noqa: PLW2901
        resolved.append(entry)
    composition.settings = resolved
