"""``lay_out`` formats the lines an edit changed, at the owner's width, and none of the owner's."""

from __future__ import annotations

from scaffold.edit.layout import changed_regions, lay_out, owner_width

OWNER = """\
from fastapi import FastAPI

app = FastAPI( title = 'unformatted, and the owner likes it' )
x = {  'a':1 }
"""
LONG_IMPORT = (
    "from app.middleware import CompressMiddleware, HostCheckMiddleware, RequestContextMiddleware\n"
)
LONG_COMMENT = "# " + " ".join(["word"] * 30) + "\n"


def test_a_long_inserted_import_is_wrapped_and_the_owners_lines_stay() -> None:
    after = OWNER.replace("\n\napp", f"\n{LONG_IMPORT}\napp", 1)

    result = lay_out(OWNER, after, path="app/main.py", config={})

    assert "from app.middleware import (\n    CompressMiddleware,\n" in result
    assert "app = FastAPI( title = 'unformatted, and the owner likes it' )\n" in result
    assert "x = {  'a':1 }\n" in result


def test_an_edit_inside_an_owners_statement_keeps_the_statement_as_the_owner_wrote_it() -> None:
    after = OWNER.replace("likes it' )", "likes it', lifespan=lifespan )")

    assert lay_out(OWNER, after, path="app/main.py", config={}) == after


def test_the_owners_width_and_quotes_are_followed() -> None:
    config = {"ruff.toml": b'line-length = 120\n[format]\nquote-style = "single"\n'}
    after = OWNER + LONG_IMPORT.replace("import", "import  ", 1) + 'app.mount("/static")\n'

    result = lay_out(OWNER, after, path="app/main.py", config=config)

    assert result.endswith(LONG_IMPORT + "\napp.mount('/static')\n")


def test_a_long_comment_of_scaffolds_is_wrapped_at_the_owners_width() -> None:
    after = OWNER + LONG_COMMENT + "app.state.y = 1\n"

    result = lay_out(
        OWNER, after, path="m.py", config={}, pyproject=b"[tool.black]\nline-length = 60\n"
    )

    comment_lines = [line for line in result.splitlines() if line.startswith("# word")]
    assert len(comment_lines) > 1
    assert all(len(line) <= 60 for line in comment_lines)
    assert " ".join(line.removeprefix("# ") for line in comment_lines) == LONG_COMMENT[2:-1]


def test_the_width_comes_from_ruff_then_black_then_the_default() -> None:
    black = b"[tool.black]\nline-length = 79\n"
    assert owner_width({"pyproject.toml": b"[tool.ruff]\nline-length = 110\n"}, black) == 110
    assert owner_width({".ruff.toml": b"line-length = 72\n"}, None) == 72
    assert owner_width({}, black) == 79
    assert owner_width({}, b"not toml [") == 88


def test_changed_regions_are_the_replaced_and_inserted_lines_only() -> None:
    before = "a\nb\nc\nd\n"
    after = "a\nB\nc\nnew\nnewer\n"  # b replaced, d deleted and two lines inserted

    assert changed_regions(before, after) == [(1, 2), (3, 5)]


def test_an_owners_import_that_outgrew_the_width_is_wrapped() -> None:
    names = ", ".join(f"Name{i}" for i in range(12))
    after = OWNER.replace("import FastAPI", f"import FastAPI, {names}")

    result = lay_out(OWNER, after, path="app/main.py", config={})

    assert "from fastapi import (\n    FastAPI,\n    Name0,\n" in result
    assert max(len(line) for line in result.splitlines()) <= 88
