"""The ``tests`` blueprint in an adopted project: fixtures for the owner's own app and tests."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

OWNERS_CONFTEST = '''\
"""The owner's fixtures."""

import os  # for the environment

from fastapi.testclient import TestClient

from app.main import app as application


def make_client() -> TestClient:
    return TestClient(application, headers={"x-env": os.environ.get("ENV", "test")})
'''
ASYNC_TEST = """\
import pytest
from httpx import ASGITransport, AsyncClient


@pytest.mark.anyio
async def test_users_over_an_async_client(app) -> None:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/users/", params={"token": "jessica"})

    assert response.json() == [{"username": "Rick"}, {"username": "Morty"}]


def test_the_client_fixture(client) -> None:
    assert client.get("/users/me", params={"token": "jessica"}).status_code == 200
"""


def ruff_clean(project: Path) -> None:
    from scaffold.format import ruff_binary

    for command in (["check", "--select", "E,F,I,W"], ["format", "--check"]):
        completed = subprocess.run(
            [ruff_binary(), *command, "--no-cache", "tests"],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr


def test_without_tests_scaffold_writes_a_conftest_for_the_owners_app(
    adopted: Path, cli, files, owners_pytest
) -> None:
    result = cli("add", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (adopted / "tests").iterdir()) == ["__init__.py", "conftest.py"]
    conftest = (adopted / "tests/conftest.py").read_text()
    assert "from app.main import app as app_under_test" in conftest
    assert "def anyio_backend() -> str:" in conftest
    stdout = " ".join(result.stdout.split())
    assert "(tests/test_app.py) were not written" in stdout
    assert "install these yourself: anyio>=4, httpx>=0.27, pytest>=8" in stdout
    ruff_clean(adopted)
    files(adopted, {"tests/test_async.py": ASYNC_TEST})
    assert "2 passed" in owners_pytest(adopted)


def test_fixtures_are_merged_into_the_owners_conftest(adopted: Path, cli, files) -> None:
    files(adopted, {"tests/conftest.py": OWNERS_CONFTEST})

    result = cli("add", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert (adopted / "tests/conftest.py").read_text() == OWNERS_CONFTEST.replace(
        "\nfrom fastapi.testclient", "\nimport pytest\nfrom fastapi.testclient"
    ) + (
        "\n\n"
        '@pytest.fixture(scope="session")\n'
        "def anyio_backend() -> str:\n"
        '    """Run `@pytest.mark.anyio` tests on asyncio."""\n'
        '    return "asyncio"\n'
    )
    assert not (adopted / "tests/__init__.py").exists()
    ruff_clean(adopted)


def test_add_twice_then_remove_gives_the_owners_conftest_back(
    adopted: Path, cli, files, snapshot
) -> None:
    files(adopted, {"tests/conftest.py": OWNERS_CONFTEST})
    assert cli("add", "tests", "-C", adopted).exit_code == 0
    before = snapshot(adopted)
    assert cli("add", "tests", "-C", adopted).exit_code == 0
    assert snapshot(adopted) == before

    result = cli("remove", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert (adopted / "tests/conftest.py").read_text() == OWNERS_CONFTEST
    assert cli("remove", "tests", "-C", adopted).exit_code == 0
    assert (adopted / "tests/conftest.py").read_text() == OWNERS_CONFTEST


def test_an_owners_fixture_of_the_same_name_stays(adopted: Path, cli, files) -> None:
    owned = OWNERS_CONFTEST.replace("import os", "import os\n\nimport pytest") + (
        '\n\n@pytest.fixture\ndef anyio_backend():\n    return "trio"\n'
    )
    files(adopted, {"tests/conftest.py": owned})

    assert cli("add", "tests", "-C", adopted).exit_code == 0
    assert (adopted / "tests/conftest.py").read_text() == owned
    assert cli("remove", "tests", "-C", adopted).exit_code == 0
    assert (adopted / "tests/conftest.py").read_text() == owned


def test_an_edited_fixture_is_kept_on_remove(adopted: Path, cli, files) -> None:
    files(adopted, {"tests/conftest.py": OWNERS_CONFTEST})
    assert cli("add", "tests", "-C", adopted).exit_code == 0
    conftest = adopted / "tests/conftest.py"
    conftest.write_text(conftest.read_text().replace('return "asyncio"', 'return "trio"'))

    result = cli("remove", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert "kept your fixture 'anyio_backend'" in " ".join(result.stdout.split())
    assert 'return "trio"' in conftest.read_text()
    assert "import pytest" in conftest.read_text()


def test_a_name_bound_otherwise_refuses(adopted: Path, cli, files, snapshot, error_of) -> None:
    files(adopted, {"tests/conftest.py": OWNERS_CONFTEST + '\nanyio_backend = "trio"\n'})
    before = snapshot(adopted)

    message = error_of(cli("add", "tests", "static", "-C", adopted))

    assert message == (
        "tests/conftest.py already binds 'anyio_backend' (assignment: anyio_backend = \"trio\"), "
        "so scaffold cannot add the fixture 'anyio_backend' there (rename yours, or leave the "
        "'tests' blueprint out)"
    )
    assert snapshot(adopted) == before


def test_a_star_import_refuses(adopted: Path, cli, files, snapshot, error_of) -> None:
    files(adopted, {"tests/conftest.py": "from app.fixtures import *\n"})
    before = snapshot(adopted)

    message = error_of(cli("add", "tests", "-C", adopted))

    assert message == (
        "tests/conftest.py imports * from app.fixtures, so scaffold cannot tell which names are "
        "taken and did not add fixtures to it (import the names you use by name, then run again)"
    )
    assert snapshot(adopted) == before


def test_an_unparsable_conftest_refuses(adopted: Path, cli, files, snapshot, error_of) -> None:
    files(adopted, {"tests/conftest.py": "def broken(:\n"})
    before = snapshot(adopted)

    message = error_of(cli("add", "tests", "-C", adopted))

    assert message.startswith("cannot parse tests/conftest.py: ")
    assert snapshot(adopted) == before


def test_an_owners_conftest_is_not_read_without_fixtures(adopted: Path, cli, files) -> None:
    files(adopted, {"tests/conftest.py": "def broken(:\n"})

    result = cli("add", "static", "-C", adopted)

    assert result.exit_code == 0, result.output


def test_scaffolds_conftest_goes_with_the_blueprint(adopted: Path, cli, files) -> None:
    assert cli("add", "tests", "-C", adopted).exit_code == 0

    assert cli("remove", "tests", "-C", adopted).exit_code == 0

    assert not (adopted / "tests").exists() or not any((adopted / "tests").iterdir())


def test_the_package_marker_stays_while_the_owner_has_tests_there(
    adopted: Path, cli, files
) -> None:
    assert cli("add", "tests", "-C", adopted).exit_code == 0
    files(adopted, {"tests/test_mine.py": "def test_mine() -> None:\n    pass\n"})

    assert cli("remove", "tests", "-C", adopted).exit_code == 0

    assert sorted(p.name for p in (adopted / "tests").iterdir() if p.suffix == ".py") == [
        "__init__.py",
        "test_mine.py",
    ]


CLIENT_TEST = """\
def test_the_client_fixture(client) -> None:
    assert client.get("/users/me", params={"token": "jessica"}).status_code == 200
"""


def test_the_conftest_goes_into_the_folder_pytest_testpaths_names(
    adopted: Path, cli, files, owners_pytest
) -> None:
    files(
        adopted,
        {
            "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["spec"]\n',
            "spec/test_client.py": CLIENT_TEST,
        },
    )

    result = cli("add", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    assert "def client(app: FastAPI)" in (adopted / "spec/conftest.py").read_text()
    assert not (adopted / "tests").exists()
    assert not (adopted / "spec/__init__.py").exists()  # the owner's folder: no package marker
    assert "the fixtures are in spec/conftest.py" in " ".join(result.stdout.split())
    assert "1 passed" in owners_pytest(adopted)

    assert cli("remove", "tests", "-C", adopted).exit_code == 0
    assert sorted(p.name for p in (adopted / "spec").iterdir() if p.suffix == ".py") == [
        "test_client.py"
    ]


OWNERS_ASYNC_TEST = """\
import pytest
from httpx import ASGITransport, AsyncClient

from app.tests.conftest import make_client


@pytest.mark.anyio
async def test_users_over_an_async_client() -> None:
    transport = ASGITransport(app=make_client().app)
    async with AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/users/", params={"token": "jessica"})

    assert response.json() == [{"username": "Rick"}, {"username": "Morty"}]
"""


def test_fixtures_go_into_the_owners_conftest_beside_the_app(
    adopted: Path, cli, files, owners_pytest
) -> None:
    files(
        adopted,
        {
            "app/tests/__init__.py": "",
            "app/tests/conftest.py": OWNERS_CONFTEST,
            "app/tests/test_async.py": OWNERS_ASYNC_TEST,
        },
    )

    result = cli("add", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    conftest = (adopted / "app/tests/conftest.py").read_text()
    assert conftest.startswith('"""The owner\'s fixtures."""\n\nimport os  # for the environment\n')
    assert "def anyio_backend() -> str:" in conftest
    assert not (adopted / "tests").exists()
    assert "1 passed" in owners_pytest(adopted)  # anyio's test, on asyncio only: the fixture

    assert cli("remove", "tests", "-C", adopted).exit_code == 0
    assert (adopted / "app/tests/conftest.py").read_text() == OWNERS_CONFTEST


UV_PYPROJECT = """\
[project]
name = "bigger"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [
    "fastapi>=0.115",  # the web framework
]

[dependency-groups]
lint = ["ruff>=0.6"]
"""


def test_development_requirements_go_into_the_uv_projects_dependency_groups(
    adopted: Path, cli, files
) -> None:
    import tomllib

    files(adopted, {"pyproject.toml": UV_PYPROJECT, "uv.lock": "version = 1\n"})

    result = cli("add", "tests", "-C", adopted)

    assert result.exit_code == 0, result.output
    text = (adopted / "pyproject.toml").read_text()
    assert "# the web framework" in text
    groups = tomllib.loads(text)["dependency-groups"]
    assert groups == {"lint": ["ruff>=0.6"], "dev": ["anyio>=4", "httpx>=0.27", "pytest>=8"]}
    stdout = " ".join(result.stdout.split())
    assert "development requirements added to pyproject.toml: anyio>=4, httpx>=0.27" in stdout

    assert cli("remove", "tests", "-C", adopted).exit_code == 0
    assert (adopted / "pyproject.toml").read_text() == UV_PYPROJECT


def test_fixtures_merged_into_the_owners_conftest_follow_the_owners_ruff(
    adopted: Path, cli, files
) -> None:
    ruff = '[tool.ruff]\nline-length = 60\n\n[tool.ruff.format]\nquote-style = "single"\n'
    files(adopted, {"pyproject.toml": ruff})
    owners = OWNERS_CONFTEST.replace('"x-env"', "'x-env'").replace('"ENV", "test"', "'ENV', 'test'")
    files(adopted, {"tests/conftest.py": owners})

    assert cli("add", "tests", "-C", adopted).exit_code == 0

    conftest = (adopted / "tests/conftest.py").read_text()
    assert "return 'asyncio'" in conftest
    added = [line for line in conftest.splitlines() if line not in owners.splitlines()]
    assert "def anyio_backend() -> str:" in added
    assert max(len(line) for line in added) <= 60
    assert cli("remove", "tests", "-C", adopted).exit_code == 0
    assert (adopted / "tests/conftest.py").read_text() == owners
