"""A copier template in git whose files come partly from a submodule (issue #11).

copier clones a template with its submodules; scaffold's cached checkout holds them too, at the
commits the template records, with no ``.git`` left in it. A submodule that cannot be fetched
is one line, exit 2; a ``.gitmodules`` URL may not run commands (``ext::``), and a remote
template may not pull a repository off the user's disk (``file``).
"""

from __future__ import annotations

import shutil
import tomllib
from typing import TYPE_CHECKING

import pytest

from scaffold import gitsource
from scaffold.errors import BlueprintError
from tests.sources.conftest import git

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from click.testing import Result

    from tests.sources.conftest import Repo

pytestmark = pytest.mark.timeout(120)


def _add_submodule(repo: Repo, url: Path | str, path: str) -> None:
    git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(url), path, cwd=repo.path)


@pytest.fixture
def shared(make_repo: Callable[[str], Repo]) -> Repo:
    """The org's shared copier pieces: questions to include, a file every template writes."""
    repo = make_repo("shared")
    repo.write("questions.yml", "team:\n  type: str\n  default: platform\n")
    repo.write("files/OWNERS.jinja", "{{ team }} owns {{ project_name }}\n")
    repo.release("v1.0.0")
    return repo


@pytest.fixture
def template(make_repo: Callable[[str], Repo], shared: Repo) -> Repo:
    """A copier template whose questions and some files come from the shared submodule."""
    repo = make_repo("tpl")
    _add_submodule(repo, shared.path, "shared")
    repo.write("copier.yml", "greeting:\n  default: hello\n---\n!include shared/questions.yml\n")
    repo.write("greeting.txt.jinja", "{{ greeting }} from {{ team }}\n")
    repo.release("v1.0.0")
    return repo


def _new(cli: Callable[..., Result], source: str, out: Path, *extra: str) -> Result:
    return cli("new", "svc", "-b", "tpl", "--source", source, "--no-input", "-o", out, *extra)


def test_a_template_whose_questions_come_from_a_submodule_renders(
    cli: Callable[..., Result], template: Repo, shared: Repo, tmp_path: Path
) -> None:
    commit = git("rev-parse", "HEAD", cwd=template.path)
    shared.write("questions.yml", "team:\n  type: str\n  default: moved-on\n")
    shared.release("v2.0.0")  # the template still records v1.0.0's commit

    made = _new(cli, f"git+{template.path}", tmp_path / "out", "-O", "tpl.greeting=hi")

    assert made.exit_code == 0, made.output
    project = tmp_path / "out" / "svc"
    assert (project / "greeting.txt").read_text() == "hi from platform\n"
    assert (project / "shared" / "files" / "OWNERS").read_text() == "platform owns svc\n"
    assert not list(project.rglob(".git"))
    record = tomllib.loads((project / ".scaffold" / "project.toml").read_text())
    assert record["blueprints"]["tpl"]["options"]["team"] == "platform"
    cached = tmp_path / "cache" / "git"
    assert not [p for p in cached.rglob(".git") if commit in p.as_posix()]  # no .git, no link
    assert next(cached.glob(f"*/{commit}/shared/questions.yml")).is_file()


def test_a_stale_cached_checkout_without_its_submodules_is_fetched_again(
    cli: Callable[..., Result], template: Repo, tmp_path: Path
) -> None:
    template.write("copier.yml", "!include shared/questions.yml\n")
    template.write("team.txt.jinja", "{{ team }}\n")
    commit = template.release("v1.1.0")
    first = _new(cli, f"git+{template.path}", tmp_path / "one")
    assert first.exit_code == 0, first.output
    checkout = next((tmp_path / "cache" / "git").glob(f"*/{commit}"))
    shutil.rmtree(checkout / "shared")  # as an older scaffold cached it: an empty folder
    (checkout / "shared").mkdir()
    checkout.with_name(f"{commit}.submodules").unlink()

    again = _new(cli, f"git+{template.path}", tmp_path / "two")

    assert again.exit_code == 0, again.output
    assert (tmp_path / "two" / "svc" / "team.txt").read_text() == "platform\n"


def test_an_unreachable_submodule_is_one_line_and_writes_nothing(
    cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    template: Repo,
    shared: Repo,
    tmp_path: Path,
) -> None:
    shared.path.rename(tmp_path / "moved-away")

    refused = _new(cli, f"git+{template.path}", tmp_path / "out")

    assert refused.exit_code == 2
    line = error_line(refused)
    assert "submodules of" in line
    assert "cannot be fetched" in line
    assert "does not exist" in line  # git's own reason, not its last 'aborting' line
    assert not (tmp_path / "out").exists()


def test_a_gitmodules_url_that_runs_a_command_is_refused(
    cli: Callable[..., Result],
    error_line: Callable[[Result], str],
    make_repo: Callable[[str], Repo],
    shared: Repo,
    tmp_path: Path,
) -> None:
    witness = tmp_path / "pwned"
    repo = make_repo("evil")
    repo.write("copier.yml", "name:\n  default: x\n")
    repo.write(".gitmodules", f'[submodule "x"]\n\tpath = x\n\turl = ext::sh -c touch% {witness}\n')
    head = git("rev-parse", "HEAD", cwd=shared.path)
    git("update-index", "--add", "--cacheinfo", f"160000,{head},x", cwd=repo.path)
    (repo.path / "x").mkdir()  # an unpopulated submodule: 'git add -A' keeps its gitlink
    repo.release("v1.0.0")

    refused = cli(
        "new", "svc", "-b", "evil", "--source", f"git+{repo.path}", "--no-input",
        "-o", tmp_path / "out",
    )  # fmt: skip

    assert refused.exit_code == 2
    assert "transport 'ext' not allowed" in error_line(refused)
    assert not witness.exists()
    assert not (tmp_path / "out").exists()


def test_a_remote_template_may_not_fetch_a_submodule_from_the_local_disk(
    template: Repo, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    git("clone", "-q", str(template.path), str(clone), cwd=tmp_path)

    with pytest.raises(BlueprintError, match="transport 'file' not allowed"):
        gitsource._submodules("https://git.example.test/org/template.git", clone)
    assert not (clone / "shared" / "questions.yml").exists()
