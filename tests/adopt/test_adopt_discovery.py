"""``scaffold adopt``: finding the app, recording it, and refusing what it cannot edit safely."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
import zipfile
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


def test_adopt_finds_the_app_and_records_it(bigger: Path, cli, snapshot) -> None:
    before = snapshot(bigger)

    result = cli("adopt", "-C", bigger)

    assert result.exit_code == 0, result.output
    assert "Adopted app/main.py:app as project bigger (package app)" in result.stdout
    after = snapshot(bigger)
    assert {k: v for k, v in after.items() if not k.startswith(".scaffold/")} == before
    assert sorted(set(after) - set(before)) == [
        ".scaffold/adopted.json",
        ".scaffold/base.zip",
        ".scaffold/project.toml",
    ]
    record = tomllib.loads(after[".scaffold/project.toml"].decode())
    assert record["adopted"] == {
        "module": "app/main.py",
        "app": "app",
        "package": "app",
        "package_dir": "app",
    }
    assert record["project"]["name"] == "bigger"
    assert list(record["blueprints"]) == ["base"]
    assert record["blueprints"]["base"]["adopted"] is True
    with zipfile.ZipFile(bigger / ".scaffold/base.zip") as archive:
        assert archive.namelist() == []


def test_in_a_git_work_tree_the_next_step_commits_the_record_first(bigger: Path, cli) -> None:
    """``add`` refuses a dirty work tree, so the untracked ``.scaffold/`` must be committed."""
    identity = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t"}
    env = {**os.environ, **identity, "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "mine"]):
        subprocess.run(["git", *command], cwd=bigger, env=env, check=True, capture_output=True)

    result = cli("adopt", "-C", bigger)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    step = re.search(r"`(git [^`]+)`", said)
    assert step is not None, said
    assert "scaffold add static" in said.split(step.group(0), 1)[1]  # after the commit
    subprocess.run(step.group(1), shell=True, env=env, check=True, capture_output=True)
    added = cli("add", "static", "-C", bigger)
    assert added.exit_code == 0, added.output


def test_outside_git_the_next_step_is_the_blueprints(bigger: Path, cli) -> None:
    result = cli("adopt", "-C", bigger)

    assert result.exit_code == 0, result.output
    assert "git " not in result.stdout
    assert "scaffold add static" in " ".join(result.stdout.split())


def test_adopt_json_and_dry_run_write_nothing(bigger: Path, cli, snapshot) -> None:
    before = snapshot(bigger)

    result = cli("adopt", "-C", bigger, "--dry-run", "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["adopted"]["module"] == "app/main.py"
    assert document["dry_run"] is True
    assert document["files"] == [
        ".scaffold/adopted.json",
        ".scaffold/base.zip",
        ".scaffold/project.toml",
    ]
    assert snapshot(bigger) == before


def test_the_name_comes_from_pyproject(bigger: Path, cli, files) -> None:
    files(
        bigger, {"pyproject.toml": '[project]\nname = "bigger-api"\nrequires-python = ">=3.12"\n'}
    )

    assert cli("adopt", "-C", bigger).exit_code == 0

    record = tomllib.loads((bigger / ".scaffold/project.toml").read_text())
    assert record["project"]["name"] == "bigger-api"
    assert record["project"]["python"] == "3.12"


def test_tests_virtualenvs_and_hidden_folders_are_not_searched(bigger: Path, cli, files) -> None:
    other = "from fastapi import FastAPI\napp = FastAPI()\n"
    files(
        bigger,
        {
            "tests/test_app.py": other,
            ".venv/lib/site.py": other,
            ".hidden/x.py": other,
            "env2/pyvenv.cfg": "",
            "env2/lib/y.py": other,
        },
    )

    result = cli("adopt", "-C", bigger)

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("reference", ["app.main:app", "app/main.py:app"])
def test_app_option_picks_one_of_several(bigger: Path, cli, files, reference: str) -> None:
    files(bigger, {"scripts/other.py": "import fastapi\n\nother = fastapi.FastAPI()\n"})

    result = cli("adopt", "-C", bigger, "--app", reference)

    assert result.exit_code == 0, result.output
    record = tomllib.loads((bigger / ".scaffold/project.toml").read_text())
    assert record["adopted"]["module"] == "app/main.py"


def test_src_layout(tmp_path: Path, cli, files) -> None:
    root = files(
        tmp_path / "svc",
        {
            "src/svc/__init__.py": "",
            "src/svc/api.py": "from fastapi import FastAPI as F\napi = F()\n",
        },
    )

    assert cli("adopt", "-C", root).exit_code == 0

    adopted = tomllib.loads((root / ".scaffold/project.toml").read_text())["adopted"]
    assert adopted == {
        "module": "src/svc/api.py",
        "app": "api",
        "package": "svc",
        "package_dir": "src/svc",
    }


# --- refusals: exit 2, one line saying why, nothing written -----------------------------------

FACTORY = """\
from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware


def create_app():
    app = FastAPI()
    return GZipMiddleware(app)


app = create_app()
"""
FACTORY_RETURNS_IN_IF = """\
from typing import Any

from fastapi import FastAPI


def create_application(title: str, *, debug: bool, **kwargs: Any) -> FastAPI:
    application = FastAPI(title=title, **kwargs)
    if debug:
        application.debug = True
        return application
"""
CONDITIONAL = """\
import os

from fastapi import FastAPI

if os.environ.get("DEBUG"):
    app = FastAPI(debug=True)
else:
    app = FastAPI()
"""
DYNAMIC = """\
from fastapi import FastAPI

options = ("x",)
app = FastAPI(*options)
"""
REASSIGNED = """\
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

app = FastAPI()
app = CORSMiddleware(app, allow_origins=["*"])
"""
# The second FastAPI() replaces the first before the first registers anything: the second
# serves, and scaffold adopts it.
REBOUND = """\
from fastapi import FastAPI

app = FastAPI()

app = FastAPI(title="the app that serves")


@app.get("/")
def home():
    return {"home": True}
"""
# The first app gets a route, then the name is bound to a new app: that route never serves.
REBOUND_USED = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/lost")
def lost():
    return {"lost": True}


app = FastAPI()
"""
WRAPPED = """\
from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

app = GZipMiddleware(FastAPI())
"""
BROKEN = """\
from fastapi import FastAPI

app = FastAPI(
"""

REFUSALS = {
    "factory": (
        {"app/main.py": FACTORY},
        "cannot adopt the app in app/main.py: the app is built by create_app(), which does not "
        "end with return app at its own level (its last statement is "
        "'return GZipMiddleware(app)'); scaffold adds its lines just before that final return, "
        "so end the function with return app",
    ),
    # FastAPI-boilerplate's shape: a factory with arguments in another module, whose return
    # is inside its last if block (other settings classes get None back).
    "factory_returns_in_if": (
        {
            "app/main.py": "from .setup import create_application\n\n"
            "app = create_application(title='x', debug=True)\n",
            "app/setup.py": FACTORY_RETURNS_IN_IF,
        },
        "cannot adopt the app in app/setup.py: the app is built by create_application(), which "
        "does not end with return application at its own level (its last statement is an if "
        "block); scaffold adds its lines just before that final return, so end the function "
        "with return application",
    ),
    "conditional": (
        {"app/main.py": CONDITIONAL},
        "cannot adopt the app in app/main.py: the app is created conditionally, inside an 'if' "
        "block (line 5); scaffold edits an app created unconditionally at module level as "
        "NAME = FastAPI(...)",
    ),
    "dynamic": (
        {"app/main.py": DYNAMIC},
        "cannot adopt the app in app/main.py: FastAPI(...) at line 4 takes *args, "
        "so scaffold cannot see or safely extend its arguments",
    ),
    "reassigned": (
        {"app/main.py": REASSIGNED},
        "cannot adopt the app in app/main.py: 'app' is bound again at line 5 after "
        "FastAPI(...) at line 4, so scaffold cannot tell which object serves",
    ),
    "bound twice, the first used": (
        {"app/main.py": REBOUND_USED},
        "cannot adopt the app in app/main.py: 'app' is bound to FastAPI(...) twice, at line 3 "
        "and at line 11: the second replaces the first, so what line 6 does with the first "
        '(@app.get("/lost")) never serves; do that on the second app instead, and delete the '
        "first assignment",
    ),
    "wrapped": (
        {"app/main.py": WRAPPED},
        "cannot adopt the app in app/main.py: FastAPI(...) at line 4 is not assigned on its own "
        "to one name; scaffold edits an app created as NAME = FastAPI(...)",
    ),
    "unparsable": (
        {"app/main.py": BROKEN},
        "cannot parse app/main.py: '(' was never closed (line 3) (fix the syntax error and "
        "run again)",
    ),
    "several": (
        {"admin_app.py": "from fastapi import FastAPI\n\nadmin = FastAPI()\n"},
        "found 2 FastAPI apps: admin_app.py (admin, line 3) and app/main.py (app, line 8); "
        "pass --app MODULE:NAME (for example --app app.main:app)",
    ),
    "outside a package": (
        {"app/main.py": "x = 1\n", "main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"},
        "main.py is not inside a package; blueprints add modules beside the app and import them "
        "from its package, so scaffold adopts an app in a package folder (move it into a "
        "package, such as app/main.py)",
    ),
    "sub-package": (
        {
            "app/main.py": "x = 1\n",
            "app/api/__init__.py": "",
            "app/api/main.py": "from fastapi import FastAPI\n\napi = FastAPI()\n",
        },
        "app/api/main.py is in the sub-package app.api; scaffold adopts an app whose module sits "
        "at the top of its package (like app/main.py), because blueprints add their modules and "
        "files beside it",
    ),
    "no app": (
        {"app/main.py": "print('hello')\n"},
        "found no FastAPI app in {root}: no Python file creates one with FastAPI(...) (run adopt "
        "in the project's folder, or pass -C DIR)",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_say_why_and_change_nothing(
    bigger: Path, cli, *, files, snapshot, error_of, case: str
) -> None:
    overrides, reason = REFUSALS[case]
    files(bigger, overrides)
    before = snapshot(bigger)

    result = cli("adopt", "-C", bigger)

    message = error_of(result)
    assert message == reason.format(root=bigger)
    assert snapshot(bigger) == before


def test_app_option_names_an_app_that_is_not_there(bigger: Path, cli, error_of, snapshot) -> None:
    before = snapshot(bigger)

    message = error_of(cli("adopt", "-C", bigger, "--app", "app.main:api"))

    assert message == (
        "app/main.py has no FastAPI app named 'api' (FastAPI apps there: app/main.py (app, line 8))"
    )
    assert snapshot(bigger) == before


def test_app_option_with_a_module_that_is_not_there(bigger: Path, cli, error_of) -> None:
    message = error_of(cli("adopt", "-C", bigger, "--app", "app.server:app"))

    assert message.startswith("--app app.server:app: there is no module app.server in ")


def test_adopting_twice_is_refused(adopted: Path, cli, error_of, snapshot) -> None:
    before = snapshot(adopted)

    message = error_of(cli("adopt", "-C", adopted))

    assert message == (
        f"{adopted} is already a scaffold project (.scaffold/project.toml exists) "
        "(use scaffold add, update or status)"
    )
    assert snapshot(adopted) == before


def test_an_app_bound_again_before_any_use_is_adopted_as_the_last(bigger: Path, cli, files) -> None:
    files(bigger, {"app/main.py": REBOUND})

    adopted = cli("adopt", "-C", bigger)
    added = cli("add", "static", "-C", bigger)

    assert adopted.exit_code == 0, adopted.output
    assert added.exit_code == 0, added.output
    main = (bigger / "app/main.py").read_text()
    assert main.index('app = FastAPI(title="the app that serves")') < main.index("app.mount(")


def test_app_option_on_an_app_bound_twice_says_what_replaces_it(
    bigger: Path, cli, files, error_of
) -> None:
    files(bigger, {"app/main.py": REBOUND_USED})

    message = error_of(cli("adopt", "-C", bigger, "--app", "app.main:app"))

    assert message.startswith(
        "cannot adopt the app in app/main.py: 'app' is bound to FastAPI(...) twice"
    )
