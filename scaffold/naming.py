"""Project names: the distribution name a user types and the package name derived from it.

The rules keep a generated project installable, importable and portable: a PEP 508 distribution
name; an importable package (after NFKC normalisation, as Python itself normalises identifiers)
that is not a keyword, does not shadow the standard library or the project's own dependencies,
is not ``test``/``tests`` and is not a name Windows reserves for devices.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata

# PEP 508 / packaging's canonical check for a project name.
# ASCII only: with IGNORECASE alone, U+017F (long s) and U+212A (Kelvin) would match [A-Z].
_DISTRIBUTION_NAME = re.compile(
    r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE | re.ASCII
)
MAX_NAME_LENGTH = 64

# Modules a generated project imports; a package of the same name would shadow them.
GENERATED_DEPENDENCIES = frozenset(
    {
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic_core",
        "pydantic_settings",
        "uvicorn",
        "jinja2",
        "markupsafe",
        "httpx",
        "httpcore",
        "anyio",
        "sniffio",
        "h11",
        "websockets",
        "dotenv",
        "pytest",
        "ruff",
        "typing_extensions",
        "annotated_types",
        "email_validator",
        "multipart",
        "python_multipart",
        "idna",
        "certifi",
        "click",
        "typer",
        "rich",
        "yaml",
        "scaffold",
        "fastapi_cli",
        "watchfiles",
        "uvloop",
        "httptools",
        "orjson",
        "ujson",
    }
)
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", "clock$", "conin$", "conout$"}
    | {f"com{i}" for i in range(10)}
    | {f"lpt{i}" for i in range(10)}
    | {f"com{c}" for c in "¹²³"}
    | {f"lpt{c}" for c in "¹²³"}
)
_TEST_NAMES = frozenset({"test", "tests"})


def package_name_for(distribution_name: str) -> str:
    """Derive the import package from a distribution name: ``My-API.v2`` -> ``my_api_v2``."""
    normalized = unicodedata.normalize("NFKC", distribution_name)
    return re.sub(r"[-_.]+", "_", normalized).lower()


def distribution_name_problem(name: str) -> str | None:
    """Say what is wrong with ``name`` as a distribution (and folder) name, or return None."""
    if not name:
        return "the project name is empty; give one, for example 'scaffold new my-api'"
    if "/" in name or "\\" in name or "\x00" in name:
        return f"'{name}' contains a path separator; give a plain name and use --output-dir"
    if len(name) > MAX_NAME_LENGTH:
        return f"the project name is {len(name)} characters long; keep it to {MAX_NAME_LENGTH}"
    if not _DISTRIBUTION_NAME.match(name):
        return (
            f"'{name}' is not a valid Python distribution name; use letters, digits, '-', '_' or "
            "'.', starting and ending with a letter or digit"
        )
    if name.lower().split(".")[0] in _WINDOWS_RESERVED:  # "nul.api" is the device NUL too
        return f"'{name}' is a reserved device name on Windows; choose another name"
    return None


def windows_path_problem(segment: str) -> str | None:
    """Say why Windows cannot check out a file or folder named ``segment``, or return None.

    A device name (``CON``, ``nul.txt``, ``COM1.py``: the part before the first dot decides) or
    a name ending in a dot or a space, which Windows silently strips.
    """
    if segment.lower().split(".")[0].rstrip(" ") in _WINDOWS_RESERVED:
        return f"'{segment}' is a reserved device name on Windows"
    if segment.endswith((".", " ")):
        return f"'{segment}' ends in a dot or a space, which Windows drops"
    return None


def package_name_problem(package: str) -> str | None:
    """Say what is wrong with ``package`` as the generated import package, or return None."""
    lowered = package.lower()
    if not package.isidentifier():
        return (
            f"the package name '{package}' is not a Python identifier; start the name with a letter"
        )
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return f"the package name '{package}' is a Python keyword; choose another name"
    if lowered in _TEST_NAMES:
        return (
            f"the package name '{package}' would clash with the tests folder; choose another name"
        )
    if package in sys.stdlib_module_names:
        return f"the package name '{package}' shadows the standard library; choose another name"
    if package in GENERATED_DEPENDENCIES:
        return (
            f"the package name '{package}' shadows the dependency '{package}'; choose another name"
        )
    if lowered in _WINDOWS_RESERVED or lowered.split(".")[0] in _WINDOWS_RESERVED:
        return f"the package name '{package}' is a Windows device name; choose another name"
    return None


def name_problem(name: str) -> str | None:
    """Say what is wrong with ``name`` as a project name, checking the derived package too."""
    problem = distribution_name_problem(name)
    if problem is None:
        problem = package_name_problem(package_name_for(name))
    return problem
