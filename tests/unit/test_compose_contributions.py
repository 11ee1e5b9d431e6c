"""The contributions to compose.yaml and the README, and what templates know of org blueprints."""

from __future__ import annotations

import pytest
import yaml

from scaffold.catalog import load_catalog
from scaffold.compose import compose, resolve
from scaffold.errors import BlueprintError
from scaffold.models import ProjectSpec
from scaffold.pipeline import build_tree
from scaffold.render import Renderer

DB_SERVICE = """
[[contribute.compose_services]]
name = "{name}"
image = "postgres:17"
"""


def _composed(source, *names):
    spec = ProjectSpec(name="demo", blueprints={name: {} for name in names})
    renderer = Renderer(spec)
    selection = resolve(spec, load_catalog((source.root,)), renderer)
    renderer.bind(selection)
    return renderer, compose(selection, renderer)


def test_two_blueprints_contributing_one_service_name_is_an_error(source) -> None:
    source.add("alpha", DB_SERVICE.format(name="db"))
    source.add("beta", DB_SERVICE.format(name="db"))

    with pytest.raises(BlueprintError, match="two blueprints contribute the compose service 'db'"):
        _composed(source, "alpha", "beta")


def test_a_service_may_not_take_the_apps_name(source) -> None:
    source.add("alpha", DB_SERVICE.format(name="app"))

    with pytest.raises(BlueprintError, match="'app', which is the app's own"):
        _composed(source, "alpha")


def test_services_bring_their_named_volumes_and_the_apps_environment(source) -> None:
    source.add(
        "alpha",
        DB_SERVICE.format(name="db")
        + 'volumes = ["pgdata:/data", "./seed:/seed", "/srv/x:/x"]\n'
        + 'app_environment = { DEMO_DB_URL = "postgresql://db/{{ project.name }}" }\n',
    )
    spec = ProjectSpec(name="demo", blueprints={"docker": {}, "alpha": {}})

    _, tree = build_tree(spec, sources=(source.root,))

    compose_file = yaml.safe_load(tree["compose.yaml"])
    assert compose_file["volumes"] == {"pgdata": None}
    assert compose_file["services"]["app"]["environment"] == {"DEMO_DB_URL": "postgresql://db/demo"}
    assert compose_file["services"]["db"]["volumes"] == [
        "pgdata:/data",
        "./seed:/seed",
        "/srv/x:/x",
    ]


def test_readme_sections_are_rendered_in_order_before_the_tests(source) -> None:
    section = (
        '[[contribute.readme_sections]]\ntitle = "{title}"\norder = {order}\nbody = "{body}"\n'
    )
    source.add("alpha", section.format(title="Late", order=90, body="Last of {{ package }}."))
    source.add("beta", section.format(title="Early", order=10, body="First."))
    spec = ProjectSpec(name="demo", blueprints={"alpha": {}, "beta": {}})

    _, tree = build_tree(spec, sources=(source.root,))

    readme = tree["README.md"].decode()
    assert readme.index("## Early\n\nFirst.") < readme.index("## Late\n\nLast of demo.")
    assert readme.index("## Late") < readme.index("## Test")


def test_templates_know_which_blueprints_come_from_an_org_source(source) -> None:
    source.add("alpha")

    renderer, _ = _composed(source, "alpha", "settings")

    assert renderer.evaluate("org_blueprints == ['alpha']", {})
