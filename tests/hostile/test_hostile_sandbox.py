"""Hostile blueprints that try to reach Python internals from the jinja sandbox.

Wherever a blueprint's text is rendered (a template, a file name, a contribution field, an
option default, a manifest condition) the sandbox refuses attributes that lead to Python's
internals; the run stops with exit 2 and writes nothing.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ package|attr('__class__') }}",
    "{{ (package|attr('__class__')).__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ ''.format.__globals__ }}",
    "{{ '{0.__class__}'.format(package) }}",
    "{{ '{x.__class__.__mro__}'.format_map({'x': package}) }}",
    "{{ import_lines.__globals__ }}",
    "{{ project.__class__ }}",
    "{{ app.__class__.__init__.__globals__ }}",
    "{{ options.items.__self__.__class__ }}",
    "{% set x = ''.__class__ %}{{ x }}",
    "{{ (package | upper).__class__.__base__.__subclasses__() }}",
    "{{ package['__class__'] }}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_an_escape_in_a_template_is_refused(source, refused, template) -> None:
    source.add("evil", files={"x.txt.jinja": f"before\n{template}\nafter\n"})

    refusal = refused("evil", "unsafe")

    assert "evil/files/x.txt.jinja:2" in refusal.line


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__name__ }}.txt",
        "{{ cycler.__init__.__globals__ }}",
        "{{ package|attr('__class__') }}.py",
    ],
)
def test_an_escape_in_a_file_name_is_refused(source, refused, template) -> None:
    source.add("evil", files={template: "x"})

    refusal = refused("evil", "unsafe")

    assert "evil/files/" in refusal.line


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("routers", "ref"),
        ("lifespan", "ref"),
        ("settings_validators", "ref"),
        ("page_sections", "template"),
    ],
)
def test_an_escape_in_a_contribution_field_is_refused(source, refused, kind, field) -> None:
    escape = "{{ cycler.__init__.__globals__.os }}"
    source.add("evil", f"[[contribute.{kind}]]\n{field} = '{escape}'\n")

    refused("evil", "unsafe")


def test_an_escape_in_a_dependency_is_refused(source, refused) -> None:
    source.add("evil", "dependencies = [\"{{ ''.__class__.__mro__ }}\"]\n")

    refused("evil", "unsafe")


def test_an_escape_in_an_option_default_is_refused(source, refused) -> None:
    source.add("evil", '[options.name]\ntype = "str"\ndefault = "{{ \'\'.__class__ }}"\n')

    refused("evil", "unsafe")


WHEN_ESCAPES = [
    "''.__class__.__mro__[1].__subclasses__()",
    "cycler.__init__.__globals__",
    "lipsum.__globals__['os']",
    "(package|attr('__class__')).__mro__",
]


@pytest.mark.parametrize("expression", WHEN_ESCAPES)
def test_an_escape_in_a_file_condition_is_refused(source, refused, expression) -> None:
    source.add("evil", f'[when]\n"x.txt" = "{expression}"\n', {"x.txt": "x"})

    refused("evil", "unsafe")


@pytest.mark.parametrize("expression", WHEN_ESCAPES)
def test_an_escape_in_a_check_is_refused(source, refused, expression) -> None:
    source.add("evil", f'[[checks]]\nwhen = "{expression}"\nmessage = "m"\n')

    refused("evil", "unsafe")


@pytest.mark.parametrize("expression", WHEN_ESCAPES)
def test_an_escape_in_a_contribution_condition_is_refused(source, refused, expression) -> None:
    source.add("evil", f'[[contribute.routers]]\nref = "m:router"\nwhen = "{expression}"\n')

    refused("evil", "unsafe")


@pytest.mark.parametrize(
    "template",
    ["{% include 'blueprint.toml' %}", "{% import '/etc/passwd' as x %}", "{% extends '../x' %}"],
)
def test_a_template_cannot_load_another_file(source, refused, template) -> None:
    # the environment has no loader: nothing on disk can be pulled into the output
    source.add("evil", files={"x.txt.jinja": template})

    refused("evil", "no loader")


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ int('9' * 5000) }}", "undefined"),
        ("{{ 10**5000 }}", "ValueError"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "RecursionError"),
        ("{{ [].pop() }}", "IndexError"),
        ("{{ " + "(" * 300 + "1" + ")" * 300 + " }}", "cannot render"),
        ("{{ " + "-" * 5000 + "1 }}", "cannot render"),
        ("{{ {}['missing'] + 1 }}", "no attribute 'missing'"),
    ],
)
def test_python_errors_inside_a_template_are_the_blueprints_fault(
    source, refused, template, fragment
) -> None:
    source.add("evil", files={"x.txt.jinja": template})

    refusal = refused("evil", fragment)

    assert "evil/files/x.txt.jinja" in refusal.line
