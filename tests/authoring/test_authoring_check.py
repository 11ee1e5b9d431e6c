"""``scaffold blueprint check``: every combination rendered, linted and tested, or why not."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from scaffold.authoring import CHECK_PROJECT, plan_check
from scaffold.catalog import load_catalog
from scaffold.errors import BlueprintError

if TYPE_CHECKING:
    from collections.abc import Callable

    from click.testing import Result

    BlueprintFolder = Any  # the ``blueprints`` fixture (tests/conftest.py's BlueprintSource)
    JsonCli = Callable[..., tuple[int, dict[str, Any]]]

OPTIONAL = [bp.name for bp in load_catalog(entry_points=False) if not bp.manifest.always]

# A module ruff rejects (F841: the fix is unsafe, so scaffold's formatting leaves it in place).
UNUSED_VARIABLE = '''\
"""A helper."""


def helper() -> None:
    """Do nothing, badly."""
    unused = 1
'''


# --------------------------------------------------------------------------------------------
# Which combinations
# --------------------------------------------------------------------------------------------


def test_the_plan_pairs_with_every_optional_built_in(blueprints: BlueprintFolder) -> None:
    folder = blueprints.add("solo")

    plan = plan_check(folder)

    names = [c.name for c in plan.combinations]
    assert names == ["solo", *(f"solo+{other}" for other in OPTIONAL), "solo+all"]
    assert plan.combinations[-1].requested == ("solo", *OPTIONAL)


def test_the_plan_skips_what_is_required_and_what_conflicts(blueprints: BlueprintFolder) -> None:
    folder = blueprints.add("picky", 'requires = ["settings"]\nconflicts = ["websockets"]\n')

    names = [c.name for c in plan_check(folder).combinations]

    assert "picky+settings" not in names, "the same project as picky alone"
    assert "picky+websockets" not in names
    assert "picky+middleware" in names


def test_with_restricts_the_partners(blueprints: BlueprintFolder) -> None:
    folder = blueprints.add("solo")

    plan = plan_check(folder, with_names=["tests", "static"])

    assert [c.name for c in plan.combinations] == [
        "solo",
        "solo+tests",
        "solo+static",
        "solo+all",
    ]


def test_a_required_sibling_is_found_beside_the_blueprint(blueprints: BlueprintFolder) -> None:
    blueprints.add("org-base")
    folder = blueprints.add("org-api", 'requires = ["org-base"]\n')

    plan = plan_check(folder, with_names=["base"])

    assert [c.name for c in plan.combinations] == ["org-api"]
    assert "org-base" in plan.catalog


def test_a_broken_sibling_does_not_matter_when_not_needed(blueprints: BlueprintFolder) -> None:
    blueprints.add("broken", "version = 'twice'\n")  # invalid TOML: a key given twice
    folder = blueprints.add("fine")

    assert plan_check(folder, with_names=["base"]).blueprint.name == "fine"


# --------------------------------------------------------------------------------------------
# Usage errors: exit 2, one line
# --------------------------------------------------------------------------------------------


def _invalid_cases(blueprints: BlueprintFolder, tmp_path: Path) -> dict[str, tuple[Path, str]]:
    not_toml = blueprints.add("not-toml", "options = [\n")
    no_version = tmp_path / "no-version"
    no_version.mkdir()
    (no_version / "blueprint.toml").write_text('name = "no-version"\nsummary = "x"\n')
    empty = tmp_path / "empty"
    empty.mkdir()
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    (renamed / "blueprint.toml").write_text('name = "other"\nsummary = "x"\nversion = "1"\n')
    return {
        "missing": (tmp_path / "nowhere", "is not a folder"),
        "no manifest": (empty, "has no blueprint.toml"),
        "not toml": (not_toml, "not valid TOML"),
        "no version": (no_version, "version"),
        "bad version": (blueprints.add("bad-version", version="one"), "dotted numbers"),
        "folder name": (renamed, "its folder is"),
        "unknown requirement": (blueprints.add("needy", 'requires = ["nope"]\n'), "'nope'"),
        "when names no file": (
            blueprints.add("typo", '[when]\n"tests/test_tpyo.py.jinja" = "true"\n'),
            "[when] names 'tests/test_tpyo.py.jinja'",
        ),
        "unknown option type": (
            blueprints.add("odd", "[options.x]\ntype = 'dict'\n"),
            "options.x.type",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "no manifest",
        "not toml",
        "no version",
        "bad version",
        "folder name",
        "unknown requirement",
        "when names no file",
        "unknown option type",
    ],
)
def test_an_invalid_blueprint_is_a_usage_error(
    bp_cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    blueprints: BlueprintFolder,
    tmp_path: Path,
    case: str,
) -> None:
    path, expected = _invalid_cases(blueprints, tmp_path)[case]

    result = bp_cli("check", path, "--no-run")

    assert result.exit_code == 2, result.stdout + result.stderr
    assert expected in error_line(result)
    assert result.stdout == ""


def test_a_folder_of_blueprints_names_one_to_check(
    bp_cli: Callable[..., Result], error_line: Callable[[Result], str], blueprints: BlueprintFolder
) -> None:
    blueprints.add("one")
    blueprints.add("two")

    result = bp_cli("check", blueprints.root)

    assert result.exit_code == 2
    line = error_line(result)
    assert "holds blueprints (one, two)" in line
    assert str(blueprints.root / "one") in line


def test_with_an_unknown_blueprint_is_a_usage_error(
    bp_cli: Callable[..., Result], error_line: Callable[[Result], str], blueprints: BlueprintFolder
) -> None:
    result = bp_cli("check", blueprints.add("solo"), "--with", "websocket", "--no-run")

    assert result.exit_code == 2
    assert "did you mean 'websockets'" in error_line(result)


def test_with_a_conflicting_blueprint_is_a_usage_error(blueprints: BlueprintFolder) -> None:
    folder = blueprints.add("loner", 'conflicts = ["static"]\n')

    with pytest.raises(BlueprintError, match="--with static"):
        plan_check(folder, with_names=["static"])


def test_a_usage_error_in_json_is_one_document(
    bp_json: JsonCli, blueprints: BlueprintFolder
) -> None:
    code, document = bp_json("check", blueprints.add("bad", version="x"), "--no-run")

    assert code == 2
    assert document["error"]["exit_code"] == 2
    assert "dotted numbers" in document["error"]["message"]


# --------------------------------------------------------------------------------------------
# Failing combinations: exit 1, the table names them
# --------------------------------------------------------------------------------------------


def test_a_ruff_failure_names_its_combination(
    bp_cli: Callable[..., Result],
    row: Callable[[str, str], list[str]],
    blueprints: BlueprintFolder,
) -> None:
    folder = blueprints.add(
        "sloppy",
        '[when]\n"{{ package }}/sloppy.py.jinja" = "\'static\' in blueprints"\n',
        {"{{ package }}/sloppy.py.jinja": UNUSED_VARIABLE},
    )

    result = bp_cli("check", folder, "--no-run", "--with", "static", "--with", "tests")

    assert result.exit_code == 1, result.stdout + result.stderr
    assert row(result.stdout, "sloppy")[1:5] == ["ok", "ok", "ok", "skipped"]
    assert row(result.stdout, "sloppy+tests")[1:5] == ["ok", "ok", "ok", "skipped"]
    assert row(result.stdout, "sloppy+static")[1:5] == ["ok", "FAIL", "ok", "skipped"]
    assert row(result.stdout, "sloppy+all")[2] == "FAIL"
    assert "FAIL sloppy+static: ruff" in result.stdout
    assert "F841" in result.stdout
    assert "2 of 4 failed: sloppy+static, sloppy+all" in result.stdout
    assert "checked sloppy+static: FAILED" in result.stderr  # progress, one line each


def test_a_template_error_fails_the_render_and_skips_the_rest(
    bp_json: JsonCli, blueprints: BlueprintFolder
) -> None:
    folder = blueprints.add("typo", "", {"{{ package }}/typo.py.jinja": "X = {{ nmae }}\n"})

    code, document = bp_json("check", folder, "--with", "base")

    assert code == 1
    (only,) = document["combinations"]
    assert only["steps"]["render"]["status"] == "failed"
    assert "nmae" in only["steps"]["render"]["output"]
    assert {only["steps"][s]["status"] for s in ("ruff", "format", "pytest")} == {"skipped"}


def test_a_failing_generated_test_fails_check(
    bp_cli: Callable[..., Result],
    row: Callable[[str, str], list[str]],
    blueprints: BlueprintFolder,
) -> None:
    folder = blueprints.add(
        "wrong",
        '[when]\n"tests/test_wrong.py.jinja" = "\'tests\' in blueprints"\n',
        {
            "tests/test_wrong.py.jinja": '''\
                """A test of the wrong answer."""


                def test_the_answer() -> None:
                    assert 6 * 7 == 41
            ''',
        },
    )

    result = bp_cli("check", folder, "--with", "tests")

    assert result.exit_code == 1, result.stdout + result.stderr
    assert row(result.stdout, "wrong")[1:5] == ["ok", "ok", "ok", "ok"]
    assert row(result.stdout, "wrong+tests")[1:5] == ["ok", "ok", "ok", "FAIL"]
    assert "FAIL wrong+tests: pytest" in result.stdout
    assert "test_the_answer" in result.stdout


def test_a_requirement_that_cannot_be_installed_is_one_error(
    bp_cli: Callable[..., Result], blueprints: BlueprintFolder
) -> None:
    folder = blueprints.add("exotic", 'dependencies = ["surely-not-installed-pkg>=1"]\n')

    result = bp_cli("check", folder, "--with", "base")

    assert result.exit_code == 1, result.stdout + result.stderr
    *progress, line = result.stderr.strip().splitlines()
    assert progress, "no progress while the environment was made"
    assert all(step.startswith("test environment: ") for step in progress), progress
    assert line.startswith("error: cannot install the projects' requirements: "), line
    assert "surely-not-installed-pkg" in line


def test_the_tests_run_in_an_environment_of_their_own(
    blueprints: BlueprintFolder, tmp_path: Path
) -> None:
    """The projects' requirements are installed into a cached environment, not scaffold's."""
    import subprocess
    import sys

    from scaffold.authoring import run_check
    from scaffold.check_env import environment_folder

    folder = blueprints.add("solo", "")
    plan = plan_check(folder, with_names=["base"])
    seen: list[list[str]] = []

    def prepare(requirements: list[str]) -> Path:
        from scaffold.check_env import ensure_environment

        seen.append(requirements)
        return ensure_environment(requirements)

    results = run_check(plan, tmp_path / "work", prepare=prepare)

    assert [r.steps["pytest"].status for r in results] == ["passed"]
    (requirements,) = seen
    assert "pytest>=8" in requirements
    assert any(r.startswith("fastapi[standard]") for r in requirements), requirements
    python = environment_folder(requirements) / "bin" / "python"
    prefix = subprocess.run(
        [python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Path(prefix) != Path(sys.prefix), "the tests ran in scaffold's own environment"
    marker = environment_folder(requirements) / "scaffold-check-env.json"
    made = marker.stat().st_mtime_ns
    again = run_check(plan, tmp_path / "again", prepare=prepare)
    assert again[0].ok
    assert marker.stat().st_mtime_ns == made, "the cached environment was made again"


# --------------------------------------------------------------------------------------------
# --json and --keep
# --------------------------------------------------------------------------------------------


def test_json_reports_every_combination_and_step(bp_json: JsonCli, tmp_path: Path) -> None:
    from scaffold.authoring import create_skeleton

    create_skeleton("greeter", tmp_path)

    code, document = bp_json("check", tmp_path / "greeter", "--no-run")

    assert code == 0
    assert document["ok"] is True
    assert document["blueprint"] == "greeter"
    assert document["version"] == "0.1.0"
    assert document["ran_tests"] is False
    assert document["path"] == str(tmp_path / "greeter")
    combinations = document["combinations"]
    assert [c["name"] for c in combinations][:2] == ["greeter", f"greeter+{OPTIONAL[0]}"]
    for combination in combinations:
        assert set(combination) == {"name", "requested", "blueprints", "ok", "seconds", "steps"}
        assert combination["ok"] is True
        assert "base" in combination["blueprints"]
        assert isinstance(combination["seconds"], float)
        steps = {name: step["status"] for name, step in combination["steps"].items()}
        assert steps == {
            "render": "passed",
            "ruff": "passed",
            "format": "passed",
            "pytest": "skipped",
        }


def test_keep_leaves_the_projects(
    bp_cli: Callable[..., Result], blueprints: BlueprintFolder, tmp_path: Path
) -> None:
    import re
    import shutil

    result = bp_cli("check", blueprints.add("solo"), "--no-run", "--with", "base", "--keep")

    assert result.exit_code == 0
    match = re.search(r"kept in (\S+)", result.stderr)
    assert match, result.stderr
    kept = tmp_path.joinpath(match.group(1))  # absolute: joinpath returns it as is
    try:
        assert (kept / "00-solo" / CHECK_PROJECT / "pyproject.toml").is_file()
    finally:
        shutil.rmtree(kept)


# --------------------------------------------------------------------------------------------
# The example org blueprint
# --------------------------------------------------------------------------------------------


def test_acme_service_passes_with_tests(
    bp_cli: Callable[..., Result], row: Callable[[str, str], list[str]], acme: Path
) -> None:
    result = bp_cli("check", acme, "--with", "tests", "--with", "settings")

    assert result.exit_code == 0, result.stdout + result.stderr
    for name in ("acme-service", "acme-service+tests"):
        assert row(result.stdout, name)[1:5] == ["ok"] * 4
    assert "acme-service+settings" not in result.stdout, "settings is required: not a pair"


@pytest.mark.slow
@pytest.mark.e2e
def test_acme_service_passes_the_full_check(bp_json: JsonCli, acme: Path) -> None:
    code, document = bp_json("check", acme)

    assert code == 0, document
    assert all(c["steps"]["pytest"]["status"] == "passed" for c in document["combinations"])
    assert "acme-service+all" in [c["name"] for c in document["combinations"]]


def test_acme_service_is_a_verbatim_org_blueprint(acme: Path) -> None:
    from scaffold.catalog import load_blueprint

    manifest = load_blueprint(acme, source="test").manifest

    assert manifest.name == acme.name == "acme-service"
    assert manifest.requires == ("settings",)
    assert manifest.verbatim == (".github/workflows/acme-ci.yml",)
    assert (acme / "files" / ".github/workflows/acme-ci.yml").is_file()
    assert [m.cls for m in manifest.contribute.middleware] == [
        "{{ package }}.acme:AcmeServiceMiddleware"
    ]
    assert [s.name for s in manifest.contribute.settings] == ["acme_service_name"]


# --------------------------------------------------------------------------------------------
# The same source and trust layers as every command
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["--source", "SCAFFOLD_SOURCES", "user config"])
def test_other_blueprints_come_from_the_configured_sources(
    bp_json: JsonCli, make_source: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layer
) -> None:
    mine = make_source(tmp_path / "mine").add("needy", 'requires = ["orgdep"]\n')
    org = make_source(tmp_path / "org")
    org.add("orgdep")
    extra: list[object] = []
    if layer == "--source":
        extra = ["--source", org.root]
    elif layer == "SCAFFOLD_SOURCES":
        monkeypatch.setenv("SCAFFOLD_SOURCES", str(org.root))
    else:
        config = tmp_path / "config.toml"
        config.write_text(f"sources = [{str(org.root)!r}]\n")
        monkeypatch.setenv("SCAFFOLD_CONFIG", str(config))

    code, document = bp_json("check", mine, "--no-run", "--with", "base", *extra)

    assert code == 0, document
    (only,) = document["combinations"]
    assert "orgdep" in only["blueprints"], only


def test_without_the_source_the_requirement_is_unknown(
    bp_cli: Callable[..., Result], make_source: Any, tmp_path: Path, error_line: Any
) -> None:
    mine = make_source(tmp_path / "mine").add("needy", 'requires = ["orgdep"]\n')

    result = bp_cli("check", mine, "--no-run", "--with", "base")

    assert result.exit_code == 2
    assert "orgdep" in error_line(result)


def test_trust_comes_from_the_configured_layers(
    bp_cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = tmp_path / "org" / "tasky"
    template.mkdir(parents=True)
    (template / "copier.yml").write_text("_tasks:\n  - echo ran > task.txt\n")

    refused = bp_cli("check", template, "--no-run", "--with", "base")
    monkeypatch.setenv("SCAFFOLD_TRUSTED", str(tmp_path / "org"))
    trusted = bp_cli("check", template, "--no-run", "--with", "base")

    assert refused.exit_code == 3, refused.stdout + refused.stderr
    assert "runs code (tasks)" in refused.stderr
    assert trusted.exit_code == 0, trusted.stdout + trusted.stderr
