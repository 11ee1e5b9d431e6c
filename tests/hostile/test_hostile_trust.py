"""Trust comes only from the person running scaffold, never from the project or its record.

A pull request can write the project's ``pyproject.toml`` and ``.scaffold/``: a ``trusted`` list
there is ignored, so a repository-local copier blueprint with tasks still needs ``--trust``;
and ``check`` and ``status``, which CI runs on pull requests, never run blueprint code, even
when the person's own environment trusts the source.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)


def _tasks_blueprint(folder, witness) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "copier.yml").write_text(f"_tasks:\n  - touch {witness}\n")
    (folder / "evil.txt").write_text("evil\n")


def test_a_projects_own_trusted_list_does_not_let_a_blueprint_run_code(
    project, cli, tmp_path
) -> None:
    root = project()
    witness = tmp_path / "pwned"
    _tasks_blueprint(root / "blueprints" / "evil", witness)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.scaffold]\nsources = ["./blueprints"]\ntrusted = ["/", "./blueprints"]\n'
    )

    result = cli("add", "evil", "-C", root, "--allow-dirty")

    assert result.exit_code == 3, result.output
    assert "runs code" in result.stderr
    assert not witness.exists()


def test_the_person_can_still_trust_it(project, cli, tmp_path) -> None:
    root = project()
    witness = tmp_path / "ran"
    _tasks_blueprint(root / "blueprints" / "evil", witness)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.scaffold]\nsources = ["./blueprints"]\n')

    result = cli("add", "evil", "-C", root, "--trust")

    assert result.exit_code == 0, result.output
    assert witness.exists()


@pytest.mark.parametrize("command", ["check", "status"])
def test_check_and_status_never_run_blueprint_code(
    cli, tmp_path, monkeypatch, source, command
) -> None:
    """The project records a tasks blueprint and one with verbatim files (so check renders)."""
    witness = tmp_path / "ran"
    _tasks_blueprint(source.root / "evil", witness)
    source.add("pinned", 'verbatim = ["ci.yml"]\n', {"ci.yml": "on: push\n"})
    out = tmp_path / "out"
    made = cli(
        "new", "x", "--no-input", "-o", out, "--source", source.root, "-b", "evil",
        "-b", "pinned", "--trust",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert witness.exists()
    witness.unlink()
    monkeypatch.setenv("SCAFFOLD_TRUSTED", str(source.root))  # even the person's own trust

    result = cli(command, "-C", out / "x", "--source", source.root)

    assert not witness.exists()
    assert result.exit_code in {0, 1}, result.output
    if command == "check":
        assert "not compared" in result.stdout + result.stderr
