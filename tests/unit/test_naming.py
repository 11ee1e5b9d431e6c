"""Project names: every rule refuses with exit 2, one line on stderr and nothing written."""

from __future__ import annotations

import keyword
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from scaffold.models import ProjectSpec
from scaffold.naming import MAX_NAME_LENGTH, name_problem, package_name_for

# name -> a fragment of the message that names the rule it breaks
REFUSED = {
    "-bad": "not a valid Python distribution name",
    "bad-": "not a valid Python distribution name",
    "a b": "not a valid Python distribution name",
    "x!": "not a valid Python distribution name",
    "": "empty",
    "1abc": "not a Python identifier",
    "class": "keyword",
    "import": "keyword",
    "match": "keyword",
    "case": "keyword",
    "json": "standard library",
    "asyncio": "standard library",
    "JSON": "standard library",
    "fastapi": "shadows the dependency",
    "pydantic": "shadows the dependency",
    "starlette": "shadows the dependency",
    "pydantic-settings": "shadows the dependency",
    "test": "tests folder",
    "tests": "tests folder",
    "Tests": "tests folder",
    "con": "reserved device name on Windows",
    "nul": "reserved device name on Windows",
    "aux": "reserved device name on Windows",
    "com1": "reserved device name on Windows",
    "lpt3": "reserved device name on Windows",
    "CON": "reserved device name on Windows",
    "nul.api": "reserved device name on Windows",
    "a/b": "path separator",
    "a\\b": "path separator",
    "a" * (MAX_NAME_LENGTH + 1): "characters long",
}


@pytest.mark.parametrize(("name", "fragment"), REFUSED.items(), ids=repr)
def test_name_problem_says_which_rule(name: str, fragment: str) -> None:
    problem = name_problem(name)

    assert problem is not None
    assert fragment in problem
    assert "\n" not in problem


@pytest.mark.parametrize(("name", "fragment"), REFUSED.items(), ids=repr)
def test_project_spec_refuses_the_name(name: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match="name") as caught:
        ProjectSpec(name=name)

    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("name", "package"),
    [
        ("my-api", "my_api"),
        ("My.API", "my_api"),
        ("My-API.v2", "my_api_v2"),
        ("a--b__c..d", "a_b_c_d"),
        ("x", "x"),
        ("a" * MAX_NAME_LENGTH, "a" * MAX_NAME_LENGTH),
        # None is a keyword, but the package is lowercased: "none" imports fine.
        ("None", "none"),
    ],
)
def test_valid_names_derive_their_package(name: str, package: str) -> None:
    assert name_problem(name) is None
    assert ProjectSpec(name=name).package == package


def test_package_name_is_nfkc_normalised_like_python_identifiers() -> None:
    # Python normalises identifiers with NFKC; the derived package does the same.
    assert package_name_for("\uff2d\uff59-\uff21\uff30\uff29") == "my_api"  # fullwidth "My-API"
    assert package_name_for("\ufb01le") == "file"  # the "fi" ligature


@pytest.mark.parametrize(
    "name",
    [
        "\uff4d\uff59-api",  # fullwidth letters
        "caf\u00e9",
        "\u017fys",  # long s: NFKC makes it "sys", and [A-Z] with IGNORECASE matched it
        "\u212aafka",  # Kelvin sign K
        "\u0131mport",  # dotless i
        "\ufb01le",  # ligature
    ],
    ids=ascii,
)
def test_non_ascii_names_are_refused_even_when_nfkc_makes_them_ascii(name: str) -> None:
    # PEP 508 names are ASCII; the folder and the distribution must agree with the package.
    problem = name_problem(name)

    assert problem is not None
    assert "not a valid Python distribution name" in problem


# Mostly name-like text, with the characters that NFKC or case folding turn into ASCII.
NAME_LIKE = st.text(
    st.one_of(
        st.sampled_from("abcjnosuyz019-_.\\/ "),
        st.sampled_from("\u017f\u212a\u0131\u0130\uff4d\ufb01\u00e9\u2168"),
        st.characters(),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(NAME_LIKE)
def test_every_accepted_name_gives_a_safe_ascii_package(name: str) -> None:
    if name_problem(name) is not None:
        return
    package = package_name_for(name)

    assert name.isascii()
    assert package.isidentifier()
    assert package == unicodedata.normalize("NFKC", package)
    assert not keyword.iskeyword(package)
    assert not keyword.issoftkeyword(package)
    assert package not in sys.stdlib_module_names
    assert package not in {"test", "tests"}


# --- through the command line -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "fragment"), REFUSED.items(), ids=repr)
def test_cli_refuses_the_name_and_writes_nothing(cli, error_line, out, name, fragment) -> None:
    # "--" so that names starting with "-" are not read as options.
    result = cli("new", "--no-input", "-o", out, "--", name)

    assert result.exit_code == 2
    assert fragment in error_line(result)
    assert result.stdout == ""
    assert not out.exists()


def test_cli_error_shows_the_name_verbatim_not_as_markup(cli, error_line, out) -> None:
    result = cli("new", "x[red]y", "--no-input", "-o", out)

    assert result.exit_code == 2
    assert "'x[red]y'" in error_line(result)


def test_cli_derives_the_package_from_the_name(cli, out) -> None:
    result = cli("new", "my-api", "--no-input", "--json", "--dry-run", "-b", "base", "-o", out)

    assert result.exit_code == 0, result.stderr
    assert '"package": "my_api"' in result.stdout
    assert "my_api/main.py" in result.stdout
