"""``add`` and ``remove`` of the database and auth blueprints on a generated project."""

from __future__ import annotations

import tomllib

PACKAGE = "evo_app"


def _requirements(project) -> list[str]:
    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["dependencies"]


def test_adding_database_to_an_auth_project_moves_accounts_to_a_table_and_removing_it_undoes_it(
    make_project, cli_json, snapshot, ruff_clean, project_tests_pass
) -> None:
    project = make_project("auth", "tests")
    before = snapshot(project, ignore=(".scaffold",))
    assert "class InMemoryUserStore" in (project / PACKAGE / "users.py").read_text()

    code, report = cli_json("add", "database", "-C", project)

    assert code == 0, report
    assert report["conflicts"] == []
    users = (project / PACKAGE / "users.py").read_text()
    assert "class DatabaseUserStore" in users
    assert "InMemoryUserStore" not in users
    assert (project / "migrations" / "versions" / "0002_users.py").is_file()
    assert f"import {PACKAGE}.users" in (project / "migrations" / "env.py").read_text()
    assert "async def db_session(" in (project / "tests" / "conftest.py").read_text()
    main = (project / PACKAGE / "main.py").read_text()
    assert "lifespan=lifespan" in main  # lifespan came with database, for the engine step
    assert any(req.startswith("sqlalchemy[asyncio]") for req in _requirements(project))
    assert not any(req.startswith("asyncpg") for req in _requirements(project))
    ruff_clean(project)
    project_tests_pass(project)  # the accounts now live in the migrated SQLite database

    code, report = cli_json("remove", "database", "-C", project)

    assert code == 0, report
    # what the project's test run left (its SQLite file, bytecode) is not scaffold's
    left_by_tests = (".scaffold", f"{PACKAGE}.db", "__pycache__", ".pytest_cache")
    assert snapshot(project, ignore=left_by_tests) == before


def test_adding_auth_to_a_postgresql_project_adds_the_users_migration(
    make_project, cli_json, cli, tmp_path, ruff_clean
) -> None:
    result = cli(
        "new", "evo-app", "--no-input", "-o", tmp_path / "pg", "-b", "database", "-b", "tests",
        "-O", "database.driver=postgresql",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    project = tmp_path / "pg" / "evo-app"
    assert any(req.startswith("asyncpg") for req in _requirements(project))
    assert "postgresql+asyncpg://" in (project / PACKAGE / "config.py").read_text()
    assert not (project / "migrations" / "versions" / "0002_users.py").exists()

    code, report = cli_json("add", "auth", "-C", project)

    assert code == 0, report
    assert (project / "migrations" / "versions" / "0002_users.py").is_file()
    assert "check_signing_key(self)" in (project / PACKAGE / "config.py").read_text()
    ruff_clean(project)
