"""adopt + add on the shapes real FastAPI apps have, each checked in the project's own ``.venv``.

Every project here has a ``.venv`` (a real virtual environment whose site-packages reach this
interpreter's, so FastAPI is there), so ``add`` imports the changed app in it before writing
anything (:mod:`scaffold.verify`). Each test then either exercises the app in that environment
(the owner's routes, lifespan and handlers, and scaffold's routes over HTTP and websocket, through
the app's TestClient) or checks that the refusal names what blocks it and wrote nothing.
"""

from __future__ import annotations

import subprocess
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

APP_TIMEOUT = 120
REQUIREMENTS = {"requirements.txt": "fastapi>=0.115\n"}


@pytest.fixture
def shaped(
    tmp_path: Path,
    shared_venv: Path,
    file_tree: Callable[[Path, Mapping[str, Any]], Path],
    cli: Callable[..., Any],
) -> Callable[[Mapping[str, str]], Path]:
    """Write a project (with ``.venv``) and adopt it: ``shaped({path: text})``."""

    def make(files: Mapping[str, str]) -> Path:
        root = file_tree(tmp_path / "svc", {"app/__init__.py": "", **REQUIREMENTS, **files})
        (root / ".venv").symlink_to(shared_venv, target_is_directory=True)
        result = cli("adopt", "-C", root)
        assert result.exit_code == 0, result.output
        return root

    return make


def in_venv(project: Path, code: str) -> str:
    """Run ``code`` with the project's ``.venv`` Python, in the project; return stdout."""
    done = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-W", "ignore", "-c", textwrap.dedent(code)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=APP_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def snapshot_of(project: Path) -> dict[str, bytes]:
    """Every file of the project (not the venv link, not caches) with its bytes."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".venv" not in path.parts and "__pycache__" not in path.parts
    }


def refused(cli: Callable[..., Any], project: Path, *args: str) -> str:
    """Run ``add``; assert it failed, wrote nothing; return the error line's text."""
    before = snapshot_of(project)
    result = cli("add", *args, "-C", project)
    assert result.exit_code != 0, result.output
    assert snapshot_of(project) == before
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return " ".join(lines[0].removeprefix("error: ").split())


OWNER_LIFESPAN = """\
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

EVENTS = []


@asynccontextmanager
async def lifespan(app: FastAPI):
    EVENTS.append("owner started")
    yield {"greeting": "hello"}
    EVENTS.append("owner stopped")


app = FastAPI(lifespan=lifespan)


@app.get("/hello")
async def hello(request: Request):
    client = type(request.app.state.http_client).__name__
    return {"greeting": request.state.greeting, "client": client}
"""

LIFESPAN_RUN = """
from fastapi.testclient import TestClient
from app.main import app, EVENTS

with TestClient(app) as client:
    print(client.get("/hello").json(), EVENTS)
print(EVENTS)
"""


def test_the_owners_lifespan_and_scaffolds_both_run_and_remove_restores_it(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": OWNER_LIFESPAN})

    result = cli("add", "lifespan", "-C", project)

    assert result.exit_code == 0, result.output
    assert "verified with .venv/bin/python" in result.stdout
    main = (project / "app/main.py").read_text()
    assert "app = FastAPI(lifespan=lifespan)" in main  # the owner's keyword stays as it was
    lines = in_venv(project, LIFESPAN_RUN).splitlines()
    # the owner's state reaches requests and scaffold's client is there: both lifespans ran
    assert lines == [
        "{'greeting': 'hello', 'client': 'AsyncClient'} ['owner started']",
        "['owner started', 'owner stopped']",
    ]
    assert cli("remove", "lifespan", "-C", project).exit_code == 0
    assert (project / "app/main.py").read_text() == OWNER_LIFESPAN


ON_EVENT = """\
from fastapi import FastAPI, Request

EVENTS = []
app = FastAPI()


@app.on_event("startup")
async def started():
    EVENTS.append("owner started")


@app.on_event("shutdown")
def stopped():
    EVENTS.append("owner stopped")


@app.get("/hello")
async def hello(request: Request):
    return {"client": type(request.app.state.http_client).__name__}
"""


def test_on_event_handlers_still_run_with_scaffolds_lifespan(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": ON_EVENT})

    result = cli("add", "lifespan", "-C", project)

    assert result.exit_code == 0, result.output
    lines = in_venv(project, LIFESPAN_RUN.replace(".json(), EVENTS", ".json(), EVENTS[:]"))
    assert lines.splitlines() == [
        "{'client': 'AsyncClient'} ['owner started']",
        "['owner started', 'owner stopped']",
    ]


SPA = """\
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

app = FastAPI()


@app.get("/api/items")
async def items():
    return ["a"]


app.mount("/", StaticFiles(directory=Path(__file__).parent / "frontend", html=True), name="spa")
"""

SPA_RUN = """
from fastapi.testclient import TestClient
from app.main import app

with TestClient(app) as client:
    print(client.get("/").text.strip(), client.get("/api/items").json())
    print(client.get("/info").json()["debug"], client.get("/static/css/app.css").status_code)
    with client.websocket_connect("/ws") as socket:
        socket.send_text("hi")
        print(socket.receive_json()["text"])
"""


def test_routes_go_before_a_catch_all_mount_and_answer(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": SPA, "app/frontend/index.html": "<p>spa</p>\n"})

    result = cli(
        "add", "static", "websockets", "settings", "-O", "settings.info_route=true", "-C", project
    )

    assert result.exit_code == 0, result.output
    main = (project / "app/main.py").read_text()
    assert main.index("app.include_router(scaffold_websockets.router)") < main.index(
        'app.mount("/",'
    )
    assert main.rstrip().endswith('name="spa")')  # the owner's mount stays last
    assert in_venv(project, SPA_RUN).splitlines() == ["<p>spa</p> ['a']", "False 200", "hi"]


OWNER_ROOT = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/", tags=["home"])
async def home():
    return {"home": True}
"""


OWNER_ROUTER = """\
from fastapi import APIRouter

router = APIRouter()


@router.get("/", tags=["home"])
async def home():
    return {"home": True}
"""


def test_a_path_the_owner_serves_refuses_the_blueprint_naming_both(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    # a router of another module: the source check of the app module cannot see it, the
    # import does (an @app.get("/") in the module itself: see test_adopt_refusals.py)
    main = "from fastapi import FastAPI\n\nfrom .home import router\n\napp = FastAPI()\n"
    project = shaped(
        {"app/main.py": main + "app.include_router(router)\n", "app/home.py": OWNER_ROUTER}
    )

    message = refused(cli, project, "templates")

    assert message.startswith(
        "scaffold's GET / (templates) would never answer: GET|HEAD / (home) in the app of "
        "app/main.py answers that path first"
    ) or message.startswith(
        "scaffold's GET / (templates) would never answer: GET / (home) in the app of "
        "app/main.py answers that path first"
    )
    assert "nothing was written" in message


def test_docs_at_the_root_refuse_a_page_there(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    # through **kwargs, which the source check does not guess at: the import sees it
    main = "from fastapi import FastAPI\n\nDOCS = {'docs_url': '/'}\napp = FastAPI(**DOCS)\n"
    project = shaped({"app/main.py": main})

    message = refused(cli, project, "templates")

    assert "scaffold's GET / (templates) would never answer" in message
    assert "(swagger_ui_html)" in message


TAGGED_IDS = """\
from fastapi import FastAPI
from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}"


app = FastAPI(generate_unique_id_function=operation_id)


@app.get("/items", tags=["items"])
async def items():
    return ["a"]
"""


def test_operation_ids_from_tags_work_with_scaffolds_routers(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": TAGGED_IDS})

    result = cli("add", "templates", "websockets", "-O", "settings.info_route=true", "-C", project)

    assert result.exit_code == 0, result.output
    run = """
    from fastapi.testclient import TestClient
    from app.main import app

    with TestClient(app) as client:
        ids = sorted(op["operationId"] for path in app.openapi()["paths"].values()
                     for op in path.values())
        print(ids, client.get("/?name=you").status_code)
    """
    assert in_venv(project, run).strip() == "['items-items', 'meta-info'] 200"


def test_an_app_the_change_would_break_is_refused_with_the_last_traceback_line(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": OWNER_LIFESPAN})
    assert cli("add", "lifespan", "-C", project).exit_code == 0
    # A module of the owner's, which the app imports, uses the blueprint's module too.
    (project / "app/timing.py").write_text("from app.lifespan import lifespan as _scaffolds\n")
    main = project / "app/main.py"
    main.write_text("import app.timing  # noqa: F401\n" + main.read_text())

    # so removing the blueprint, which deletes app/lifespan.py, would break the app
    before = snapshot_of(project)
    result = cli("remove", "lifespan", "-C", project)

    assert result.exit_code == 1, result.output
    assert snapshot_of(project) == before
    message = " ".join(result.stderr.split())
    assert "no longer imports with .venv/bin/python" in message
    assert "ModuleNotFoundError: No module named 'app.lifespan'" in message


def test_a_module_a_kept_statement_imports_is_kept_with_its_requirements(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": OWNER_LIFESPAN})
    assert cli("add", "lifespan", "-C", project).exit_code == 0
    main = project / "app/main.py"
    ours = "wrap_lifespan(app.router.lifespan_context)"
    main.write_text(main.read_text().replace(ours, "wrap_lifespan(lifespan)"))

    # the owner changed scaffold's statement, so remove keeps it, and the module it imports
    result = cli("remove", "lifespan", "-C", project)

    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "kept app/lifespan.py: app/main.py still imports it" in said
    assert "httpx" in (project / "requirements.txt").read_text()
    assert (project / "app/lifespan.py").is_file()
    assert "lifespan" not in (project / ".scaffold/project.toml").read_text().split("[adopted]")[0]
    run = "import app.main; print(type(app.main.app).__name__)"
    assert in_venv(project, run).strip() == "FastAPI"


def test_without_an_environment_the_change_is_made_and_said_unverified(
    tmp_path: Path, file_tree: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = file_tree(tmp_path / "svc", {"app/__init__.py": "", "app/main.py": OWNER_ROOT})
    assert cli("adopt", "-C", project).exit_code == 0

    result = cli("add", "static", "-C", project)

    assert result.exit_code == 0, result.output
    assert "the app was not imported to verify the change" in " ".join(result.stdout.split())


@pytest.mark.parametrize(
    ("files", "said"),
    [
        (
            {"requirements.txt": "fastapi==0.65.2\n"},
            "the project allows fastapi 0.65.2 (requirements.txt: ==0.65.2), but scaffold's "
            "blueprints need 0.115 or newer",
        ),
        (
            {
                "pyproject.toml": '[tool.poetry]\nname = "svc"\n\n[tool.poetry.dependencies]\n'
                'python = "^3.9"\nfastapi = "^0.110"\n'
            },
            "the project allows Python 3.9 ([tool.poetry.dependencies]: >=3.9,<4)",
        ),
        (
            {"poetry.lock": '[[package]]\nname = "fastapi"\nversion = "0.100.1"\n'},
            "the project allows fastapi 0.100.1 (poetry.lock: 0.100.1)",
        ),
    ],
)
def test_an_older_python_or_fastapi_than_blueprints_need_is_refused(
    shaped: Callable[..., Path], cli: Callable[..., Any], files: dict[str, str], said: str
) -> None:
    project = shaped({"app/main.py": OWNER_ROOT, **files})

    message = refused(cli, project, "static", "middleware")

    assert said in message
    # every blocker at once: the version, and the hosts HostCheck needs
    assert "HostCheckMiddleware answers 400" in message


POETRY = """\
[tool.poetry]
name = "svc"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.115.0"  # the web framework

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
"""


def test_poetry_dependencies_get_the_requirements_and_lose_them_again(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": OWNER_ROOT, "pyproject.toml": POETRY})
    (project / "requirements.txt").unlink()

    assert cli("add", "websockets", "-C", project).exit_code == 0

    pyproject = (project / "pyproject.toml").read_text()
    assert 'fastapi = "^0.115.0"  # the web framework\nwebsockets = ">=12"\n' in pyproject
    assert cli("remove", "websockets", "-C", project).exit_code == 0
    assert (project / "pyproject.toml").read_text() == POETRY


def test_middleware_with_the_owners_hosts_answers_them(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped({"app/main.py": OWNER_ROOT})

    hosts = 'middleware.allowed_hosts=["api.example.com"]'
    result = cli("add", "middleware", "-O", hosts, "-C", project)

    assert result.exit_code == 0, result.output
    run = """
    from fastapi.testclient import TestClient
    from app.main import app

    client = TestClient(app, base_url="http://api.example.com")
    other = TestClient(app, base_url="http://evil.example")
    print(client.get("/").status_code, other.get("/").status_code)
    """
    assert in_venv(project, run).strip() == "200 400"


FACTORY_ELSEWHERE = {
    "app/factory.py": """\
        from fastapi import FastAPI


        def create_app() -> FastAPI:
            application = FastAPI(title="svc")

            @application.get("/items")
            async def items():
                return ["a"]

            return application
        """,
    "app/main.py": "from app.factory import create_app\n\napp = create_app()\n",
}


def test_a_factory_in_another_module_is_followed_and_given_back(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped(FACTORY_ELSEWHERE)
    factory = (project / "app/factory.py").read_text()
    record = (project / ".scaffold/project.toml").read_text()
    assert 'module = "app/factory.py"' in record
    assert 'app = "create_app()"' in record

    result = cli("add", "websockets", "static", "lifespan", "-C", project)

    assert result.exit_code == 0, result.output
    edited = (project / "app/factory.py").read_text()
    assert '        return ["a"]\n\n    # Scaffold' in edited  # one blank line after a nested def
    assert edited.rstrip().endswith(
        "application.include_router(scaffold_websockets.router)\n\n    return application"
    )
    run = """
    from fastapi.testclient import TestClient
    from app.main import app

    with TestClient(app) as client:
        css = client.get("/static/css/app.css").status_code
        print(client.get("/items").json(), css, type(app.state.http_client).__name__)
        with client.websocket_connect("/ws") as socket:
            socket.send_text("hi")
            print(socket.receive_json()["text"])
    """
    assert in_venv(project, run).splitlines() == ["['a'] 200 AsyncClient", "hi"]
    assert cli("remove", "websockets", "static", "lifespan", "-C", project).exit_code == 0
    assert (project / "app/factory.py").read_text() == factory


OWNERS_RUFF = """\
[project]
name = "svc"
version = "0.1.0"
dependencies = ["fastapi>=0.115"]

[tool.ruff]
line-length = 79

[tool.ruff.lint]
select = ["E", "F", "I", "ARG001", "UP"]
ignore = ["E501"]  # the formatter keeps code within 79; prose lines are not rewrapped
"""


def test_the_files_blueprints_write_pass_the_owners_own_ruff(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    from scaffold.format import ruff_binary

    project = shaped({"app/main.py": OWNER_ROOT, "pyproject.toml": OWNERS_RUFF})

    result = cli("add", "websockets", "lifespan", "settings", "-C", project)

    assert result.exit_code == 0, result.output
    assert (
        "from fastapi import (\n    APIRouter,"
        in (project / "app/scaffold_websockets.py").read_text()
    )
    for arguments in (["check"], ["format", "--check"]):
        files = ["app/scaffold_websockets.py", "app/lifespan.py", "app/config.py"]
        done = subprocess.run(
            [ruff_binary(), *arguments, "--no-cache", *files],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


# The app module imports, at its end, a module that registers routes on the app: scaffold's
# router goes in before that import, so the source check of the app module sees nothing and
# scaffold's routes come first. The import sees who would answer.
REGISTERED_LATER = """\
from fastapi import FastAPI

app = FastAPI()

from web import routes  # noqa: E402,F401  (registers the routes on app)
"""

OWNER_HOME = """\
from web.main import app


@app.get("/")
def home() -> dict[str, str]:
    return {"owner": "home"}
"""


def test_a_route_scaffolds_would_hide_is_refused_naming_the_owners(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped(
        {"web/__init__.py": "", "web/main.py": REGISTERED_LATER, "web/routes.py": OWNER_HOME}
    )

    message = refused(cli, project, "templates")

    assert message == (
        "scaffold's GET / (templates) would take GET / from home (web/routes.py:4); "
        "nothing was written "
        "(move your route or mount, or leave that blueprint out)"
    )


OWNER_SOCKET_AND_STYLE = """\
from fastapi import WebSocket

from web.main import app


@app.websocket("/ws")
async def talk(socket: WebSocket) -> None:
    await socket.accept()


@app.get("/static/site.css")
def style() -> str:
    return "body {}"
"""


def test_a_websocket_and_a_path_under_a_mount_are_served_by_one_side_only(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped(
        {
            "web/__init__.py": "",
            "web/main.py": REGISTERED_LATER,
            "web/routes.py": OWNER_SOCKET_AND_STYLE,
        }
    )

    sockets = refused(cli, project, "websockets")
    mounted = refused(cli, project, "static")

    assert sockets.startswith(
        "scaffold's WEBSOCKET /ws (websockets) would take WEBSOCKET /ws from talk "
        "(web/routes.py:6); nothing was written"
    )
    # scaffold's mount goes after the import: the owner's route keeps the path it serves,
    # and a file of that name under static/ would never be served
    assert mounted.startswith(
        "scaffold's mount at /static (static) would not answer GET /static/site.css: style "
        "(web/routes.py:11) answers it first; nothing was written"
    )


# A front end mounted at the end of the app's import, under the route name the static
# blueprint gives its own mount: url_for('static', ...) would change its meaning.
FRONTEND = """\
from pathlib import Path

from fastapi.staticfiles import StaticFiles

from web.main import app

folder = Path(__file__).parent / "dist"
app.mount("/", StaticFiles(directory=folder, html=True), name="static")
"""


def test_a_route_name_the_owner_uses_is_refused(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    main = REGISTERED_LATER.replace("import routes", "import frontend")
    project = shaped(
        {
            "web/__init__.py": "",
            "web/main.py": main,
            "web/frontend.py": FRONTEND,
            "web/dist/index.html": "<p>spa</p>\n",
        }
    )

    message = refused(cli, project, "static")

    assert message == (
        "scaffold's mount at /static (static) would take the route name 'static' from the "
        "mount at '/' (static): app.url_path_for('static', path='x') would give /static/x "
        "instead of /x; nothing was written (rename yours, or leave that blueprint out)"
    )


# The owner's function is called like the templates blueprint's page (index), at another
# path: FastAPI names both routes "index", but nobody chose that name, so nothing is refused.
OWNER_INDEX = """\
from web.main import app


@app.get("/dashboard")
def index() -> dict[str, str]:
    return {"owner": "dashboard"}
"""


def test_two_functions_called_alike_are_no_name_clash(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = shaped(
        {"web/__init__.py": "", "web/main.py": REGISTERED_LATER, "web/routes.py": OWNER_INDEX}
    )

    result = cli("add", "templates", "-C", project)

    assert result.exit_code == 0, result.output
    assert "pages.router" in (project / "web" / "main.py").read_text()


OWNER_ITEMS = """\
from {package}.main import app


@app.get("/items")
def items() -> list[str]:
    return ["a"]
"""


@pytest.mark.parametrize("package", ["app", "web"])
def test_placement_does_not_depend_on_the_package_being_called_like_the_app(
    shaped: Callable[..., Path], cli: Callable[..., Any], package: str
) -> None:
    # `from app import routes` spells the app's name without using the app: scaffold's mount
    # goes where it goes for any other package's name, before that late import.
    main = REGISTERED_LATER.replace("from web import", f"from {package} import")
    project = shaped(
        {
            f"{package}/__init__.py": "",
            f"{package}/main.py": main,
            f"{package}/routes.py": OWNER_ITEMS.format(package=package),
        }
    )

    result = cli("add", "static", "-C", project)

    assert result.exit_code == 0, result.output
    lines = (project / package / "main.py").read_text().splitlines()
    mount = next(i for i, line in enumerate(lines) if line.startswith("app.mount("))
    late = next(i for i, line in enumerate(lines) if line.startswith(f"from {package} import"))
    assert mount < late


def test_the_tests_conftest_reaches_an_app_its_package_re_exports(
    shaped: Callable[..., Path], cli: Callable[..., Any], owners_pytest: Callable[[Path], str]
) -> None:
    # ayashkov/fastapi-study: pkg/__init__.py does `from pkg.app import app`, so the package's
    # attribute `app` is the FastAPI object, not the module `pkg.app`.
    project = shaped(
        {
            "pkg/__init__.py": "from pkg.app import app\n",
            "pkg/app.py": (
                "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                '@app.get("/ping")\ndef ping() -> str:\n    return "pong"\n'
            ),
        }
    )

    result = cli("add", "tests", "-C", project)

    assert result.exit_code == 0, result.output
    (project / "tests" / "test_ping.py").write_text(
        "def test_ping(client):\n    assert client.get('/ping').json() == 'pong'\n"
    )
    assert "passed" in owners_pytest(project)


def test_add_then_remove_gives_an_owners_last_list_item_its_line_back(
    shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    # A multi-line array whose last item has no trailing comma: appending gives it one, and
    # remove takes it away again with scaffold's items.
    pyproject = (
        '[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = [\n    "fastapi>=0.115"\n]\n\n'
        '[dependency-groups]\ndev = [\n    "pytest"\n]\n'
    )
    project = shaped(
        {
            "pyproject.toml": pyproject,
            "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        }
    )
    adopted = (project / "pyproject.toml").read_text()

    added = cli("add", "tests", "websockets", "-C", project)
    assert added.exit_code == 0, added.output
    assert '    "pytest",\n' in (project / "pyproject.toml").read_text()
    removed = cli("remove", "tests", "websockets", "-C", project)

    assert removed.exit_code == 0, removed.output
    assert (project / "pyproject.toml").read_text() == adopted


OWNER_CORS = """\
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"])
"""
HOSTS = ("-O", 'middleware.allowed_hosts=["localhost"]')


def _middleware_stack(module: Path) -> list[str]:
    """The middleware classes in the order the module adds them (the last is outermost)."""
    return [
        line.split("(", 1)[1].split(",", 1)[0].rstrip(")")
        for line in module.read_text().splitlines()
        if line.strip().startswith("app.add_middleware(")
    ]


def test_the_middleware_stack_is_the_same_whatever_the_order_blueprints_came_in(
    tmp_path: Path, shaped: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    together = shaped({"app/main.py": OWNER_CORS})
    assert cli("add", "settings", "middleware", *HOSTS, "-C", together).exit_code == 0
    stack = _middleware_stack(together / "app" / "main.py")
    together.rename(tmp_path / "together")

    one_by_one = shaped({"app/main.py": OWNER_CORS})
    assert cli("add", "settings", "-C", one_by_one).exit_code == 0
    added = cli("add", "middleware", *HOSTS, "-C", one_by_one)

    assert added.exit_code == 0, added.output
    assert _middleware_stack(one_by_one / "app" / "main.py") == stack
    assert stack[0] == "CompressMiddleware"  # innermost, as its comment says
    assert stack[-1] == "RequestContextMiddleware"  # outermost
