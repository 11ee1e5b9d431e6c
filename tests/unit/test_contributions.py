"""Contribution kinds that the database and auth blueprints brought: async fixtures,
requirements that depend on an option, and README sections."""

from __future__ import annotations

import tomllib

import pytest

from scaffold.adopted_conftest import fixture_code
from scaffold.models import Fixture, ProjectSpec
from scaffold.pipeline import build_tree

MANIFEST = """\
dependencies = ["plain>=1", "{{ 'extra-driver>=2' if driver == 'fast' else '' }}"]

[options.driver]
type = "choice"
choices = ["slow", "fast"]
default = "slow"

[[contribute.fixtures]]
name = "resource"
asynchronous = true
returns = "AsyncIterator[int]"
doc = "An async resource."
imports = ["collections.abc:AsyncIterator"]
body = "yield 1"

[[contribute.readme_sections]]
title = "Second"
order = 20
body = "Comes after the first, whatever the file order."

[[contribute.readme_sections]]
title = "First"
order = 10
body = "The {{ driver }} driver."
"""


def _tree(source, options):
    source.add("mine", MANIFEST)
    spec = ProjectSpec(name="demo", blueprints={"mine": options})
    _, tree = build_tree(spec, sources=(source.root,))
    return tree


def _dependencies(tree) -> list[str]:
    return tomllib.loads(tree["pyproject.toml"].decode())["project"]["dependencies"]


@pytest.mark.parametrize(("driver", "expected"), [("slow", False), ("fast", True)])
def test_a_requirement_that_renders_empty_is_left_out(source, driver, expected) -> None:
    dependencies = _dependencies(_tree(source, {"driver": driver}))

    assert "plain>=1" in dependencies
    assert ("extra-driver>=2" in dependencies) is expected
    assert "" not in dependencies


def test_an_asynchronous_fixture_is_an_async_def_in_the_conftest(source) -> None:
    conftest = _tree(source, {})["tests/conftest.py"].decode()

    assert "@pytest.fixture\nasync def resource() -> AsyncIterator[int]:" in conftest
    assert "from collections.abc import AsyncIterator" in conftest
    compile(conftest, "conftest.py", "exec")


def test_an_asynchronous_fixture_merged_into_an_owners_conftest_is_async_too() -> None:
    fixture = Fixture(
        name="resource", returns="int", body="return 1", doc="Doc.", asynchronous=True
    )

    assert fixture_code(fixture).startswith("@pytest.fixture\nasync def resource() -> int:")


def test_readme_sections_are_in_their_order_before_the_tests_section(source) -> None:
    readme = _tree(source, {"driver": "fast"})["README.md"].decode()

    first, second, tests = (readme.index(f"## {t}") for t in ("First", "Second", "Test"))
    assert first < second < tests
    assert "The fast driver." in readme
