"""Fitting scaffold's prose to an owner's width keeps the code's meaning and fits the width."""

from __future__ import annotations

import ast
import textwrap

from scaffold.edit.fit import fit_to_width, mark_long_lines, selects_long_lines

SOURCE = textwrap.dedent('''\
    """A module docstring whose first paragraph is longer than the owner's seventy-nine.

    Steps:
    - a list item that stays exactly as it is written here, even when it is rather long indeed
    - another item
    """

    from pydantic import Field

    # A comment above the code that is far too long for a narrow owner configuration to accept it.
    LIMIT = 3


    def handler(name: str) -> str:
        """Return the greeting for the person whose name was given, politely and in full words."""
        message = "Hello there, this greeting string literal is too long for seventy-nine columns"
        return f"{message} {name}"


    value = Field(
        default=1,
        description="Responses smaller than this many bytes are never compressed by the server",
    )
    ''')


def _meaning(code: str) -> str:
    """The AST with every string's whitespace runs collapsed (prose may be re-flowed)."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = " ".join(node.value.split())
    return ast.dump(tree)


def test_prose_is_fitted_and_the_code_means_the_same() -> None:
    fitted = fit_to_width(SOURCE, 79)

    too_long = [line for line in fitted.splitlines() if len(line) > 79]
    assert too_long == [
        "- a list item that stays exactly as it is written here, even when it is rather long indeed"
    ]  # a list's lines keep their breaks
    assert _meaning(fitted) == _meaning(SOURCE)
    assert fit_to_width(fitted, 79) == fitted
    assert "# A comment above the code that is far too long for a narrow owner\n" in fitted
    assert "# configuration to accept it.\n" in fitted  # re-flowed, each line a comment
    assert "message = (" in fitted  # the string split into parenthesized parts


def test_code_that_fits_is_returned_unchanged() -> None:
    assert fit_to_width(SOURCE, 200) == SOURCE


def test_what_cannot_fit_is_marked_only_for_owners_who_select_e501() -> None:
    code = 'URL = "https://example.com/a/very/long/path/without/any/spaces/at/all/in/it/x"\n'

    assert fit_to_width(code, 40) == code
    assert mark_long_lines(code, 40) == code.rstrip("\n") + "  # noqa: E501\n"
    assert selects_long_lines({"ruff.toml": b'[lint]\nextend-select = ["E"]\n'})
    assert selects_long_lines({"pyproject.toml": b'[tool.ruff.lint]\nselect = ["ALL"]\n'})
    assert not selects_long_lines(
        {"ruff.toml": b'[lint]\nselect = ["E", "F"]\nignore = ["E501"]\n'}
    )
    assert not selects_long_lines({"ruff.toml": b"line-length = 79\n"})
    extended = b'[tool.ruff.lint]\nselect = ["E"]\nextend-ignore = ["E501"]\n'
    assert not selects_long_lines({"pyproject.toml": extended})


TRAPS = textwrap.dedent('''\
    SCRIPT = """
    # a comment-looking line inside a string that is far too long for the width given here
    "a string-looking line inside a string that is far too long for the width given here"
    """
    message = (
        "a first part of an implicit concatenation that is long "
        "a second part of the implicit concatenation that is too long for the width"
    )
    call(
        label="an argument string that goes on in an implicit concatenation below it"
        " and ends here",
    )
    ''')


def test_strings_and_concatenations_are_never_cut_into_other_code() -> None:
    fitted = fit_to_width(TRAPS, 60)

    assert _meaning(fitted) == _meaning(TRAPS)
    namespace: dict[str, object] = {"call": lambda **kw: kw}
    exec(compile(fitted, "<fitted>", "exec"), namespace)  # our own test code
    original: dict[str, object] = {"call": lambda **kw: kw}
    exec(compile(TRAPS, "<traps>", "exec"), original)
    assert namespace["SCRIPT"] == original["SCRIPT"]  # text inside a string is never re-flowed
    assert namespace["message"] == original["message"]


def test_a_comment_paragraph_is_reflowed_whole_leaving_no_orphan_word() -> None:
    code = (
        "def f() -> None:\n"
        "    # The proxy headers are trusted only from these addresses; the header\n"
        "    # lists directly connected peers, so a forged one is ignored.\n"
        "    #\n"
        "    # - a list item stays as it is\n"
        "    return None\n"
    )

    fitted = fit_to_width(code, 60)

    comments = [line.strip() for line in fitted.splitlines() if line.strip().startswith("#")]
    assert all(len(line) <= 60 for line in fitted.splitlines())
    words = " ".join(c.removeprefix("#").strip() for c in comments[:-2])
    assert words == (
        "The proxy headers are trusted only from these addresses; the header lists directly "
        "connected peers, so a forged one is ignored."
    )
    # no line of the paragraph holds a lone word, as wrapping line by line left one
    assert all(len(c.split()) > 2 for c in comments[:-2])
    assert comments[-2:] == ["#", "# - a list item stays as it is"]
