"""Resolution: requirements, conflicts, cycles, deterministic order, validated options."""

from __future__ import annotations

import itertools

import pytest

from scaffold.catalog import load_catalog
from scaffold.compose import compose, resolve
from scaffold.errors import BlueprintError, ResolutionError, SpecError
from scaffold.models import ProjectSpec
from scaffold.render import Renderer


def _resolve(source, *requested, options=None):
    chosen = {name: {} for name in requested}
    for name, values in (options or {}).items():
        chosen.setdefault(name, {}).update(values)
    spec = ProjectSpec(name="demo", blueprints=chosen)
    return resolve(spec, load_catalog((source.root,)), Renderer(spec))


WIDGET_OPTIONS = """
[options.size]
type = "int"
default = 3
minimum = 1
maximum = 100

[options.origins]
type = "list[str]"
default = []

[options.mode]
type = "choice"
choices = ["fast", "safe"]
default = "safe"

[options.tag]
type = "str"
default = "v1"
pattern = "^v[0-9]+$"

[options.debug]
type = "bool"
default = false
"""


def test_requirements_are_added_and_marked_automatic(source) -> None:
    source.add("app", 'requires = ["db"]\n')
    source.add("db", 'requires = ["driver"]\n')
    source.add("driver")

    selection = _resolve(source, "app")

    assert selection.names == ["base", "driver", "db", "app"]
    assert {item.name for item in selection.automatic} == {"db", "driver"}
    assert not next(i for i in selection.items if i.name == "app").automatic


def test_a_requirement_also_asked_for_is_not_automatic(source) -> None:
    source.add("app", 'requires = ["db"]\n')
    source.add("db")

    selection = _resolve(source, "app", "db")

    assert selection.automatic == []


def test_base_is_always_included_and_first(source) -> None:
    source.add("aaa")

    selection = _resolve(source, "aaa")

    assert selection.names == ["base", "aaa"]
    assert not selection.items[0].automatic


def test_order_does_not_depend_on_the_order_asked(source) -> None:
    source.add("web", 'requires = ["core"]\n')
    source.add("core")
    source.add("cli")
    source.add("zed", 'requires = ["web"]\n')
    names = ["web", "core", "cli", "zed"]

    orders = {tuple(_resolve(source, *perm).names) for perm in itertools.permutations(names)}

    assert len(orders) == 1
    (order,) = orders
    assert order[0] == "base"
    assert order.index("core") < order.index("web") < order.index("zed")


@pytest.mark.parametrize("declared_by", ["one", "two"])
def test_a_conflict_is_an_error_naming_both(source, declared_by) -> None:
    other = "two" if declared_by == "one" else "one"
    source.add(declared_by, f'conflicts = ["{other}"]\n')
    source.add(other)

    with pytest.raises(ResolutionError) as caught:
        _resolve(source, "one", "two")

    assert "'one'" in str(caught.value)
    assert "'two'" in str(caught.value)


def test_a_conflict_brought_in_by_a_requirement_is_an_error(source) -> None:
    source.add("app", 'requires = ["sqlite"]\n')
    source.add("sqlite", 'conflicts = ["postgres"]\n')
    source.add("postgres")

    with pytest.raises(ResolutionError, match="'sqlite' and 'postgres'"):
        _resolve(source, "app", "postgres")


def test_a_cycle_is_an_error(source) -> None:
    source.add("chicken", 'requires = ["egg"]\n')
    source.add("egg", 'requires = ["chicken"]\n')

    with pytest.raises(ResolutionError, match="cycle") as caught:
        _resolve(source, "chicken")

    assert "chicken" in str(caught.value)
    assert "egg" in str(caught.value)


def test_requiring_an_unknown_blueprint_is_an_error(source) -> None:
    source.add("app", 'requires = ["ghost"]\n')

    with pytest.raises(BlueprintError, match="unknown blueprint 'ghost'"):
        _resolve(source, "app")


# --- options ----------------------------------------------------------------------------------


def test_options_get_their_defaults(source) -> None:
    source.add("widgets", WIDGET_OPTIONS)

    selection = _resolve(source, "widgets")

    options = selection.items[-1].options
    assert options == {"size": 3, "origins": [], "mode": "safe", "tag": "v1", "debug": False}


def test_options_are_validated_and_coerced(source) -> None:
    source.add("widgets", WIDGET_OPTIONS)

    given = {"size": "7", "origins": ["https://a.io"], "mode": "fast", "tag": "v2", "debug": True}
    selection = _resolve(source, options={"widgets": given})

    assert selection.items[-1].options == {**given, "size": 7}


def test_a_comma_separated_text_fills_a_list_option(source) -> None:
    source.add("widgets", WIDGET_OPTIONS)

    selection = _resolve(source, options={"widgets": {"origins": "https://a.io, https://b.io"}})

    assert selection.items[-1].options["origins"] == ["https://a.io", "https://b.io"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("size", "many"),
        ("size", 0),
        ("size", 101),
        ("mode", "reckless"),
        ("tag", "latest"),
        ("debug", "perhaps"),
        ("origins", 5),
    ],
)
def test_a_wrong_option_value_names_blueprint_and_option(source, option, value) -> None:
    source.add("widgets", WIDGET_OPTIONS)

    with pytest.raises(SpecError) as caught:
        _resolve(source, options={"widgets": {option: value}})

    assert str(caught.value).startswith(f"widgets.{option}: ")
    assert "\n" not in str(caught.value)


def test_an_unknown_option_lists_the_known_ones(source) -> None:
    source.add("widgets", WIDGET_OPTIONS)

    with pytest.raises(SpecError, match="has no option 'colour'") as caught:
        _resolve(source, options={"widgets": {"colour": "red"}})

    assert "debug, mode, origins, size, tag" in str(caught.value)


def test_an_option_for_a_blueprint_without_options_says_so(source) -> None:
    source.add("plain")

    with pytest.raises(SpecError, match="its options are: none"):
        _resolve(source, options={"plain": {"anything": 1}})


CHECKED = """
[options.size]
type = "int"
default = 3

[options.origins]
type = "list[str]"
default = []

[[checks]]
when = "size > 10 and origins"
message = "big widgets take no origins"
"""


def test_a_check_refuses_a_combination(source) -> None:
    source.add("widgets", CHECKED)

    with pytest.raises(SpecError, match="widgets: big widgets take no origins"):
        _resolve(source, options={"widgets": {"size": 11, "origins": ["https://a.io"]}})


@pytest.mark.parametrize("given", [{"size": 11}, {"origins": ["https://a.io"]}, {}])
def test_a_check_allows_the_other_combinations(source, given) -> None:
    source.add("widgets", CHECKED)

    selection = _resolve(source, options={"widgets": given})

    assert selection.names[-1] == "widgets"


def test_a_check_with_a_misspelt_name_is_a_blueprint_error_not_a_pass(source) -> None:
    source.add("widgets", '[[checks]]\nwhen = "sise > 10"\nmessage = "too big"\n')

    with pytest.raises(BlueprintError, match="sise"):
        _resolve(source, "widgets")


# --- composition ------------------------------------------------------------------------------


def test_contributions_are_ordered_by_order_then_resolution(source) -> None:
    source.add(
        "alpha",
        """
        [[contribute.routers]]
        ref = "{{ package }}.a:router"
        order = 60

        [[contribute.routers]]
        ref = "{{ package }}.a_first:router"
        order = 5
        """,
    )
    source.add(
        "beta",
        """
        [[contribute.routers]]
        ref = "{{ package }}.b:router"
        order = 60

        [[contribute.routers]]
        ref = "{{ package }}.b_skipped:router"
        when = "'gamma' in blueprints"
        """,
    )
    spec = ProjectSpec(name="demo", blueprints={"beta": {}, "alpha": {}})
    renderer = Renderer(spec)
    selection = resolve(spec, load_catalog((source.root,)), renderer)
    renderer.bind(selection)

    refs = [router.ref for router in compose(selection, renderer).routers]

    assert refs == [
        "demo.a_first:router",
        "demo.routes.health:router",  # base's, order 10
        "demo.a:router",
        "demo.b:router",
    ]


def test_dependencies_are_merged_without_duplicates(source) -> None:
    source.add("alpha", 'dependencies = ["Zlib-Thing>=1", "httpx>=0.27"]\n')
    source.add("beta", 'dependencies = ["httpx>=0.27", "anyio>=4"]\n')
    spec = ProjectSpec(name="demo", blueprints={"alpha": {}, "beta": {}})
    renderer = Renderer(spec)
    selection = resolve(spec, load_catalog((source.root,)), renderer)
    renderer.bind(selection)

    dependencies = compose(selection, renderer).dependencies

    assert len(dependencies) == len(set(dependencies))
    assert {"Zlib-Thing>=1", "httpx>=0.27", "anyio>=4"} <= set(dependencies)
    assert dependencies.index("anyio>=4") < dependencies.index("httpx>=0.27")
    assert dependencies.index("httpx>=0.27") < dependencies.index("Zlib-Thing>=1")
