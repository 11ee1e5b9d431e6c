"""An adopted project's own ``.env.example`` is merged by variable, not refused."""

from __future__ import annotations

OWNER_ENV = "# The owner's database\nDATABASE_URL=postgres://localhost/app\n"


def test_the_owners_env_example_keeps_its_lines_and_gains_the_blueprints(
    bigger, cli, cli_json
) -> None:
    (bigger / ".env.example").write_text(OWNER_ENV)
    assert cli("adopt", "-C", bigger).exit_code == 0

    code, report = cli_json("add", "settings", "-C", bigger)

    assert code == 0, report
    text = (bigger / ".env.example").read_text()
    assert text.startswith(OWNER_ENV)
    assert "APP_DEBUG=false" in text
    assert text.count("DATABASE_URL=") == 1
