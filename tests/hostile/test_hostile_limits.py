"""Hostile blueprints that ask for unbounded work: huge values, endless loops, runaway output.

Every refusal must come quickly: growth is checked before a value is built, and every loop,
call and output chunk checks a wall-clock deadline (SCAFFOLD_RENDER_TIMEOUT, made small here).
The pytest timeout makes a regression fail instead of hanging the suite.
"""

from __future__ import annotations

import time

import pytest

from scaffold.render import MAX_OUTPUT

pytestmark = pytest.mark.timeout(60)

HUGE = [
    "{% for i in range(10**9) %}{% endfor %}",
    "{{ range(10**9)|list|length }}",
    "{{ 'a' * 10**9 }}",
    "{{ 10**9 * 'a' }}",
    "{{ [0] * 10**9 }}",
    "{{ (0,) * 10**9 }}",
    "{{ 'a'|center(10**9) }}",
    "{{ 'a'.center(10**9) }}",
    "{{ 'a'.ljust(10**9) }}{{ 'a'.zfill(10**9) }}",
    "{{ 'a'|indent(10**9) }}",
    "{{ ('a\n' * 2)|indent(' ' * 1000000, first=true) }}",
    "{{ ('a\n' * 500000)|indent(1000) }}",
    "{{ ('x' * 1000000)|wordwrap(1, wrapstring='y' * 100) }}",
    "{{ '%999999999s'|format('a') }}",
    "{{ '%s'|format('a' * 1000000 ~ 'b') }}",
    "{{ '%999999999d' % 1 }}",
    "{{ '%*s' % (10**9, 'a') }}",
    "{{ '%.999999999f' % 1.5 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '{:{}}'.format(1, 10**9) }}",
    "{{ ('{0}' * 300000).format('a' * 1000) }}",
    "{{ ('%(a)s' * 200000) % {'a': 'a' * 1000} }}",
    "{{ ('a' * 1000000).replace('a', 'bb') }}",
    "{{ 'x'|replace('', 'y' * 1000000) }}",
    "{{ ('\t' * 1000).expandtabs(10**6) }}",
    "{{ 9**(9**9) }}",
    "{{ (9**9)**(9**9) }}",
    "{{ 10**100000 * 10**100000 }}",
    "{% set s = 'a' * 1000000 %}{{ s ~ s }}",
    "{% set s = 'a' * 1000000 %}{{ s + s }}",
    "{% set s = 'a' * 1000000 %}{{ ([s] * 1000000)|join }}",
    "{% set s = 'a' * 1000000 %}{{ ''.join([s] * 1000000) }}",
    "{% set s = 'a' * 1000000 %}{{ [s] * 1000000 }}",
    "{% set s = 'a' * 1000000 %}{{ ([s] * 1000000)|string }}",
    "{% set s = 'a' * 1000000 %}{{ ([s] * 1000000)|tojson }}",
    "{% set s = 'a' * 1000000 %}{{ ([s] * 1000000)|py }}",
    "{% set s = 'a' * 1000000 %}{{ '%s' % ([s] * 1000000,) }}",
    "{% set s = 'a' * 1000000 %}{% set ns = namespace(x=[s] * 1000000) %}{{ ns }}",
    "{{ range(100000)|list|tojson(indent=1000) }}",
    "{{ [1]|batch(10**9, 0)|list }}",
    "{{ [1]|slice(10**9)|list }}",
    "{{ ([[0] * 1000000] * 1000)|sum(start=[]) }}",
    "{{ lipsum(10**6) }}",
    "{% set l = [0] %}{% for i in range(60) %}{{ l.extend(l) }}{% endfor %}",
    "{% set ns = namespace(s='a' * 1000) %}{% for i in range(40) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set ns = namespace(s='a' * 1000) %}{% for i in range(40) %}"
    "{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{% macro d(s) %}{% for i in range(100000) %}{{ s }}{% endfor %}{% endmacro %}"
    "{{ d('a' * 1000000) }}",
    "{% set ns = namespace(s='a' * 100000) %}{% for i in range(40) %}"
    "{% set t %}{{ ns.s }}{{ ns.s }}{% endset %}{% set ns.s = t %}{% endfor %}",
    "{% for i in range(20) %}{{ 'a' * 1000000 }}{% endfor %}",
]


@pytest.mark.parametrize("template", HUGE)
def test_a_huge_value_in_a_template_is_refused_quickly(source, refused, template) -> None:
    source.add("evil", files={"x.txt.jinja": template})
    started = time.monotonic()

    refusal = refused("evil", "exceeded the render limit")

    assert time.monotonic() - started < 20
    assert "evil/files/x.txt.jinja" in refusal.line


SLOW = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ '' }}{% endfor %}{% endfor %}",
    "{% set l = range(100000)|list %}{% for i in l %}{% for j in l %}{% for k in l %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) recursive %}{% if loop.depth < 4 %}{{ loop(range(100000)) }}"
    "{% endif %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% for i in range(100000) %}{% for j in range(100000) if j < 0 %}{% endfor %}{% endfor %}",
    "{{ range(100000)|map('string')|map('center', 10)|join|length }}"
    "{% for i in range(100000) %}{% set x = range(100000)|sum %}{% endfor %}",
]


@pytest.mark.parametrize("template", SLOW)
def test_a_template_that_runs_too_long_is_stopped_at_the_deadline(
    source, refused, monkeypatch, template
) -> None:
    monkeypatch.setenv("SCAFFOLD_RENDER_TIMEOUT", "0.5")
    source.add("evil", files={"x.txt.jinja": template})
    started = time.monotonic()

    refusal = refused("evil", "ran for longer than the time allowed")

    assert time.monotonic() - started < 20
    assert "evil/files/x.txt.jinja" in refusal.line


def test_the_deadline_applies_to_file_names(source, refused, monkeypatch) -> None:
    monkeypatch.setenv("SCAFFOLD_RENDER_TIMEOUT", "0.5")
    name = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}x"
    source.add("evil", files={name: "x"})

    refused("evil", "ran for longer than the time allowed")


def test_the_deadline_applies_to_conditions(source, refused, monkeypatch) -> None:
    monkeypatch.setenv("SCAFFOLD_RENDER_TIMEOUT", "0.5")
    slow = "range(100000)|map('string')|map('center', 5)|list|length > 0 and " * 30 + "true"
    source.add("evil", f'[when]\n"x.txt" = "{slow}"\n', {"x.txt": "x"})

    refused("evil", "render limit")


@pytest.mark.parametrize(
    "expression",
    ["'a' * 10**9", "9**(9**9)", "range(10**9)|list", "('a' * 1000000 ~ 'b')|length > 0"],
)
def test_a_huge_value_in_a_condition_is_refused(source, refused, expression) -> None:
    source.add("evil", f'[when]\n"x.txt" = "{expression}"\n', {"x.txt": "x"})

    refusal = refused("evil", "exceeded the render limit")

    assert "manifest condition" in refusal.line


def test_a_huge_value_in_a_check_is_refused(source, refused) -> None:
    source.add("evil", '[[checks]]\nwhen = "(\'a\' * 10**9)|length > 0"\nmessage = "m"\n')

    refused("evil", "exceeded the render limit")


def test_a_huge_value_in_a_file_name_is_refused(source, refused) -> None:
    source.add("evil", files={"{{ 'a' * 10**9 }}.txt": "x"})

    refusal = refused("evil", "exceeded the render limit")

    assert "evil/files/" in refusal.line


@pytest.mark.parametrize(
    ("kind", "field"),
    [("routers", "ref"), ("lifespan", "ref"), ("page_sections", "template"), ("assets", "path")],
)
def test_a_huge_value_in_a_contribution_field_is_refused(source, refused, kind, field) -> None:
    extra = 'kind = "script"\n' if kind == "assets" else ""
    source.add("evil", f"[[contribute.{kind}]]\n{field} = \"{{{{ 'a' * 10**9 }}}}\"\n{extra}")

    refused("evil", "exceeded the render limit")


def test_a_huge_option_default_is_refused(source, refused) -> None:
    source.add("evil", '[options.name]\ntype = "str"\ndefault = "{{ \'a\' * 10**9 }}"\n')

    refused("evil", "exceeded the render limit")


def test_an_oversized_template_file_is_refused(source, refused) -> None:
    source.add("evil", files={"x.txt.jinja": "a" * (MAX_OUTPUT + 1)})

    refused("evil", "exceeded the render limit")


def test_the_error_names_the_line_of_the_template(source, refused) -> None:
    source.add("evil", files={"x.txt.jinja": "one\ntwo\n{{ 'a' * 10**9 }}\n"})

    refusal = refused("evil", "exceeded the render limit")

    assert "evil/files/x.txt.jinja:3" in refusal.line


@pytest.mark.parametrize("value", ["soon", "0", "-1", "inf", "nan"])
def test_a_bad_render_timeout_is_refused(source, refused, monkeypatch, value) -> None:
    monkeypatch.setenv("SCAFFOLD_RENDER_TIMEOUT", value)
    source.add("fine", files={"x.txt": "x"})

    refused("fine", "SCAFFOLD_RENDER_TIMEOUT")


def test_jinja_powers_are_left_associative_so_9_9_9_is_small(source, cli, out) -> None:
    # jinja reads 9**9**9 as (9**9)**9, a 78-digit number: nothing to refuse. The right-nested
    # power, 9**(9**9), is refused above.
    source.add("fine", files={"x.txt.jinja": "{{ 9**9**9 }}"})

    result = cli("new", "x", "--source", source.root, "-b", "fine", "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert (out / "x" / "x.txt").read_text() == str((9**9) ** 9)


def test_generous_legitimate_work_is_still_allowed(source, cli, out) -> None:
    template = (
        "{% for i in range(1000) %}{{ '%5d' % i }}{{ 'x' * 100 }}|{{ i|string|center(9) }}\n"
        "{% endfor %}{{ ('-' * 1000)|wordwrap(80) }}{{ range(10)|list|tojson(indent=2) }}\n"
        "{{ '{:>20}'.format('right') }}{{ 2**64 }}{{ ['a', 'b']|join(', ') }}\n"
    )
    source.add("fine", files={"x.txt.jinja": template})

    result = cli("new", "x", "--source", source.root, "-b", "fine", "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    text = (out / "x" / "x.txt").read_text()
    assert text.count("\n") > 1000
    assert "18446744073709551616" in text


@pytest.mark.timeout(120)
def test_the_built_in_blueprints_render_with_the_limits_on(cli, out, monkeypatch) -> None:
    # a tight deadline: the built-in templates render in milliseconds
    monkeypatch.setenv("SCAFFOLD_RENDER_TIMEOUT", "5")

    result = cli("new", "ok", "--all", "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert (out / "ok" / "ok" / "main.py").is_file()
    assert (out / "ok" / ".scaffold" / "project.toml").is_file()
