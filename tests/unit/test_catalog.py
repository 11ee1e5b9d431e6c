"""Finding blueprints: built-in ones, extra sources, and what is wrong with a bad one."""

from __future__ import annotations

import pytest

from scaffold.catalog import load_catalog
from scaffold.errors import BlueprintError


def test_builtin_catalog_has_the_base_blueprint() -> None:
    catalog = load_catalog()

    assert "base" in catalog
    base = catalog.get("base")
    assert base.manifest.always
    assert base.source == "built-in"


def test_a_source_adds_its_blueprints_in_name_order(source) -> None:
    source.add("zeta")
    source.add("alpha")

    catalog = load_catalog((source.root,))

    assert {"alpha", "zeta", "base"} <= set(catalog.names())
    assert catalog.names() == sorted(catalog.names())
    assert catalog.get("alpha").source == str(source.root)


def test_a_source_may_be_a_single_blueprint_folder(source) -> None:
    folder = source.add("solo")

    assert "solo" in load_catalog((folder,))


def test_unknown_blueprint_suggests_the_closest_name(source) -> None:
    source.add("widgets")
    catalog = load_catalog((source.root,))

    with pytest.raises(BlueprintError, match="unknown blueprint 'widget'") as caught:
        catalog.get("widget")

    assert "did you mean 'widgets'?" in str(caught.value)


def test_unknown_blueprint_without_a_close_name_points_to_the_listing() -> None:
    with pytest.raises(BlueprintError, match="run 'scaffold blueprints' to list them"):
        load_catalog().get("qqqqqqqq")


def test_cli_unknown_blueprint_says_did_you_mean(cli, error_line, source, out) -> None:
    source.add("widgets")

    result = cli("new", "x", "-b", "widget", "--source", source.root, "--no-input", "-o", out)

    assert result.exit_code == 2
    line = error_line(result)
    assert "unknown blueprint 'widget'" in line
    assert "did you mean 'widgets'?" in line
    assert not out.exists()


def test_a_name_offered_twice_is_an_error_naming_both_sources(tmp_path, file_tree) -> None:
    manifest = 'name = "twin"\nsummary = "s"\nversion = "1.0"\n'
    first = file_tree(tmp_path / "one", {"twin/blueprint.toml": manifest})
    second = file_tree(tmp_path / "two", {"twin/blueprint.toml": manifest})

    with pytest.raises(BlueprintError, match="'twin'") as caught:
        load_catalog((first, second))

    assert str(first) in str(caught.value)
    assert str(second) in str(caught.value)


def test_a_source_cannot_replace_a_builtin_blueprint(source) -> None:
    source.add("base")

    with pytest.raises(BlueprintError, match="'base' is offered by both built-in"):
        load_catalog((source.root,))


def test_a_source_that_is_not_a_folder_is_an_error(tmp_path) -> None:
    with pytest.raises(BlueprintError, match="not a folder"):
        load_catalog((tmp_path / "missing",))


@pytest.mark.parametrize(
    ("manifest", "fragment"),
    [
        ('name = "bad"\nsummary = ', "not valid TOML"),
        ('name = "bad"\nversion = "1.0"\n', "summary"),
        ('name = "bad"\nsummary = "s"\nversion = "one"\n', "dotted numbers"),
        ('name = "bad"\nsummary = "s"\nversion = "1"\nsurprise = 1\n', "surprise"),
        ('name = "other"\nsummary = "s"\nversion = "1"\n', "its folder is 'bad'"),
        ('name = "bad"\nsummary = "s"\nversion = "1"\n[options.x]\ntype = "complex"\n', "type"),
    ],
    ids=["toml", "missing-field", "version", "unknown-key", "name-mismatch", "option-type"],
)
def test_a_malformed_manifest_is_a_blueprint_error(tmp_path, file_tree, manifest, fragment) -> None:
    root = file_tree(tmp_path / "src", {"bad/blueprint.toml": manifest})

    with pytest.raises(BlueprintError) as caught:
        load_catalog((root,))

    assert fragment in str(caught.value)
    assert "blueprint.toml" in str(caught.value)
