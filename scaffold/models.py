"""The typed nouns of scaffold: blueprint manifests, their contributions, and the project spec.

A blueprint's ``blueprint.toml`` is parsed into :class:`BlueprintManifest`. Its options become a
pydantic model built at run time (:func:`options_model`), so a blueprint defines its own schema
without any Python. :class:`ProjectSpec` is the one object that enters the core.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
)

from scaffold.naming import name_problem, package_name_for

_BLUEPRINT_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- blueprint options ----------------------------------------------------------------------

# "yaml" and "json" hold structured values (copier's question types of those names).
OptionType = Literal["str", "int", "float", "bool", "list[str]", "choice", "yaml", "json"]
_PYTHON_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "list[str]": list[str],
    "yaml": Any,
    "json": Any,
}


class OptionSpec(_Strict):
    """One option a blueprint accepts, declared in its manifest."""

    type: OptionType = "str"
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    secret: bool = False  # never recorded in .scaffold/ (copier's ``secret: true``)

    def annotation(self) -> Any:
        """Return the Python type pydantic validates this option against.

        A ``pattern`` on a ``list[str]`` applies to each item (an origin must be ``http(s)://``);
        a bool is never taken for a number (``true`` is not 1).
        """
        if self.type == "choice":
            return Literal[self.choices]
        if self.type == "list[str]" and self.choices:  # copier's multiselect
            return list[Literal[self.choices]]  # type: ignore[name-defined]
        base = _PYTHON_TYPES[self.type]
        constraints: dict[str, Any] = {}
        if self.minimum is not None:
            constraints["ge"] = self.minimum
        if self.maximum is not None:
            constraints["le"] = self.maximum
        if self.type == "list[str]" and self.pattern is not None:
            return list[Annotated[str, Field(pattern=self.pattern)]]
        if self.pattern is not None:
            constraints["pattern"] = self.pattern
        if self.type in {"int", "float"}:
            return Annotated[base, BeforeValidator(_not_a_bool), Field(**constraints)]
        return Annotated[base, Field(**constraints)] if constraints else base


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        msg = "a number is expected, not true or false"
        raise ValueError(msg)  # pydantic turns ValueError into a field error
    return value


class OptionCheck(_Strict):
    """A rule across options: when the expression is true, the choice is refused."""

    when: str
    message: str


# --- contributions to the shared files ------------------------------------------------------


class _Contribution(_Strict):
    # A sandboxed jinja expression; the contribution applies only when it is true.
    when: str | None = None
    order: int = 50


class MiddlewareEntry(_Contribution):
    """A middleware in the app's stack; lower ``order`` is further out (sees requests first)."""

    cls: str  # "module:Name"
    kwargs: dict[str, str] = {}  # argument -> Python expression
    # Switches it on at run time: a settings field (on when true or non-empty, like a list of
    # origins) or a Python expression over ``settings`` (``'"*" not in settings.allowed_hosts'``),
    # so that a layer with nothing to do is not in the stack.
    enabled_by: str | None = None
    comment: str = ""

    @property
    def guard(self) -> str | None:
        """The condition written in ``create_app()``, or None when the layer is always on."""
        if self.enabled_by is None or not self.enabled_by.isidentifier():
            return self.enabled_by
        return f"settings.{self.enabled_by}"


class MountEntry(_Contribution):
    """A sub-application mounted under a path, such as StaticFiles."""

    path: str
    app: str  # Python expression
    name: str
    imports: tuple[str, ...] = ()
    comment: str = ""


class RouterEntry(_Contribution):
    """An ``APIRouter`` included into the app."""

    ref: str  # "module:router"


class LifespanStep(_Contribution):
    """An async context manager factory ``(app) -> AsyncContextManager`` entered at startup."""

    ref: str


class AppArgument(_Contribution):
    """A keyword argument to ``FastAPI(...)``."""

    name: str
    value: str
    imports: tuple[str, ...] = ()


class SettingField(_Contribution):
    """A field of the generated pydantic-settings ``Settings``."""

    name: str
    type: str  # Python annotation
    default: Any = None
    default_from_option: str | None = None
    default_factory: str | None = None  # Python expression of a zero-argument callable
    description: str
    secret: bool = False
    example: str | None = None  # the value written to .env.example
    imports: tuple[str, ...] = ()


class SettingsValidator(_Contribution):
    """A check on the whole Settings object: ``(settings) -> None`` raising ``ValueError``."""

    ref: str


class Fixture(_Contribution):
    """A pytest fixture in the generated ``tests/conftest.py``."""

    name: str
    args: tuple[str, ...] = ()
    returns: str
    body: str
    doc: str
    imports: tuple[str, ...] = ()
    scope: Literal["function", "module", "session"] = "function"
    # an ``async def`` fixture (anyio's pytest plugin runs it for ``@pytest.mark.anyio`` tests)
    asynchronous: bool = False


class PageSection(_Contribution):
    """A template partial the index page includes (a websocket client, a form...)."""

    template: str


class Asset(_Contribution):
    """A static asset the index page links (``kind`` says how)."""

    path: str
    kind: Literal["stylesheet", "script"]


class ReadmeSection(_Contribution):
    """A section of the project's README: how to use what the blueprint added."""

    title: str
    body: str  # Markdown


class ComposeService(_Contribution):
    """A service beside the app in the ``docker`` blueprint's ``compose.yaml`` (a database).

    The app's own service starts after it (once healthy, when it has a ``healthcheck``) and
    gets ``app_environment``: where to reach it, in the app's settings variables.
    """

    name: str
    image: str
    environment: dict[str, str] = {}
    ports: tuple[str, ...] = ()  # "host:container"
    volumes: tuple[str, ...] = ()  # "volume:/path" (named, declared) or "./dir:/path"
    healthcheck: tuple[str, ...] = ()  # the test command, exec form: ("pg_isready", "-q")
    app_environment: dict[str, str] = {}
    comment: str = ""

    @property
    def named_volumes(self) -> list[str]:
        """The named volumes this service mounts, which compose.yaml must declare."""
        names = (volume.partition(":")[0] for volume in self.volumes)
        return [name for name in names if name and not name.startswith((".", "/", "~"))]


class Contributions(_Strict):
    """Everything a blueprint adds to the files that blueprints share."""

    middleware: tuple[MiddlewareEntry, ...] = ()
    mounts: tuple[MountEntry, ...] = ()
    routers: tuple[RouterEntry, ...] = ()
    lifespan: tuple[LifespanStep, ...] = ()
    app_arguments: tuple[AppArgument, ...] = ()
    settings: tuple[SettingField, ...] = ()
    settings_validators: tuple[SettingsValidator, ...] = ()
    fixtures: tuple[Fixture, ...] = ()
    page_sections: tuple[PageSection, ...] = ()
    assets: tuple[Asset, ...] = ()
    readme_sections: tuple[ReadmeSection, ...] = ()
    compose_services: tuple[ComposeService, ...] = ()


# --- the manifest ---------------------------------------------------------------------------


class BlueprintManifest(_Strict):
    """The parsed ``blueprint.toml`` of one blueprint."""

    name: str
    summary: str
    version: str
    always: bool = False  # part of every project (the base)
    default: bool = False  # part of the default selection when none is given
    requires: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    dev_dependencies: tuple[str, ...] = ()
    options: dict[str, OptionSpec] = {}
    checks: tuple[OptionCheck, ...] = ()
    when: dict[str, str] = {}  # template path (relative to files/) -> condition
    # globs of generated paths the owner must not change (an org's CI workflow); 'check' fails
    # when such a file differs from what would be rendered now
    verbatim: tuple[str, ...] = ()
    contribute: Contributions = Contributions()

    @field_validator("name")
    @classmethod
    def _name_is_simple(cls, value: str) -> str:
        if not _BLUEPRINT_NAME.match(value):
            msg = "a blueprint name is lowercase letters, digits, '-' and '_'"
            raise ValueError(msg)
        return value

    @field_validator("version")
    @classmethod
    def _version_is_dotted(cls, value: str) -> str:
        if not re.fullmatch(r"\d+(\.\d+)*", value):
            msg = "a blueprint version is dotted numbers, such as 1.2.0"
            raise ValueError(msg)
        return value

    @cached_property
    def options_model(self) -> type[BaseModel]:
        """The pydantic model validating this blueprint's options."""
        return options_model(self)


def options_model(manifest: BlueprintManifest) -> type[BaseModel]:
    """Build the pydantic model for a blueprint's options from its manifest."""
    fields: dict[str, Any] = {
        key: (spec.annotation(), Field(default=spec.default, description=spec.help))
        for key, spec in manifest.options.items()
    }
    model_name = "".join(part.title() for part in re.split(r"[-_]", manifest.name)) + "Options"
    model: type[BaseModel] = create_model(
        model_name, __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


# --- the project ----------------------------------------------------------------------------


class ProjectSpec(_Strict):
    """Everything the user chose: the one object that enters the core."""

    name: str
    description: Annotated[str, Field(min_length=1, max_length=200)] = "A FastAPI service."
    python: Literal["3.10", "3.11", "3.12", "3.13", "3.14"] = "3.11"
    # blueprint name -> its options as given (validated against the blueprint's model later)
    blueprints: dict[str, dict[str, Any]] = {}
    # names in ``blueprints`` that are there only because another blueprint requires them: they
    # keep their options, and go when nothing requires them any more
    automatic: frozenset[str] = frozenset()

    @field_validator("name")
    @classmethod
    def _name_is_valid(cls, value: str) -> str:
        problem = name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("description")
    @classmethod
    def _description_is_one_line(cls, value: str) -> str:
        if any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in value):
            msg = "the description is one line of text; remove line breaks and control characters"
            raise ValueError(msg)
        return value

    @cached_property
    def package(self) -> str:
        """The import package derived from the name (``my-api`` -> ``my_api``)."""
        return package_name_for(self.name)


def describe_validation_error(error: ValidationError) -> str:
    """Turn a pydantic error into ``field: message`` lines a user can act on."""
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "value"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}")
    return "; ".join(lines)
