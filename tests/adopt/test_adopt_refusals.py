"""What ``add`` would refuse in an adopted project, said before anything is written.

``adopt`` reports, in one run, every blueprint the project's pins refuse (the add-time version
gate, :mod:`scaffold.adopted_versions`), and ``add`` refuses, from the source alone, a route
of a blueprint's that a path the owner's app already serves would hide (or that would hide
it): no virtual environment is needed to see an ``@app.get("/")``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

OLD_FASTAPI = "the project allows fastapi 0.65.2 (requirements.txt: ==0.65.2)"
OLD_PYDANTIC = "the project allows pydantic 1.10.13 (requirements.txt: ==1.10.13)"
PLAIN_APP = "from fastapi import FastAPI\n\napp = FastAPI()\n"


@pytest.fixture
def pinned(tmp_path: Path, files: Callable[..., Path]) -> Callable[[str], Path]:
    """A small app whose ``requirements.txt`` is the given text, not adopted yet."""

    def make(requirements: str) -> Path:
        tree = {"app/__init__.py": "", "app/main.py": PLAIN_APP, "requirements.txt": requirements}
        return files(tmp_path / "svc", tree)

    return make


def warned_lines(result: Result) -> dict[str, str]:
    """The blueprint -> reason of adopt's warning on stderr (a line names each blueprint)."""
    lines = [line.strip() for line in result.stderr.splitlines()]
    grouped = [line.split(": ", 1) for line in lines if line and not line.startswith("warning")]
    return {name: reason for names, reason in grouped for name in names.split(", ")}


def test_adopt_names_every_blueprint_an_old_fastapi_pin_refuses(
    pinned: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = pinned("fastapi==0.65.2\n")

    result = cli("adopt", "-C", project)

    assert result.exit_code == 0, result.output
    assert "scaffold add would refuse" in result.stderr
    refused = warned_lines(result)
    assert {"static", "templates", "lifespan", "settings", "websockets"} <= set(refused)
    assert "base" not in refused  # part of every project; never added
    assert all(OLD_FASTAPI in reason for reason in refused.values()), refused
    assert (project / ".scaffold/project.toml").is_file()  # adopt still adopts


def test_one_reason_is_said_once_with_every_blueprint_it_refuses(
    pinned: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = pinned("fastapi==0.65.2\n")

    result = cli("adopt", "-C", project)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert said.count(OLD_FASTAPI) == 1, result.stderr
    assert "static, " in said


def test_the_warning_says_what_add_then_says(
    pinned: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = pinned("fastapi==0.65.2\n")
    warned = warned_lines(cli("adopt", "-C", project))["static"]

    added = cli("add", "static", "-C", project)

    assert added.exit_code == 2, added.output
    assert warned in " ".join(added.stderr.split())


def test_an_old_pydantic_refuses_only_what_needs_settings(
    pinned: Callable[[str], Path], cli: Callable[..., Result]
) -> None:
    project = pinned("fastapi>=0.115\npydantic==1.10.13\n")

    result = cli("adopt", "-C", project)

    assert result.exit_code == 0, result.output
    refused = warned_lines(result)
    # auth and middleware require settings, so adding them brings it, and its pydantic 2
    assert {"settings", "auth", "middleware"} <= set(refused)
    assert "static" not in refused
    assert "websockets" not in refused
    assert all(OLD_PYDANTIC in reason for reason in refused.values()), refused


def test_json_lists_the_refused_blueprints_with_their_reasons(
    pinned: Callable[[str], Path], cli_json: Callable[..., tuple[int, dict[str, Any]]]
) -> None:
    project = pinned("fastapi==0.65.2\n")

    code, document = cli_json("adopt", "-C", project)

    assert code == 0
    refused = {entry["blueprint"]: entry["reasons"] for entry in document["refused_blueprints"]}
    assert "static" in refused
    assert "base" not in refused
    assert len(refused["static"]) == 1
    assert refused["static"][0].startswith(OLD_FASTAPI)


def test_pins_that_fit_warn_of_nothing(
    pinned: Callable[[str], Path],
    cli: Callable[..., Result],
    cli_json: Callable[..., tuple[int, dict[str, Any]]],
) -> None:
    project = pinned("fastapi>=0.115\n")

    code, document = cli_json("adopt", "--dry-run", "-C", project)
    result = cli("adopt", "-C", project)

    assert code == 0
    assert document["refused_blueprints"] == []
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# --- a route of a blueprint's against a path the owner serves --------------------------------

OWNER_ROOT = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/", tags=["home"])
async def home():
    return {"home": True}
"""

SPA = """\
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

app = FastAPI()

app.mount("/", StaticFiles(directory=Path(__file__).parent / "frontend", html=True), name="spa")
"""

ROUTER_AT_ROOT = """\
from fastapi import APIRouter, FastAPI

app = FastAPI()
router = APIRouter()


@router.api_route("/", methods=["GET", "POST"])
async def home():
    return {"home": True}


app.include_router(routerPREFIX)
"""

FACTORY = """\
from fastapi import FastAPI


def create_app() -> FastAPI:
    application = FastAPI(title="svc")

    @application.get("/")
    async def home():
        return {"home": True}

    return application


app = create_app()
"""


@pytest.fixture
def owner(tmp_path: Path, files: Callable[..., Path], cli: Callable[..., Result]) -> Callable:
    """Write and adopt an app (no virtual environment): ``owner(main_py, requirements=...)``."""

    def make(main: str, requirements: str = "fastapi>=0.115\n") -> Path:
        tree = {"app/__init__.py": "", "app/main.py": main, "requirements.txt": requirements}
        project = files(tmp_path / "svc", tree)
        assert cli("adopt", "-C", project).exit_code == 0
        return project

    return make


@pytest.fixture
def refused_add(
    cli: Callable[..., Result], snapshot: Callable[..., dict[str, Any]], error_of: Callable
) -> Callable[..., str]:
    """Run ``add``; assert exit 2, one error line and nothing written; return the line."""

    def run(project: Path, *args: str) -> str:
        before = snapshot(project)
        result = cli("add", *args, "-C", project)
        message = error_of(result)
        assert snapshot(project) == before
        return " ".join(message.split())

    return run


def test_the_owners_get_root_refuses_the_templates_page(
    owner: Callable[..., Path], refused_add: Callable[..., str]
) -> None:
    project = owner(OWNER_ROOT)

    message = refused_add(project, "templates")

    assert (
        "scaffold's GET / (templates, app/pages.py) would never answer: your "
        '@app.get("/") at app/main.py:6 answers it first' in message
    )
    assert "leave templates out" in message
    assert "nothing was written" in message


def test_a_catch_all_mount_refuses_the_templates_page(
    owner: Callable[..., Path], refused_add: Callable[..., str]
) -> None:
    project = owner(SPA)

    message = refused_add(project, "templates")

    assert 'your app.mount("/", ...) at app/main.py:8' in message
    assert "scaffold's GET / (templates, app/pages.py)" in message


def test_a_mount_named_like_the_static_blueprints_refuses_it(
    owner: Callable[..., Path], refused_add: Callable[..., str]
) -> None:
    # url_path_for("static", path=...) would find scaffold's /static before the owner's "/"
    project = owner(SPA.replace('name="spa"', 'name="static"'))

    message = refused_add(project, "static")

    assert message == (
        "scaffold's mount at /static (static) would share the route name 'static' with your "
        'app.mount("/", ...) at app/main.py:8, and url_path_for("static", ...) finds only one '
        "of them; rename yours or leave static out (nothing was written)"
    )


@pytest.mark.parametrize("keyword", ["docs_url", "redoc_url"])
def test_docs_at_the_root_refuse_the_templates_page(
    owner: Callable[..., Path], refused_add: Callable[..., str], keyword: str
) -> None:
    project = owner(f"from fastapi import FastAPI\n\napp = FastAPI(title='x', {keyword}='/')\n")

    message = refused_add(project, "templates")

    assert f'your FastAPI({keyword}="/") at app/main.py:3 answers it first' in message


def test_a_router_included_without_prefix_refuses_and_with_one_does_not(
    owner: Callable[..., Path], refused_add: Callable[..., str], cli: Callable[..., Result]
) -> None:
    project = owner(ROUTER_AT_ROOT.replace("PREFIX", ""))

    message = refused_add(project, "templates")

    assert 'your @router.api_route("/") at app/main.py:7 answers it first' in message
    (project / "app/main.py").write_text(ROUTER_AT_ROOT.replace("PREFIX", ', prefix="/api"'))
    assert cli("add", "templates", "-C", project, "--allow-dirty").exit_code == 0


def test_a_route_in_the_apps_factory_refuses(
    owner: Callable[..., Path], refused_add: Callable[..., str]
) -> None:
    project = owner(FACTORY)

    message = refused_add(project, "templates")

    assert '@application.get("/") at app/main.py:7' in message


def test_a_path_parameter_at_the_top_catches_a_blueprints_route(
    owner: Callable[..., Path], refused_add: Callable[..., str]
) -> None:
    project = owner(OWNER_ROOT.replace('"/"', '"/{page}"'))

    message = refused_add(project, "settings", "-O", "settings.info_route=true")

    assert "scaffold's GET /info (settings, app/routes/info.py)" in message
    assert '@app.get("/{page}") at app/main.py:6' in message


def test_other_methods_and_paths_at_the_root_do_not_refuse(
    owner: Callable[..., Path], cli: Callable[..., Result]
) -> None:
    main = OWNER_ROOT.replace("@app.get", "@app.post") + "\n\n" + HEALTH
    project = owner(main)

    result = cli("add", "templates", "websockets", "-C", project)

    assert result.exit_code == 0, result.output
    assert "app.include_router(pages.router)" in (project / "app/main.py").read_text()
    assert cli("remove", "templates", "websockets", "-C", project).exit_code == 0
    assert (project / "app/main.py").read_text() == main
    assert not (project / "app/pages.py").exists()


HEALTH = """\
@app.get("/health")
async def health():
    return {"ok": True}
"""


def test_every_blocker_is_named_in_one_run(
    owner: Callable[..., Path], refused_add: Callable[..., str]
) -> None:
    main = OWNER_ROOT.replace("FastAPI()", 'FastAPI(docs_url="/")')
    project = owner(main, requirements="fastapi==0.65.2\n")

    message = refused_add(project, "templates")

    assert OLD_FASTAPI in message
    assert 'your FastAPI(docs_url="/") at app/main.py:3' in message
    assert '@app.get("/") at app/main.py:6' in message


def test_the_bigger_applications_root_refuses_the_templates_page(
    adopted: Path, refused_add: Callable[..., str]
) -> None:
    message = refused_add(adopted, "templates", "static")

    assert '@app.get("/") at app/main.py:22 answers it first' in message
