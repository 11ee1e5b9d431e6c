"""Blueprints from git repositories: version tags, and a checkout of one commit.

A git source is listed with ``git ls-remote`` (no clone needed to learn its versions) and
checked out once per commit into ``~/.cache/scaffold/git/`` (``SCAFFOLD_CACHE_DIR``). A checkout
is immutable (a commit's files never change), so a cached one is reused without asking the
remote: commands other than ``update`` and ``check`` work offline once the recorded commit has
been fetched. Versions are tags spelt ``1.2.0`` or ``v1.2.0``; other tags are ignored.

A checkout holds the repository's submodules at the commits it records, as copier's own clone
does (``git submodule update --init --recursive``), over git's network transports only (and
local paths when the source itself is local); no ``.git`` is left in it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scaffold.errors import BlueprintError
from scaffold.sources import cache_dir

if TYPE_CHECKING:
    from collections.abc import Mapping

_VERSION_TAG = re.compile(r"^v?(\d+(?:\.\d+)*)$")
_HEX = re.compile(r"^[0-9a-f]{7,40}$")
_GIT_TIMEOUT = 120.0
# Never let a URL pick a transport that runs commands (ext::) or reads arbitrary files oddly.
_SAFE_GIT = ("-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never")
# A template's .gitmodules is the template author's text: its URLs may use git's known-safe
# network transports only (no ext::, fd::, no remote helpers such as foo::), and a local path
# or file:// only when the source itself is on this machine: a remote template must not pull
# a repository off the user's disk into the project.
_NETWORK = ("http", "https", "ssh", "git")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


class GitSourceError(BlueprintError):
    """A git source cannot be listed or fetched."""


@dataclass(frozen=True)
class Checkout:
    """One commit of a git source, on disk."""

    url: str
    ref: str  # the tag (or commit) asked for
    version: str | None  # the tag's version, when ref is a version tag
    commit: str
    path: Path


def version_of_tag(tag: str) -> str | None:
    """``v1.2.0`` -> ``1.2.0``; None for a tag that is not a version."""
    match = _VERSION_TAG.match(tag)
    return match.group(1) if match else None


def version_key(version: str) -> tuple[int, ...]:
    """Order dotted versions numerically (1.10 after 1.9)."""
    return tuple(int(part) for part in version.split("."))


def _git(
    *args: str, cwd: Path | None = None, config: tuple[str, ...] = (), first_error: bool = False
) -> str:
    """Run ``git [config] args``; on failure, one line: git's last line (or its first 'fatal:')."""
    git = shutil.which("git")
    if git is None:
        msg = "git is not installed, and a blueprint source is a git repository"
        raise GitSourceError(msg, hint="install git")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(
            [git, *_SAFE_GIT, *config, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=_GIT_TIMEOUT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        msg = f"git {args[0]} took longer than {_GIT_TIMEOUT:.0f} s"
        raise GitSourceError(msg, hint="check the network and the source's URL") from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["failed"]
        fatal = [line for line in lines if line.startswith("fatal:")]
        reason = fatal[0] if first_error and fatal else lines[-1]
        msg = f"git {args[0]} failed: {reason}"
        raise GitSourceError(msg, hint="check the source's URL and that you can reach it")
    return done.stdout


def list_tags(url: str) -> dict[str, str]:
    """Return ``{tag: commit}`` for the repository's tags (annotated tags peeled)."""
    tags: dict[str, str] = {}
    for line in _git("ls-remote", "--tags", "--", url).splitlines():
        commit, _, ref = line.partition("\t")
        name = ref.removeprefix("refs/tags/")
        if name.endswith("^{}"):
            tags[name.removesuffix("^{}")] = commit  # the commit an annotated tag points to
        else:
            tags.setdefault(name, commit)
    return tags


def versions(url: str) -> dict[str, tuple[str, str]]:
    """Return ``{version: (tag, commit)}`` for the repository's version tags."""
    found: dict[str, tuple[str, str]] = {}
    for tag, commit in list_tags(url).items():
        version = version_of_tag(tag)
        if version is not None:
            found[version] = (tag, commit)
    return found


def blueprint_versions(url: str) -> dict[str, tuple[str, str]]:
    """Return :func:`versions`, less the tags at which the repository holds no blueprint.

    A repository that was a copier template and stopped being one (its ``copier.yml`` gone at
    a later tag) has nothing to update to there: such a tag is not a version of the blueprint.
    Only the trees are fetched (``--filter=blob:none``), not the files.
    """
    known = versions(url)
    if not known:
        return known
    work = Path(tempfile.mkdtemp(prefix="scaffold-tags-"))
    try:
        repo = work / "tags.git"
        _git("clone", "--quiet", "--bare", "--filter=blob:none", "--", url, str(repo))
        return {
            version: (tag, commit)
            for version, (tag, commit) in known.items()
            if _holds_blueprint(_git("ls-tree", "-r", "--name-only", commit, cwd=repo))
        }
    except GitSourceError:
        return known  # a server without partial clones: every version tag, as before
    finally:
        shutil.rmtree(work, ignore_errors=True)


_BLUEPRINT_FILES = frozenset({"copier.yml", "copier.yaml", "blueprint.toml"})


def _holds_blueprint(listing: str) -> bool:
    """Say whether a tree (``ls-tree -r`` names) has a blueprint at its top or one folder down."""
    for path in listing.splitlines():
        parts = path.split("/")
        if len(parts) <= 2 and parts[-1] in _BLUEPRINT_FILES:  # noqa: PLR2004  # a folder down
            return True
    return False


def newest(known: Mapping[str, tuple[str, str]]) -> str | None:
    """Return the highest version among :func:`versions`' keys, or None when there are none."""
    return max(known, key=version_key) if known else None


def _slot(url: str) -> Path:
    return cache_dir() / "git" / hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]


def _resolve(url: str, ref: str | None) -> tuple[str, str | None, str | None]:
    """Return (ref, version, commit or None when the ref must be resolved after cloning)."""
    known = blueprint_versions(url) if ref is None else versions(url)
    if ref is None:
        version = newest(known)
        if version is None:
            msg = f"{url} has no version tags (such as v1.0.0)"
            raise GitSourceError(msg, hint=f"tag a release, or name a commit: {url}@<sha>")
        tag, commit = known[version]
        return tag, version, commit
    for version, (tag, commit) in known.items():
        if ref in {tag, version}:
            return tag, version, commit
    return ref, None, None


def checkout(url: str, ref: str | None, *, commit: str | None = None) -> Checkout:
    """Return the source's files at ``ref`` (newest version tag when None), fetching if needed.

    With ``commit`` (as a project's record knows it), a cached checkout is used without asking
    the remote at all.
    """
    if commit is not None and ref is not None:
        cached = _slot(url) / commit
        if _cached(cached):
            return Checkout(url, ref, version_of_tag(ref), commit, cached)
        # The recorded commit, not whatever the tag names today: a moved tag must not change
        # a project behind its owner's back ('check' reports it; 'update' moves on purpose).
        fetched = _fetch(url, commit, version_of_tag(ref))
        return Checkout(url, ref, version_of_tag(ref), fetched.commit, fetched.path)
    ref, version, resolved = _resolve(url, ref)
    if resolved is not None and _cached(_slot(url) / resolved):
        return Checkout(url, ref, version, resolved, _slot(url) / resolved)
    return _fetch(url, ref, version)


def _fetch(url: str, ref: str, version: str | None) -> Checkout:
    slot = _slot(url)
    slot.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=slot))
    try:
        _git("clone", "--quiet", "--no-checkout", "--", url, str(work / "repo"))
        repo = work / "repo"
        if ref.startswith("-") or not (_HEX.match(ref) or re.match(r"^[\w./-]+$", ref)):
            msg = f"'{ref}' is not a tag or commit of {url}"
            raise GitSourceError(msg)
        try:
            commit = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo).strip()
        except GitSourceError:
            msg = f"{url} has no tag or commit '{ref}'"
            raise GitSourceError(
                msg, hint="run 'git ls-remote --tags' on it to see its tags"
            ) from None
        _git("-c", "advice.detachedHead=false", "checkout", "--quiet", commit, cwd=repo)
        submodules = (repo / ".gitmodules").is_file()
        if submodules:
            _submodules(url, repo)
        # The checkout is a plain folder from now on: no .git for copier or anyone to follow.
        _drop_git(repo)
        target = slot / commit
        if target.exists() and not _cached(target):  # cached before submodules were fetched
            target.rename(work / "stale")
        if submodules:
            _with_submodules(target).touch()
        if not target.exists():
            repo.rename(target)  # atomic: a half-written checkout is never seen as cached
        return Checkout(url, ref, version or version_of_tag(ref), commit, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _is_local(url: str) -> bool:
    """Say whether the source is on this machine (a path or a file:// URL)."""
    return url.lower().startswith("file://") or not ("://" in url or _SCP_LIKE.match(url))


def _submodules(url: str, repo: Path) -> None:
    """Check out the submodules at the commits the template records, as copier's clone does."""
    allowed = (*_NETWORK, "file") if _is_local(url) else _NETWORK
    policy = ["-c", "protocol.allow=never"]
    for transport in allowed:
        policy += ["-c", f"protocol.{transport}.allow=always"]
    command = ("submodule", "update", "--init", "--recursive", "--checkout")
    try:
        _git(*command, cwd=repo, config=tuple(policy), first_error=True)
    except GitSourceError as error:
        reason = error.message.removeprefix("git submodule failed: ")
        msg = f"the submodules of {url} cannot be fetched: {reason}"
        hint = "a submodule's URL must be reachable, over http(s), ssh or git" + (
            ", or a path on this machine" if _is_local(url) else ""
        )
        raise GitSourceError(msg, hint=hint) from None


def _drop_git(repo: Path) -> None:
    """Remove the repository's .git folder and each submodule's .git file."""
    shutil.rmtree(repo / ".git")
    for marker in repo.rglob(".git"):  # links are not followed: only the checkout's own
        if marker.is_dir() and not marker.is_symlink():
            shutil.rmtree(marker)
        else:
            marker.unlink()


def _with_submodules(checkout: Path) -> Path:
    """Return the mark, beside a cached checkout, that says its submodules were checked out."""
    return checkout.with_name(f"{checkout.name}.submodules")


def _cached(checkout: Path) -> bool:
    """Say whether ``checkout`` is a complete cached checkout.

    One with a ``.gitmodules`` but no mark beside it was cached before scaffold checked out
    submodules: its submodule folders are empty, so it is fetched again.
    """
    if not checkout.is_dir():
        return False
    return not (checkout / ".gitmodules").is_file() or _with_submodules(checkout).is_file()
