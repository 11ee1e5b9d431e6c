"""With docker, a PostgreSQL database gets its service in compose.yaml; SQLite needs none."""

from __future__ import annotations

import tomllib

import yaml


def _compose(cli, out, *options: str) -> dict:
    result = cli("new", "shop", "-b", "docker", "-b", "database", *options, "--no-input", "-o", out)
    assert result.exit_code == 0, result.output
    return yaml.safe_load((out / "shop" / "compose.yaml").read_text())


def test_postgresql_gets_a_healthy_db_service_the_app_is_pointed_at(cli, out) -> None:
    compose = _compose(cli, out, "-O", "database.driver=postgresql")

    db, app = compose["services"]["db"], compose["services"]["app"]
    assert db["image"].startswith("postgres:")
    assert db["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    # The variable is the one the app's settings read: the settings' prefix, rendered.
    record = tomllib.loads((out / "shop" / ".scaffold" / "project.toml").read_text())
    prefix = record["blueprints"]["settings"]["options"]["env_prefix"]
    url = app["environment"][f"{prefix}DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://")
    assert "@db:5432/" in url
    assert "pgdata" in compose["volumes"]


def test_sqlite_adds_no_service(cli, out) -> None:
    compose = _compose(cli, out)

    assert set(compose["services"]) == {"app"}
