"""Authoring blueprints: a skeleton to start from, and a check that a blueprint works.

``create_skeleton`` writes a new blueprint folder that already passes ``check``.
``plan_check`` validates a blueprint folder and decides which projects to generate with it: the
blueprint alone (with what it requires), with each other blueprint it can be combined with, and
with all of them at once. ``check_combination`` generates one such project into a folder and runs
the checks its owner will run: ``ruff check``, ``ruff format --check`` and the project's own
pytest, each in a subprocess with a timeout. ``run_check`` renders every combination first, then
has the union of their requirements installed into an environment of their own (see
``scaffold.check_env``), then runs the checks on a few threads, because the pytest subprocesses
dominate and mostly wait.

Nothing here prints: the CLI (``scaffold.cli_blueprint``) reports what these functions return.
"""

from __future__ import annotations

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from scaffold.catalog import MANIFEST, Blueprint, Catalog, load_blueprint, load_catalog
from scaffold.errors import BlueprintError, ScaffoldError, TrustError
from scaffold.models import BlueprintManifest, ProjectSpec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from scaffold.apply import WriteResult
    from scaffold.sources import Settings, Source

# The project every combination is generated as. Its settings read BP_CHECK_* variables, which
# are removed from the environment of its tests so that the author's shell cannot leak in.
# The projects' tests run with the Python of an environment made for them (scaffold.check_env).
CHECK_PROJECT = "bp-check"
_CHECK_ENV_PREFIX = "BP_CHECK_"
DEFAULT_TIMEOUT = 300.0  # seconds for one subprocess; a generated test suite that hangs fails
_RUFF_TIMEOUT = 60.0
_OUTPUT_LINES = 40  # lines of a failing tool's output kept in the report
_MAX_NAME = 64
# Variables that would leak a pytest running scaffold (xdist, coverage, plugins) into the
# generated project's pytest, which must behave as it will on its owner's machine; PYTHONPATH
# and VIRTUAL_ENV would point it at scaffold's own packages.
_LEAKY_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
_LEAKY_PREFIXES = ("PYTEST_XDIST_", "PYTEST_CURRENT_TEST", "COV_CORE_", _CHECK_ENV_PREFIX)

StepName = Literal["render", "ruff", "format", "pytest"]
StepStatus = Literal["passed", "failed", "skipped"]
STEPS: tuple[StepName, ...] = ("render", "ruff", "format", "pytest")


# --------------------------------------------------------------------------------------------
# scaffold blueprint new
# --------------------------------------------------------------------------------------------


def check_blueprint_name(name: str, catalog: Catalog | None = None) -> None:
    """Refuse a name that cannot name a new blueprint (one line, exit 2)."""
    rule = "use lowercase letters, digits, '-' and '_', starting with a letter"
    if len(name) > _MAX_NAME:
        msg = f"a blueprint name has at most {_MAX_NAME} characters"
        raise BlueprintError(msg, hint=rule)
    try:
        # The manifest model is the one rule for names; asking it keeps the two in step.
        BlueprintManifest.model_validate({"name": name, "summary": "-", "version": "0.1.0"})
    except ValidationError:
        msg = f"invalid blueprint name {name!r}"
        raise BlueprintError(msg, hint=rule) from None
    if catalog is not None and name in catalog:
        msg = f"'{name}' is the name of a built-in blueprint"
        raise BlueprintError(msg, hint="choose another name; a source cannot offer it again")


def module_name(name: str) -> str:
    """Return the Python module stem for a blueprint name (``acme-service`` -> ``acme_service``)."""
    return name.replace("-", "_")


def skeleton_files(name: str) -> dict[str, bytes]:
    """Return the files of a new blueprint called ``name``, relative to its folder."""
    module = module_name(name)
    texts = {
        MANIFEST: _SKELETON_MANIFEST,
        "README.md": _SKELETON_README,
        f"files/{{{{ package }}}}/{module}_routes.py.jinja": _SKELETON_ROUTES,
        f"files/tests/test_{module}.py.jinja": _SKELETON_TEST,
    }
    # Placeholders are filled with str.replace, not jinja: the skeleton's own templates hold
    # jinja that must reach the new blueprint untouched.
    return {
        path: text.replace("@NAME@", name).replace("@MODULE@", module).encode("utf-8")
        for path, text in texts.items()
    }


def create_skeleton(name: str, output_dir: Path) -> WriteResult:
    """Write a new blueprint into ``output_dir/name``, all at once or not at all."""
    from scaffold.apply import write_project
    from scaffold.errors import DestinationError

    check_blueprint_name(name, load_catalog(entry_points=False))
    destination = output_dir / name
    # write_project refuses this too, but its hint offers a --force this command does not have.
    if destination.is_dir() and any(destination.iterdir()):
        msg = f"{destination} exists and is not empty"
        raise DestinationError(msg, hint="choose another name or --output-dir")
    # The same writer as 'scaffold new': the tree is staged beside the destination and renamed
    # into place, so an error or Ctrl-C leaves nothing behind.
    return write_project(skeleton_files(name), destination)


# --------------------------------------------------------------------------------------------
# scaffold blueprint check: what to generate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Combination:
    """One project to generate: the blueprints asked for (their requirements come along)."""

    name: str
    requested: tuple[str, ...]


@dataclass(frozen=True)
class CheckPlan:
    """A validated blueprint, the catalog to generate with, and the combinations to try."""

    blueprint: Blueprint
    catalog: Catalog
    sources: tuple[Source, ...]
    combinations: tuple[Combination, ...]


def plan_check(
    path: Path,
    *,
    with_names: Sequence[str] = (),
    trust: bool = False,
    settings: Settings | None = None,
) -> CheckPlan:
    """Validate the blueprint at ``path`` and choose its combinations.

    Without ``with_names`` the blueprint is paired with every built-in blueprint (except those
    always present); with them, only with those (any blueprint the catalog offers). The other
    blueprints come from ``settings`` (the sources and trust every command reads: flags,
    environment, user file) below the blueprint's own folder; ``trust`` lets blueprints run
    code (copier tasks, jinja extensions). Raises :class:`~scaffold.errors.BlueprintError`
    (exit 2) for a folder or manifest that is not usable.
    """
    folder = path.absolute()
    if not folder.is_dir():
        msg = f"{path} is not a folder"
        raise BlueprintError(msg, hint="pass the folder that holds blueprint.toml")
    _refuse_a_folder_of_blueprints(folder, path)
    blueprint = load_blueprint(folder, source=str(folder))
    _check_conditions_name_files(blueprint)
    if settings is None:
        from scaffold.sources import Settings

        settings = Settings(trust_all=trust)
    elif trust:
        settings = replace(settings, trust_all=True)
    sources, catalog = _catalog_for(blueprint, with_names, settings)
    blueprint = catalog.get(blueprint.name)  # the catalog's copy carries its recorded source
    for name in (*blueprint.manifest.requires, *with_names):
        catalog.get(name)  # an unknown name fails here, with "did you mean"
    return CheckPlan(
        blueprint=blueprint,
        catalog=catalog,
        sources=sources,
        combinations=tuple(_combinations(blueprint, catalog, with_names)),
    )


def _refuse_a_folder_of_blueprints(folder: Path, given: Path) -> None:
    """Say which folder to pass when given a source folder rather than one blueprint."""
    from scaffold.copier_render import copier_file

    if (folder / MANIFEST).is_file() or copier_file(folder) is not None:
        return
    inside = sorted(child.name for child in folder.iterdir() if (child / MANIFEST).is_file())
    if inside:
        msg = f"{given} holds blueprints ({', '.join(inside)}), it is not one"
        raise BlueprintError(msg, hint=f"check one at a time: {given / inside[0]}")


def _check_conditions_name_files(blueprint: Blueprint) -> None:
    """Refuse a ``[when]`` key that names no file: the typo would silently emit the file."""
    files_dir = blueprint.files_dir
    present = (
        {p.relative_to(files_dir).as_posix() for p in files_dir.rglob("*") if p.is_file()}
        if files_dir.is_dir()
        else set()
    )
    for key in blueprint.manifest.when:
        if key not in present:
            msg = f"{blueprint.root / MANIFEST}: [when] names '{key}', which is not under files/"
            raise BlueprintError(msg, hint="a [when] key is a path under files/, suffix included")


def _catalog_for(
    blueprint: Blueprint, with_names: Sequence[str], settings: Settings
) -> tuple[tuple[Source, ...], Catalog]:
    """Load the blueprint's folder first, then the configured sources; its parent if needed.

    The folder alone keeps broken or clashing siblings out of the check; an org blueprint that
    requires another org blueprint finds it beside itself (or in a configured source). The
    folder is pinned to the blueprint's name, so that a released version of it in a configured
    source or installed as a package does not clash with the one being written.
    """
    from scaffold.sources import Source

    def source(folder: Path) -> Source:
        location = str(folder)
        return Source("folder", location, pins=frozenset({blueprint.name}), spelling=location)

    def catalog_of(sources: tuple[Source, ...]) -> Catalog:
        return load_catalog(sources, trusted=settings.trusted, trust_all=settings.trust_all)

    own = (source(blueprint.root), *settings.sources)
    catalog = catalog_of(own)
    missing = [n for n in (*blueprint.manifest.requires, *with_names) if n not in catalog]
    siblings = blueprint.root.parent
    # Only a sibling folder of that name is worth loading the parent for; otherwise the
    # caller's lookup reports the unknown name (with "did you mean") rather than whatever
    # unrelated folder beside the blueprint fails to load.
    if not any((siblings / name).is_dir() for name in missing):
        return own, catalog
    parent = (source(siblings), *settings.sources)
    return parent, catalog_of(parent)


def _closure(catalog: Catalog, names: Iterable[str]) -> set[str]:
    """Return the names, everything they require, and the blueprints every project has."""
    queue = [bp.name for bp in catalog if bp.manifest.always] + list(names)
    found: set[str] = set()
    while queue:
        name = queue.pop()
        if name not in found:
            found.add(name)
            queue.extend(catalog.get(name).manifest.requires)
    return found


def _conflict(catalog: Catalog, names: set[str]) -> tuple[str, str] | None:
    for name in sorted(names):
        for other in catalog.get(name).manifest.conflicts:
            if other in names:
                return name, other
    return None


def _combinations(
    blueprint: Blueprint, catalog: Catalog, with_names: Sequence[str]
) -> list[Combination]:
    name = blueprint.name
    alone = _closure(catalog, [name])
    if clash := _conflict(catalog, alone):
        msg = f"'{clash[0]}' conflicts with '{clash[1]}', which '{name}' requires"
        raise BlueprintError(msg, hint="fix requires or conflicts in the manifest")
    partners = list(dict.fromkeys(with_names)) or [
        bp.name for bp in catalog if bp.source == "built-in" and not bp.manifest.always
    ]
    combinations = [Combination(name, (name,))]
    paired: list[str] = []
    for other in partners:
        if other == name or other in alone:
            continue  # the same project as the blueprint alone
        clash = _conflict(catalog, _closure(catalog, [name, other]))
        if clash and other in with_names:
            msg = f"'{clash[0]}' and '{clash[1]}' cannot be combined, so --with {other} cannot work"
            raise BlueprintError(msg, hint=f"drop --with {other}")
        if not clash:
            combinations.append(Combination(f"{name}+{other}", (name, other)))
            paired.append(other)
    everything = [name]
    for other in paired:  # as many partners at once as can live together
        if not _conflict(catalog, _closure(catalog, [*everything, other])):
            everything.append(other)
    if len(everything) > 2:  # noqa: PLR2004  # two is a pair, already listed
        combinations.append(Combination(f"{name}+all", tuple(everything)))
    return combinations


# --------------------------------------------------------------------------------------------
# scaffold blueprint check: running it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepResult:
    """The outcome of one check on one project; ``output`` is the tail of what failed."""

    status: StepStatus
    output: str = ""


_SKIPPED = StepResult("skipped")


@dataclass
class CombinationResult:
    """Every step's outcome for one combination."""

    combination: Combination
    blueprints: list[str] = field(default_factory=list)  # resolved, requirements included
    steps: dict[StepName, StepResult] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no step failed."""
        return all(step.status != "failed" for step in self.steps.values())


def check_combination(
    plan: CheckPlan,
    combination: Combination,
    workdir: Path,
    *,
    python: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> CombinationResult:
    """Generate one combination under ``workdir`` and check it.

    The project's tests run with ``python`` (an environment holding its requirements); without
    it they are skipped.
    """
    result = render_combination(plan, combination, workdir)
    verify_combination(result, workdir, python=python, timeout=timeout)
    return result


def render_combination(
    plan: CheckPlan, combination: Combination, workdir: Path
) -> CombinationResult:
    """Generate one combination's project under ``workdir``: the render step alone."""
    started = time.perf_counter()
    result = CombinationResult(combination)
    result.steps["render"] = _render(plan, combination, workdir / CHECK_PROJECT, result)
    result.seconds = time.perf_counter() - started
    return result


def verify_combination(
    result: CombinationResult,
    workdir: Path,
    *,
    python: Path | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> None:
    """Run ruff, the format check and (with ``python``) pytest on a rendered combination."""
    started = time.perf_counter()
    project = workdir / CHECK_PROJECT
    if result.steps["render"].status == "passed":
        result.steps["ruff"] = _ruff(["check", "--no-cache", "."], project)
        result.steps["format"] = _ruff(["format", "--check", "--no-cache", "."], project)
        result.steps["pytest"] = _pytest(project, python, timeout) if python else _SKIPPED
    else:
        result.steps |= {"ruff": _SKIPPED, "format": _SKIPPED, "pytest": _SKIPPED}
    result.seconds += time.perf_counter() - started


def check_requirements(plan: CheckPlan, workdir: Path) -> list[str]:
    """Return the union of the requirements of the combinations rendered under ``workdir``."""
    from scaffold.check_env import project_requirements

    found: set[str] = set()
    for index, combination in enumerate(plan.combinations):
        found.update(project_requirements(_folder(workdir, index, combination) / CHECK_PROJECT))
    return sorted(found)


def _folder(workdir: Path, index: int, combination: Combination) -> Path:
    return workdir / f"{index:02d}-{combination.name}"


def run_check(
    plan: CheckPlan,
    workdir: Path,
    *,
    run_tests: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int | None = None,
    on_done: Callable[[CombinationResult], None] | None = None,
    prepare: Callable[[list[str]], Path] | None = None,
) -> list[CombinationResult]:
    """Check every combination of the plan, a few at a time; results come in plan order.

    Every combination is rendered first; then, when the tests run, ``prepare`` (by default
    :func:`scaffold.check_env.ensure_environment`) gets the union of their requirements and
    returns the Python to run their tests with. ``on_done`` is called in the calling thread as
    each combination finishes (for progress).
    """
    rendered = [
        render_combination(plan, combination, _folder(workdir, index, combination))
        for index, combination in enumerate(plan.combinations)
    ]
    python = None
    if run_tests and any(result.steps["render"].status == "passed" for result in rendered):
        if prepare is None:
            from scaffold.check_env import ensure_environment

            prepare = ensure_environment
        python = prepare(check_requirements(plan, workdir))
    count = workers or min(4, os.cpu_count() or 2)
    executor = ThreadPoolExecutor(max_workers=max(1, count), thread_name_prefix="bp-check")
    try:
        futures = {
            executor.submit(
                verify_combination,
                result,
                _folder(workdir, index, result.combination),
                python=python,
                timeout=timeout,
            ): index
            for index, result in enumerate(rendered)
        }
        for future in as_completed(futures):
            future.result()
            if on_done is not None:
                on_done(rendered[futures[future]])
    except BaseException:
        # Ctrl-C: do not start what is queued; running subprocesses got the signal too.
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown()
    return rendered


def check_document(
    plan: CheckPlan, results: Sequence[CombinationResult], *, run_tests: bool
) -> dict[str, Any]:
    """Build the ``--json`` document: one entry per combination, every step's status and output."""
    manifest = plan.blueprint.manifest
    return {
        "ok": all(result.ok for result in results),
        "blueprint": manifest.name,
        "version": manifest.version,
        "path": str(plan.blueprint.root),
        "ran_tests": run_tests,
        "combinations": [
            {
                "name": result.combination.name,
                "requested": list(result.combination.requested),
                "blueprints": result.blueprints,
                "ok": result.ok,
                "seconds": round(result.seconds, 2),
                "steps": {
                    step: {"status": outcome.status, "output": outcome.output}
                    for step, outcome in result.steps.items()
                },
            }
            for result in results
        ],
    }


def _render(
    plan: CheckPlan, combination: Combination, project: Path, result: CombinationResult
) -> StepResult:
    from scaffold.pipeline import generate

    spec = ProjectSpec(
        name=CHECK_PROJECT,
        description=f"Checks the {plan.blueprint.name} blueprint.",
        blueprints={name: {} for name in combination.requested},
    )
    try:
        generated = generate(spec, project, sources=plan.sources, catalog=plan.catalog)
    except TrustError:
        raise  # not the blueprint's failure: the whole check needs --trust (exit 3)
    except ScaffoldError as error:  # a template, option or formatting failure of the blueprint
        return StepResult("failed", str(error))
    except (OSError, UnicodeError) as error:  # an unreadable template
        return StepResult("failed", f"{type(error).__name__}: {error}")
    result.blueprints = generated.selection.names
    return StepResult("passed")


def _ruff(arguments: list[str], project: Path) -> StepResult:
    from scaffold.format import ruff_binary

    return _run([ruff_binary(), *arguments], project, _RUFF_TIMEOUT)


def _pytest(project: Path, python: Path, timeout: float) -> StepResult:
    # -p no:cacheprovider: no .pytest_cache in a folder that is thrown away anyway.
    argv = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return _run(argv, project, timeout)


def _child_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _LEAKY_ENV and not key.startswith(_LEAKY_PREFIXES)
    }
    env["NO_COLOR"] = "1"
    return env


def _run(argv: list[str], cwd: Path, timeout: float) -> StepResult:
    try:
        completed = subprocess.run(
            argv,
            cwd=cwd,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return StepResult("failed", f"timed out after {timeout:g}s: {' '.join(argv[-3:])}")
    except OSError as error:
        return StepResult("failed", f"cannot run {argv[0]}: {error}")
    if completed.returncode == 0:
        return StepResult("passed")
    return StepResult("failed", _tail(completed.stdout + completed.stderr, completed.returncode))


def _tail(output: str, returncode: int) -> str:
    lines = output.strip().splitlines()
    if len(lines) > _OUTPUT_LINES:
        lines = [f"[... {len(lines) - _OUTPUT_LINES} lines cut ...]", *lines[-_OUTPUT_LINES:]]
    return "\n".join([*lines, f"(exit code {returncode})"])


# --------------------------------------------------------------------------------------------
# The skeleton's files. @NAME@ is the blueprint's name, @MODULE@ its Python module stem.
# --------------------------------------------------------------------------------------------

_SKELETON_MANIFEST = """\
# The manifest of the '@NAME@' blueprint. Every field is described in scaffold's
# docs/writing-a-blueprint.md. Check your changes with: scaffold blueprint check <this folder>

# Must match the folder's name: lowercase letters, digits, '-' and '_'.
name = "@NAME@"
# One line, shown by 'scaffold blueprints' and in the interactive checklist.
summary = "GET /@NAME@ answers with a greeting (replace with what your blueprint adds)"
# Dotted numbers. Bump it on every change: projects made with an older version are then
# reported by 'scaffold check', and 'scaffold update' merges the new version into them.
version = "0.1.0"
# Other blueprints this one needs (added automatically, and announced), or cannot live with.
requires = []
conflicts = []
# Requirements added to the generated pyproject.toml: [project] and the 'dev' extra.
dependencies = []
dev_dependencies = []

# Each option becomes a field of a pydantic model: type is str, int, float, bool, list[str]
# or choice (with choices = [...]). Users set it with -O @NAME@.greeting=Hi; templates see it
# as `greeting` and as `options.greeting`.
[options.greeting]
type = "str"
default = "Hello"
help = "What GET /@NAME@ answers with"

# Refuse option values that cannot work: `when` is a jinja expression over the options.
[[checks]]
when = "greeting | trim == ''"
message = "the greeting cannot be empty"

# Emit a file only when a condition holds. Keys are paths under files/, as written there.
[when]
"tests/test_@MODULE@.py.jinja" = "'tests' in blueprints"

# Contributions to the files blueprints share (main.py, config.py, tests/conftest.py, ...).
# This one includes the router of files/{{ package }}/@MODULE@_routes.py.jinja in the app.
[[contribute.routers]]
ref = "{{ package }}.@MODULE@_routes:router"
order = 60
"""

_SKELETON_ROUTES = '''\
"""GET /@NAME@: the @NAME@ blueprint's endpoint."""

from typing import Annotated

from fastapi import APIRouter, Query

router = APIRouter(tags=["@NAME@"])

GREETING = {{ greeting | py }}


@router.get("/@NAME@")
async def greet(
    name: Annotated[str, Query(min_length=1, max_length=64)] = "world",
) -> dict[str, str]:
    """Greet `name` with the greeting chosen when the project was generated."""
    return {"message": f"{GREETING}, {name}!"}
'''

_SKELETON_TEST = '''\
"""GET /@NAME@ answers with the configured greeting."""

from fastapi.testclient import TestClient

EXPECTED = {{ (greeting ~ ", Ada!") | py }}


def test_greets_the_caller(client: TestClient) -> None:
    response = client.get("/@NAME@", params={"name": "Ada"})

    assert response.status_code == 200
    assert response.json() == {"message": EXPECTED}


def test_refuses_an_empty_name(client: TestClient) -> None:
    assert client.get("/@NAME@", params={"name": ""}).status_code == 422
'''

_SKELETON_README = """\
# The `@NAME@` blueprint

A blueprint for scaffold: GET `/@NAME@` answers with a greeting.
Replace this sentence with what the blueprint adds to a project.

## Layout

```
@NAME@/
  blueprint.toml                          # name, version, options, contributions
  README.md                               # this file (not copied into projects)
  files/                                  # rendered into the project; *.jinja is a template
    {{ package }}/@MODULE@_routes.py.jinja
    tests/test_@MODULE@.py.jinja           # only when the project has the 'tests' blueprint
```

## Options

| option | type | default | meaning |
| --- | --- | --- | --- |
| `greeting` | str | `Hello` | what GET `/@NAME@` answers with |

## Develop

```console
scaffold blueprint check path/to/@NAME@            # every combination: render, ruff, pytest
scaffold blueprint check path/to/@NAME@ --no-run   # render and ruff only (fast)
scaffold new my-api --source path/to -b @NAME@     # use it
```

Bump `version` in `blueprint.toml` on every change: projects made with an older version are
then reported by `scaffold check`, and `scaffold update` merges the new version into them.
"""
