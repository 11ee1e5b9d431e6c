"""Adding a blueprint is adding a folder: nothing in scaffold/ names one."""

from __future__ import annotations

import ast
import json

MANIFEST = """
dependencies = ["mine-lib>=1"]

[[contribute.routers]]
ref = "{{ package }}.routes.mine:router"
order = 30
"""

# Deliberately unformatted, with imports out of order: ruff must fix both.
ROUTES = """\
\"\"\"Routes of {{ project.name }}.\"\"\"
from fastapi import APIRouter
import os
router=APIRouter( prefix = os.environ.get( 'MINE_PREFIX','/{{ package }}' ) )
@router.get( '/' )
async def index( ) -> dict[str,str]:
    return { 'blueprint' : 'mine' }
"""

FORMATTED_ROUTES = '''\
"""Routes of x-app."""

import os

from fastapi import APIRouter

router = APIRouter(prefix=os.environ.get("MINE_PREFIX", "/x_app"))


@router.get("/")
async def index() -> dict[str, str]:
    return {"blueprint": "mine"}
'''


def test_a_blueprint_from_a_source_folder_is_used_and_formatted(cli, source, out) -> None:
    source.add(
        "mine",
        MANIFEST,
        {
            "{{ package }}/routes/mine.py.jinja": ROUTES,
            "MINE.md.jinja": "# {{ project.name }} uses mine\n",
        },
    )

    result = cli("new", "x-app", "-b", "mine", "--source", source.root, "--no-input", "-o", out)

    assert result.exit_code == 0, result.stderr
    project = out / "x-app"
    assert (project / "x_app" / "routes" / "mine.py").read_text() == FORMATTED_ROUTES
    assert (project / "MINE.md").read_text() == "# x-app uses mine\n"
    main = (project / "x_app" / "main.py").read_text()
    assert "from x_app.routes import health, mine" in main
    assert "app.include_router(mine.router)" in main
    assert main.index("include_router(health.router)") < main.index("include_router(mine.router)")
    assert '"mine-lib>=1"' in (project / "pyproject.toml").read_text()
    for path in project.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))


def test_the_new_blueprint_is_listed_and_recorded(cli, source, out) -> None:
    source.add("mine", MANIFEST, {"{{ package }}/routes/mine.py.jinja": ROUTES}, version="3.2.1")

    listing = json.loads(cli("blueprints", "--json", "--source", source.root).stdout)
    result = cli("new", "x-app", "-b", "mine", "--source", source.root, "--json", "-o", out)

    assert {"name": "mine", "version": "3.2.1"}.items() <= next(
        entry for entry in listing if entry["name"] == "mine"
    ).items()
    report = json.loads(result.stdout)
    assert [bp["name"] for bp in report["blueprints"]] == ["base", "mine"]
    assert report["blueprints"][1]["version"] == "3.2.1"
    assert "x_app/routes/mine.py" in report["files"]
