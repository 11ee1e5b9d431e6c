"""Source specs, their layers and precedence, pins, trust prefixes, and entry points."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest

from scaffold.catalog import load_catalog
from scaffold.errors import BlueprintError
from scaffold.sources import Source, is_trusted, load_settings, merge_sources, parse_source

if TYPE_CHECKING:
    from pathlib import Path


def _blueprint(root: Path, name: str, version: str = "1.0.0") -> Path:
    folder = root / name
    (folder / "files").mkdir(parents=True)
    (folder / "blueprint.toml").write_text(
        f'name = "{name}"\nsummary = "{name} from {root.name}"\nversion = "{version}"\n'
    )
    (folder / "files" / f"{name.replace('-', '_')}.txt").write_text(f"{root.name}\n")
    return folder


# --- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "location", "ref"),
    [
        ("gh:acme/blueprints@v1.4.0", "git", "https://github.com/acme/blueprints.git", "v1.4.0"),
        ("gh:acme/blueprints", "git", "https://github.com/acme/blueprints.git", None),
        ("gl:acme/bp.git@2.0", "git", "https://gitlab.com/acme/bp.git", "2.0"),
        ("https://git.acme.io/bp.git@v2", "git", "https://git.acme.io/bp.git", "v2"),
        ("https://user@git.acme.io/bp.git", "git", "https://user@git.acme.io/bp.git", None),
        ("git@github.com:acme/bp.git@v3", "git", "git@github.com:acme/bp.git", "v3"),
        ("ssh://git@host/bp", "git", "ssh://git@host/bp", None),
        ("pkg:acme", "package", "acme", None),
        ("built-in", "builtin", "built-in", None),
    ],
)
def test_specs_name_their_kind_location_and_ref(spec, kind, location, ref, tmp_path) -> None:
    source = parse_source(spec, base=tmp_path)

    assert (source.kind, source.location, source.ref) == (kind, location, ref)


def test_a_local_folder_is_a_folder_and_a_local_repository_at_a_tag_is_git(tmp_path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "plain").mkdir()

    assert parse_source("plain", base=tmp_path).kind == "folder"
    assert parse_source("plain", base=tmp_path).location == str(tmp_path / "plain")
    tagged = parse_source("repo@v1.0.0", base=tmp_path)
    assert (tagged.kind, tagged.location, tagged.ref) == ("git", str(tmp_path / "repo"), "v1.0.0")
    assert parse_source("git+repo", base=tmp_path).kind == "git"


def test_a_folder_whose_name_holds_an_at_sign_stays_a_folder(tmp_path) -> None:
    (tmp_path / "team@acme").mkdir()

    source = parse_source("team@acme", base=tmp_path)

    assert (source.kind, source.location) == ("folder", str(tmp_path / "team@acme"))


def test_a_pin_names_the_blueprint_it_wins_for(tmp_path) -> None:
    source = parse_source("middleware=gh:acme/bp@v1", base=tmp_path)

    assert (source.kind, source.ref, source.pins) == ("git", "v1", frozenset({"middleware"}))


@pytest.mark.parametrize("spec", ["", "   ", "-uupload-pack=evil", "--upload-pack=touch /tmp/x"])
def test_empty_specs_and_option_lookalikes_are_refused(spec, tmp_path) -> None:
    with pytest.raises(BlueprintError):
        parse_source(spec, base=tmp_path)


# --- layers and precedence ---------------------------------------------------------------------


def test_layers_come_in_order_flags_env_project_record_user(tmp_path, monkeypatch) -> None:
    user = tmp_path / "user.toml"
    user.write_text('sources = ["gh:acme/user"]\ntrusted = ["gh:acme/"]\n')
    monkeypatch.setenv("SCAFFOLD_CONFIG", str(user))
    monkeypatch.setenv("SCAFFOLD_SOURCES", "gh:acme/env-one gh:acme/env-two")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.scaffold]\nsources = ["gh:acme/project"]\n'
    )
    recorded = (Source("git", "https://github.com/acme/record.git", layer="record"),)

    settings = load_settings(
        flags=("gh:acme/flag",), project_root=project, recorded=recorded, cwd=tmp_path
    )

    names = [s.location.rsplit("/", 1)[-1] for s in settings.sources]
    assert names == [
        "flag.git",
        "env-one.git",
        "env-two.git",
        "project.git",
        "record.git",
        "user.git",
    ]
    assert [s.layer for s in settings.sources] == [
        "flag",
        "env",
        "env",
        "project",
        "record",
        "user",
    ]
    assert settings.trusted == ("gh:acme/",)


def test_the_same_source_twice_is_one_and_the_highest_ref_wins(tmp_path) -> None:
    flag = parse_source("gh:acme/bp@v2.0.0", base=tmp_path, layer="flag")
    record = parse_source("gh:acme/bp@v1.0.0", base=tmp_path, layer="record")
    unpinned = parse_source("gh:acme/bp", base=tmp_path, layer="env")

    assert [s.ref for s in merge_sources((flag, record))] == ["v2.0.0"]
    # A higher layer that names no ref does not erase a lower layer's: the record's tag holds.
    assert [s.ref for s in merge_sources((unpinned, record))] == ["v1.0.0"]


def test_a_project_file_source_is_relative_to_the_project(cli, tmp_path, monkeypatch) -> None:
    project = tmp_path / "svc"
    assert cli("new", "svc", "--no-input", "-o", tmp_path).exit_code == 0
    _blueprint(project / "org-blueprints", "house-style")
    with (project / "pyproject.toml").open("a") as handle:
        handle.write('\n[tool.scaffold]\nsources = ["org-blueprints"]\n')
    monkeypatch.chdir(tmp_path)  # not the project: the path must be read from the file's folder

    result = cli("add", "house-style", "-C", project, "--allow-dirty")

    assert result.exit_code == 0, result.output
    assert (project / "house_style.txt").read_text() == "org-blueprints\n"


def test_the_environment_variable_adds_sources(cli_json, tmp_path, monkeypatch) -> None:
    _blueprint(tmp_path / "envsrc", "from-env")
    monkeypatch.setenv("SCAFFOLD_SOURCES", str(tmp_path / "envsrc"))

    code, listing = cli_json("blueprints")

    assert code == 0
    assert "from-env" in {bp["name"] for bp in listing}


def test_a_damaged_user_config_is_one_line(cli, error_line, tmp_path, monkeypatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text("sources = [oops\n")
    monkeypatch.setenv("SCAFFOLD_CONFIG", str(config))

    result = cli("blueprints")

    assert result.exit_code == 2
    assert f"cannot read {config}" in error_line(result)


# --- collisions and pins -------------------------------------------------------------------------


def test_two_sources_offering_a_name_is_an_error_naming_both(tmp_path) -> None:
    _blueprint(tmp_path / "team-a", "audit")
    _blueprint(tmp_path / "team-b", "audit")

    with pytest.raises(BlueprintError) as caught:
        load_catalog((tmp_path / "team-a", tmp_path / "team-b"), entry_points=False)

    message = str(caught.value)
    assert str(tmp_path / "team-a") in message
    assert str(tmp_path / "team-b") in message
    assert "pin one" in message


def test_a_pinned_source_wins_the_name(tmp_path) -> None:
    _blueprint(tmp_path / "team-a", "audit")
    _blueprint(tmp_path / "team-b", "audit")

    catalog = load_catalog(
        (str(tmp_path / "team-a"), f"audit={tmp_path / 'team-b'}"), entry_points=False
    )

    assert catalog.get("audit").source == str(tmp_path / "team-b")


def test_an_org_can_pin_its_own_middleware_over_the_built_in_one(cli, tmp_path) -> None:
    org = tmp_path / "org"
    _blueprint(org, "middleware", "7.0.0")

    refused = cli("new", "svc", "-b", "middleware", "--source", org, "--no-input", "-o", tmp_path)
    pinned = cli(
        "new",
        "svc",
        "-b",
        "middleware",
        "--source",
        f"middleware={org}",
        "--no-input",
        "-o",
        tmp_path,
    )

    assert refused.exit_code == 2
    assert "'middleware' is offered by both built-in and" in refused.stderr
    assert pinned.exit_code == 0, pinned.output
    assert (tmp_path / "svc" / "middleware.txt").read_text() == "org\n"


# --- trust ---------------------------------------------------------------------------------------

TRUSTED = ("gh:acme/", "https://git.acme.io/platform/", "/srv/blueprints")


@pytest.mark.parametrize(
    "spec",
    ["gh:acme/blueprints", "gh:acme/blueprints@v1", "https://github.com/acme/x.git",
     "https://git.acme.io/platform/bp.git", "/srv/blueprints/org"],
)  # fmt: skip
def test_sources_under_a_trusted_prefix_are_trusted(spec, tmp_path) -> None:
    assert is_trusted(parse_source(spec, base=tmp_path), TRUSTED)


@pytest.mark.parametrize(
    "spec",
    [
        "gh:acme-evil/blueprints",  # a prefix ends at a separator
        "gh:acme/../evil/bp",
        "gh:acme/%2e%2e/evil/bp",
        "gh:acme/%2E%2E/evil/bp",
        "gh:acme/%252e%252e/evil/bp",  # encoded twice
        "gh:acme/..%2fevil",
        "https://git.acme.io/platform/../attacker/bp.git",
        "https://git.acme.io/platform/%2e%2e/attacker/bp.git",
        "https://git.acme.io/platform%2f..%2fattacker/bp.git",
        "https://git.acme.io/platform/.%2e/attacker/bp.git",
        "https://git.acme.io/platform\\..\\attacker/bp.git",
        "/srv/blueprints/../../home/attacker",
        "/srv/blueprints-evil/org",
        "gh:other/blueprints",
    ],
)
def test_climbing_out_of_a_trusted_prefix_is_not_trusted(spec, tmp_path) -> None:
    assert not is_trusted(parse_source(spec, base=tmp_path), TRUSTED)


def test_a_trusted_prefix_in_the_config_lets_copier_tasks_run(cli, tmp_path, monkeypatch) -> None:
    template = tmp_path / "org" / "tasky"
    template.mkdir(parents=True)
    (template / "copier.yml").write_text("_tasks:\n  - echo ran > task.txt\n")
    config = tmp_path / "config.toml"
    config.write_text(f'trusted = ["{tmp_path / "org"}"]\n')
    monkeypatch.setenv("SCAFFOLD_CONFIG", str(config))

    result = cli(
        "new", "svc", "-b", "tasky", "--source", tmp_path / "org", "--no-input", "-o", tmp_path
    )

    assert result.exit_code == 0, result.output
    assert (tmp_path / "svc" / "task.txt").read_text().strip() == "ran"


def test_an_untrusted_copier_template_with_jinja_extensions_exits_3(cli, tmp_path) -> None:
    template = tmp_path / "org" / "ext"
    template.mkdir(parents=True)
    (template / "copier.yml").write_text("_jinja_extensions:\n  - jinja2_time.TimeExtension\n")
    out = tmp_path / "out"

    result = cli("new", "svc", "-b", "ext", "--source", tmp_path / "org", "--no-input", "-o", out)

    assert result.exit_code == 3
    assert "runs code (jinja extensions)" in result.stderr
    assert not out.exists()


def test_a_copier_yml_with_python_yaml_tags_is_refused(cli, error_line, tmp_path) -> None:
    template = tmp_path / "org" / "tagged"
    template.mkdir(parents=True)
    witness = tmp_path / "pwned"
    (template / "copier.yml").write_text(
        f"x: !!python/object/apply:os.system ['touch {witness}']\n"
    )

    result = cli("blueprints", "--source", tmp_path / "org")

    assert result.exit_code == 2
    assert "cannot be read safely" in error_line(result)
    assert not witness.exists()


# --- entry points --------------------------------------------------------------------------------


def test_an_installed_package_registers_blueprints_by_entry_point(
    cli, cli_json, tmp_path, monkeypatch
) -> None:
    site = tmp_path / "site"
    package = site / "acme_blueprints"
    package.mkdir(parents=True)
    # Importing the package would run this: scaffold must find the folder without importing it.
    (package / "__init__.py").write_text("raise SystemExit('imported!')\n")
    _blueprint(package, "acme-logging", "3.1.0")
    dist = site / "acme_blueprints-3.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-blueprints\nVersion: 3.1.0\n")
    (dist / "entry_points.txt").write_text("[scaffold.blueprints]\nacme = acme_blueprints\n")
    monkeypatch.syspath_prepend(str(site))

    code, listing = cli_json("blueprints")
    made = cli("new", "svc", "-b", "acme-logging", "--no-input", "-o", tmp_path)

    assert code == 0
    entry = next(bp for bp in listing if bp["name"] == "acme-logging")
    assert (entry["source"], entry["version"]) == ("pkg:acme", "3.1.0")
    assert made.exit_code == 0, made.output
    assert "acme_blueprints" not in sys.modules
    record = (tmp_path / "svc" / ".scaffold" / "project.toml").read_text()
    assert 'source = "pkg:acme"' in record


def test_an_unknown_package_source_says_what_to_install(cli, error_line, tmp_path) -> None:
    result = cli("blueprints", "--source", "pkg:nobody-registered-this")

    assert result.exit_code == 2
    assert "no installed package registers 'nobody-registered-this'" in error_line(result)
